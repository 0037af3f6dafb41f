package convert

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/retar-dev/retar/tarfs"
)

// Plan is an output, entry by entry in the order they are written. Each
// entry's content is bytes retar wrote or a blob of the source, already
// verified, so writing it copies and checks nothing more than sizes.
type Plan struct {
	Layout   Layout
	Entries  []Entry
	Images   []PlannedImage
	Warnings []string

	modTime time.Time
}

// PlannedImage says what an output image is.
type PlannedImage struct {
	Names     []string `json:"names"`
	Digest    string   `json:"digest,omitempty"`    // of its manifest or index; none in a docker-archive
	MediaType string   `json:"mediaType,omitempty"` // of that manifest or index
	ID        string   `json:"id,omitempty"`        // the config digest docker shows as image ID, for one manifest
}

// Entry is one file, directory or symlink of an output.
type Entry struct {
	Name     string // slash-separated, relative
	Type     byte   // tar.TypeReg, tar.TypeDir or tar.TypeSymlink
	Linkname string
	Size     int64

	data []byte
	blob *Blob
}

// checkNames makes sure no two entries of the plan share a name: a writer
// would fail on the second ("file exists") or a reader see two files.
func (p *Plan) checkNames() error {
	seen := make(map[string]bool, len(p.Entries))
	for _, e := range p.Entries {
		if seen[e.Name] {
			return fmt.Errorf("internal: the output would hold %s twice", e.Name)
		}
		seen[e.Name] = true
	}
	return nil
}

// Mode is the fixed permission of an entry, so outputs are reproducible.
func (e *Entry) Mode() int64 {
	switch e.Type {
	case tar.TypeDir:
		return 0o755
	case tar.TypeSymlink:
		return 0o777
	}
	return 0o644
}

// Bytes is the content of an entry retar wrote (JSON, version files), or nil
// for content copied from the source.
func (e *Entry) Bytes() []byte {
	if e.blob != nil {
		return e.blob.data
	}
	return e.data
}

func (p *Plan) warnf(format string, args ...any) {
	p.Warnings = append(p.Warnings, fmt.Sprintf(format, args...))
}

func (p *Plan) addData(name string, data []byte) {
	p.Entries = append(p.Entries, Entry{Name: name, Type: tar.TypeReg, Size: int64(len(data)), data: data})
}

func (p *Plan) addDir(name string) {
	p.Entries = append(p.Entries, Entry{Name: name, Type: tar.TypeDir})
}

func (p *Plan) addBlob(name string, b *Blob) {
	p.Entries = append(p.Entries, Entry{Name: name, Type: tar.TypeReg, Size: b.Size, blob: b})
}

// Sink receives an output archive, or one file of an output directory.
type Sink interface {
	io.Writer
	// CopyRange appends n bytes of r from off. Sinks that can do so without
	// passing the bytes through memory (copy_file_range, Blob.slice) do.
	CopyRange(r io.ReaderAt, off, n int64) error
}

// WriterSink makes a Sink of any writer by copying ranges through memory.
type WriterSink struct{ io.Writer }

func (w WriterSink) CopyRange(r io.ReaderAt, off, n int64) error {
	c, err := io.Copy(w.Writer, io.NewSectionReader(r, off, n))
	if err == nil && c != n {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// WriteContent writes an entry's content to s.
func (p *Plan) WriteContent(e *Entry, s Sink) error {
	if d := e.Bytes(); d != nil || e.blob == nil {
		_, err := s.Write(d)
		return err
	}
	if e.blob.spill != nil {
		return s.CopyRange(e.blob.spill, 0, e.Size)
	}
	fail := func(format string, args ...any) error {
		return &LayoutError{Source: e.blob.origin, Path: e.blob.Path, Reason: fmt.Sprintf(format, args...)}
	}
	f, err := e.blob.open()
	if err != nil {
		return fail("%v", err)
	}
	defer f.Close()
	var r io.ReaderAt
	var off int64
	switch f := f.(type) {
	case *tarfs.File:
		var n int64
		r, off, n = f.Section()
		if n != e.Size {
			return fail("changed while converting: %d bytes, was %d", n, e.Size)
		}
	case io.ReaderAt:
		r = f
	default:
		n, err := io.Copy(s, f)
		if err == nil && n != e.Size {
			err = fail("changed while converting: %d bytes, was %d", n, e.Size)
		}
		return err
	}
	if err := s.CopyRange(r, off, e.Size); err != nil {
		return fail("copy: %v", err)
	}
	return nil
}

// WriteTar writes the plan as a tar archive: fixed order, mode, owner and time.
// Headers are framed here and contents go straight to the sink, so a sink can
// copy source ranges without Go touching them.
func (p *Plan) WriteTar(s Sink) error {
	mtime := p.modTime
	if mtime.IsZero() {
		mtime = time.Unix(0, 0)
	}
	for i := range p.Entries {
		e := &p.Entries[i]
		hdr := &tar.Header{Name: e.Name, Typeflag: e.Type, Linkname: e.Linkname, Mode: e.Mode(),
			ModTime: mtime.UTC(), Format: tar.FormatPAX}
		if e.Type == tar.TypeDir {
			hdr.Name += "/"
		}
		if e.Type == tar.TypeReg {
			hdr.Size = e.Size
		}
		if len(hdr.Name) < 100 && len(hdr.Linkname) < 100 {
			hdr.Format = tar.FormatUSTAR
		}
		var hb bytes.Buffer
		if err := tar.NewWriter(&hb).WriteHeader(hdr); err != nil {
			return fmt.Errorf("%s: %w", e.Name, err)
		}
		if _, err := s.Write(hb.Bytes()); err != nil {
			return err
		}
		if e.Type != tar.TypeReg {
			continue
		}
		if err := p.WriteContent(e, s); err != nil {
			return err
		}
		if pad := (512 - e.Size%512) % 512; pad > 0 {
			if _, err := s.Write(make([]byte, pad)); err != nil {
				return err
			}
		}
	}
	_, err := s.Write(make([]byte, 1024))
	return err
}

// TarSize is the exact size WriteTar will produce, for progress.
func (p *Plan) TarSize() int64 {
	var n int64 = 1024
	for _, e := range p.Entries {
		n += 512
		if len(e.Name)+1 >= 100 || len(e.Linkname) >= 100 {
			n += 1536 // a PAX header block set; an estimate for progress only
		}
		n += (e.Size + 511) / 512 * 512
	}
	return n
}

// blobPath is where an OCI layout keeps a digest.
func blobPath(d digest.Digest) string {
	return path.Join("blobs", d.Algorithm().String(), d.Encoded())
}

// collect lists the distinct blobs below the images, sorted by digest.
func collect(out []outImage) []*Blob {
	byDigest := map[digest.Digest]*Blob{}
	for _, o := range out {
		_ = o.root.walk(func(n *Node) error {
			if n.Blob != nil {
				byDigest[n.Blob.Digest] = n.Blob
			}
			return nil
		})
	}
	blobs := make([]*Blob, 0, len(byDigest))
	for _, b := range byDigest {
		blobs = append(blobs, b)
	}
	sort.Slice(blobs, func(i, j int) bool { return blobs[i].Digest < blobs[j].Digest })
	return blobs
}

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", v, err)) // only retar's own types are marshalled
	}
	return b
}

// ociEntries lays out an OCI image layout: each name of each image is its own
// index.json entry, with the full name in both name annotations; with hybrid,
// a docker manifest.json points into the blobs so docker load takes it too.
func (p *Plan) ociEntries(out []outImage, hybrid bool, opts Options) error {
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{}}
	idx.SchemaVersion = 2
	for _, o := range out {
		base := o.root.Desc
		base.Annotations = map[string]string{}
		for k, v := range o.root.Desc.Annotations {
			if k != AnnotationContainerdName && k != ocispec.AnnotationRefName {
				base.Annotations[k] = v
			}
		}
		if len(o.names) == 0 {
			d := base
			if len(d.Annotations) == 0 {
				d.Annotations = nil
			}
			idx.Manifests = append(idx.Manifests, d)
		}
		for _, n := range o.names {
			d := base
			d.Annotations = map[string]string{ocispec.AnnotationRefName: n.String()}
			for k, v := range base.Annotations {
				d.Annotations[k] = v
			}
			if n.Ref != nil {
				d.Annotations[AnnotationContainerdName] = n.Ref.String()
			}
			idx.Manifests = append(idx.Manifests, d)
		}
	}
	p.addData("oci-layout", marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion}))
	p.addData("index.json", marshal(idx))
	legacy := newLegacyDirs()
	if hybrid {
		var entries dockerManifest
		for _, o := range out {
			var ws []string
			m, err := o.src.pickManifest(o.root, opts, &ws)
			if err != nil || !complete(m) {
				p.warnf("%s: no docker manifest.json entry (%s): docker load will not see it", o.root.Desc.Digest, reasonNoDocker(err))
				continue
			}
			p.Warnings = append(p.Warnings, ws...)
			p.warnZstd(m)
			p.warnRepoTags(o.names)
			e := dockerManifestEntry(m, o.names, blobPathOf)
			legacy.add(m, o.names, e.Layers)
			entries.add(e)
		}
		if len(entries.list) > 0 {
			p.addData("manifest.json", marshal(entries.list))
		}
		legacy.addRepositories(p)
	}
	defer legacy.addDirs(p) // after the blobs their layer.tar links point to
	blobs := collect(out)
	dirs := map[string]bool{}
	p.addDir("blobs")
	for _, b := range blobs {
		if d := path.Dir(blobPath(b.Digest)); !dirs[d] {
			dirs[d] = true
			p.addDir(d)
		}
	}
	for _, b := range blobs {
		p.addBlob(blobPath(b.Digest), b)
	}
	return nil
}

func reasonNoDocker(err error) string {
	if err != nil {
		return err.Error()
	}
	return "its config or layers are not in the source"
}

// complete reports whether a manifest's config and layers are all present.
func complete(m *Node) bool {
	for _, c := range m.Children {
		if c.Blob == nil {
			return false
		}
	}
	return true
}

// warnZstd says which loaders cannot read zstd layers (docker gained them in
// 23.0, moby #41759; docker 20.10 fails with "unexpected EOF", measured here).
func (p *Plan) warnZstd(m *Node) {
	for _, l := range m.layers() {
		if c, ok := compressionOf(l.Desc.MediaType); ok && c == Zstd {
			p.warnf("image %s has zstd layers: docker load before 23.0 cannot read them (containerd 1.5+ and podman can)", m.config().Desc.Digest)
			return
		}
	}
}

func (p *Plan) warnRepoTags(names []Name) {
	for _, n := range names {
		if n.RepoTag() == "" {
			p.warnf("%q cannot be a docker RepoTag (a tagged docker reference): docker's manifest.json leaves it out", n.String())
		}
	}
}

// dockerManifest is a docker manifest.json being built: an entry per image,
// an image two index entries list loaded once with the names of both.
type dockerManifest struct {
	list  []dockerEntry
	byKey map[string]int          // config and layers -> entry
	tags  map[int]map[string]bool // tags each entry has
}

func (d *dockerManifest) add(e dockerEntry) {
	if d.byKey == nil {
		d.byKey, d.tags = map[string]int{}, map[int]map[string]bool{}
	}
	key := e.Config + "\n" + strings.Join(e.Layers, "\n")
	i, ok := d.byKey[key]
	if !ok {
		i = len(d.list)
		d.byKey[key] = i
		d.tags[i] = map[string]bool{}
		d.list = append(d.list, dockerEntry{Config: e.Config, RepoTags: []string{}, Layers: e.Layers, LayerSources: e.LayerSources})
	}
	for _, t := range e.RepoTags {
		if !d.tags[i][t] {
			d.tags[i][t] = true
			d.list[i].RepoTags = append(d.list[i].RepoTags, t)
		}
	}
}

// dockerManifestEntry is a manifest.json entry for an image manifest whose
// config and layers the archive holds at the paths name gives.
func dockerManifestEntry(m *Node, names []Name, name func(n *Node, config bool) string) dockerEntry {
	e := dockerEntry{Config: name(m.config(), true), RepoTags: repoTags(names), Layers: []string{}}
	for _, l := range m.layers() {
		e.Layers = append(e.Layers, name(l, false))
	}
	return e
}

// blobPathOf names a node where an OCI layout keeps it.
func blobPathOf(n *Node, _ bool) string { return blobPath(n.Desc.Digest) }

// dockerFileName names a node where a docker-archive keeps it: the config
// "<hex>.json", a layer "<hex>.tar" with its compression's extension.
func dockerFileName(n *Node, config bool) string {
	if config {
		return n.Desc.Digest.Encoded() + ".json"
	}
	return n.Desc.Digest.Encoded() + layerExt(n)
}

func repoTags(names []Name) []string {
	tags := []string{}
	for _, n := range names {
		if t := n.RepoTag(); t != "" {
			tags = append(tags, t)
		}
	}
	return tags
}

// dockerEntries lays out a docker-archive as skopeo and docker ≤ 24 do: config
// "<hex>.json", layers as they are ("<digest hex>.tar", ".tar.gz", ".tar.zst"),
// manifest.json, and for old loaders "repositories" and v1 layer directories
// whose layer.tar links to the layer file.
func (p *Plan) dockerEntries(out []outImage) error {
	var entries dockerManifest
	legacy := newLegacyDirs()
	files := map[string]*Blob{}
	for _, o := range out {
		m := o.root
		cfg := m.config()
		p.warnZstd(m)
		e := dockerManifestEntry(m, o.names, dockerFileName)
		p.warnRepoTags(o.names)
		files[e.Config] = cfg.Blob
		for j, l := range m.layers() {
			if isForeign(l.Desc) {
				// docker keys LayerSources by diff_id; the file may be absent.
				if e.LayerSources == nil {
					e.LayerSources = map[digest.Digest]ocispec.Descriptor{}
				}
				e.LayerSources[cfg.Config.RootFS.DiffIDs[j]] = l.Desc
			}
			if l.Blob != nil {
				files[e.Layers[j]] = l.Blob
			}
		}
		legacy.add(m, o.names, e.Layers)
		entries.add(e)
	}
	p.addData("manifest.json", marshal(entries.list))
	legacy.addRepositories(p)
	for _, name := range sortedKeys(files) {
		p.addBlob(name, files[name])
	}
	legacy.addDirs(p)
	return nil
}

// legacyDirs are what loaders before docker 1.10 read: a v1 directory per
// layer (VERSION, json, layer.tar linking to the layer file) and a
// repositories file naming each image's top layer.
type legacyDirs struct {
	repos map[string]map[string]string
	dirs  map[string]v1dir
}

type v1dir struct{ json, layer string }

func newLegacyDirs() *legacyDirs {
	return &legacyDirs{repos: map[string]map[string]string{}, dirs: map[string]v1dir{}}
}

// add records an image manifest's layers, whose files in the archive are
// layerFiles, and its tagged names.
func (l *legacyDirs) add(m *Node, names []Name, layerFiles []string) {
	cfg := m.config()
	parent := ""
	layers := m.layers()
	for j := range layers {
		top := j == len(layers)-1
		id := v1ID(parent, cfg.Config.RootFS.DiffIDs[j], cfg.Desc.Digest, top)
		l.dirs[id] = v1dir{json: string(v1LayerJSON(id, parent, cfg.Blob, top)), layer: layerFiles[j]}
		parent = id
	}
	for _, n := range names {
		if t, ok := n.Ref.(reference.NamedTagged); ok && n.RepoTag() != "" && parent != "" {
			if l.repos[t.Name()] == nil {
				l.repos[t.Name()] = map[string]string{}
			}
			l.repos[t.Name()][t.Tag()] = parent
		}
	}
}

func (l *legacyDirs) addRepositories(p *Plan) {
	if len(l.repos) > 0 {
		p.addData("repositories", marshal(l.repos))
	}
}

func (l *legacyDirs) addDirs(p *Plan) {
	for _, id := range sortedKeys(l.dirs) {
		d := l.dirs[id]
		p.addDir(id)
		p.addData(id+"/VERSION", []byte("1.0"))
		p.addData(id+"/json", []byte(d.json))
		p.Entries = append(p.Entries, Entry{Name: id + "/layer.tar", Type: tar.TypeSymlink, Linkname: "../" + d.layer})
	}
}

func layerExt(l *Node) string {
	c, _ := compressionOf(l.Desc.MediaType)
	if l.Blob != nil {
		c = l.Blob.compression
	}
	switch c {
	case Gzip:
		return ".tar.gz"
	case Zstd:
		return ".tar.zst"
	}
	return ".tar"
}

// v1ID names a legacy layer directory: a hash of its parent's id and its
// diff_id, and for the top layer the config digest, so ids are stable.
func v1ID(parent string, diffID, config digest.Digest, top bool) string {
	s := parent + " " + diffID.String()
	if top {
		s += " " + config.String()
	}
	return digest.FromString(s).Encoded()
}

// v1LayerJSON is a legacy layer's json: id and parent, and for the top layer
// the image config without rootfs and history, as docker wrote them.
func v1LayerJSON(id, parent string, cfg *Blob, top bool) []byte {
	m := map[string]json.RawMessage{}
	if top && cfg.data != nil {
		_ = json.Unmarshal(cfg.data, &m)
	} else if top {
		if f, err := cfg.open(); err == nil {
			_ = json.NewDecoder(io.LimitReader(f, MaxConfigSize)).Decode(&m)
			f.Close()
		}
	}
	delete(m, "rootfs")
	delete(m, "history")
	m["id"] = marshal(id)
	if parent != "" {
		m["parent"] = marshal(parent)
	}
	if _, ok := m["created"]; !ok {
		m["created"] = marshal("1970-01-01T00:00:00Z")
	}
	return marshal(m)
}

// dirEntries lays out a containers/image dir: version, manifest.json (the
// manifest's bytes, unchanged where they need not change), blobs by hex. An
// index (--all-platforms) is manifest.json and its manifests are
// "<hex>.manifest.json", as skopeo copy --all writes them.
func (p *Plan) dirEntries(o outImage) error {
	p.addData("version", []byte(DirVersion))
	p.addBlob("manifest.json", o.root.Blob)
	var manifests []*Node
	if o.root.Index != nil {
		for _, c := range o.root.Children {
			switch {
			case c.Index != nil:
				return fmt.Errorf("%s: a dir: layout holds one level of index, and %s nests %s%.0w", o.src.Source, o.root.Desc.Digest, c.Desc.Digest, ErrUsage)
			case c.Blob == nil:
				p.warnf("%s (%s) is not in the source; the index still lists it", c.Desc.Digest, platformString(c.Desc.Platform))
			default:
				manifests = append(manifests, c)
			}
		}
	}
	seen := map[digest.Digest]bool{}
	manifests = slices.DeleteFunc(manifests, func(m *Node) bool { // listed twice, written once
		dup := seen[m.Desc.Digest]
		seen[m.Desc.Digest] = true
		return dup
	})
	for _, m := range manifests {
		if m.Desc.Digest.Algorithm() != digest.SHA256 {
			return fmt.Errorf("%s: a dir: layout names blobs by sha256 only%.0w", m.Desc.Digest, ErrUsage)
		}
		p.addBlob(m.Desc.Digest.Encoded()+".manifest.json", m.Blob)
	}
	var below []*Node
	if o.root.Index == nil {
		below = o.root.Children
	}
	for _, m := range manifests {
		below = append(below, m.Children...)
	}
	for _, b := range collect([]outImage{{root: &Node{Children: below}}}) {
		if b.Digest.Algorithm() != digest.SHA256 {
			return fmt.Errorf("%s: a dir: layout names blobs by sha256 only%.0w", b.Digest, ErrUsage)
		}
		p.addBlob(b.Digest.Encoded(), b)
	}
	return nil
}
