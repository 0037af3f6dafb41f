package convert

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Options say what to make of a source.
type Options struct {
	To        Layout
	Pick      string   // ":REF" or ":@N" of the source, without the colon; "" for all
	Names     []string // the destination reference: replaces the image's names
	Tags      []string // names added to the image
	Platforms []ocispec.Platform
	// AllPlatforms keeps every platform of an index where a destination
	// would otherwise take one (docker-archive, dir).
	AllPlatforms bool
	// Host is the platform taken from an index when the destination holds one
	// manifest per image and Platforms is empty (the CLI: linux/GOARCH).
	Host      ocispec.Platform
	OCIStrict bool // oci-archive without the docker manifest.json
	// KeepAbsent keeps index entries whose manifests the source lacks;
	// by default they are left out (with a notice), so importers that fetch
	// every platform (ctr import --all-platforms) do not fail on them.
	KeepAbsent bool
	ModTime    time.Time // of every tar entry; zero means the Unix epoch
	Format     Format    // manifest family of the output; FormatKeep keeps the source's

	// Recompress re-encodes layers into Compress (at CompressLevel, 0 for the
	// default); layers already so are copied. Re-encoded layers go to Spill.
	Recompress    bool
	Compress      Compression
	CompressLevel int
	Spill         func() (Spill, error)

	Hashing Hashing
}

// Select returns the images a pick names: all of them for "", the N-th for
// "@N", those carrying a name otherwise. A name two images carry is ambiguous.
func (a *Archive) Select(pick string) ([]*Image, error) {
	if pick == "" {
		return a.Images, nil
	}
	if strings.HasPrefix(pick, "@") {
		i, err := strconv.Atoi(pick[1:])
		if err != nil || i < 0 || i >= len(a.Images) {
			return nil, fmt.Errorf("%s: no image %s: the source holds %d (@0 to @%d)%.0w", a.Source, pick, len(a.Images), len(a.Images)-1, ErrUsage)
		}
		return a.Images[i : i+1], nil
	}
	var found []*Image
	p := newNamePicker(pick)
	for _, img := range a.Images {
		for _, n := range img.Names {
			if p.matches(n) {
				found = append(found, img)
				break
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%s: no image named %q; it holds %s%.0w", a.Source, pick, a.describeImages(), ErrUsage)
	case 1:
		return found, nil
	}
	return nil, fmt.Errorf("%s: %q is ambiguous: %d images carry it; pick one with :@N (%s)%.0w", a.Source, pick, len(found), a.describeImages(), ErrUsage)
}

// describeImages lists the images for an error message: "@0 (a:1, b:2), @1 (no name)".
func (a *Archive) describeImages() string {
	var parts []string
	for i, img := range a.Images {
		var names []string
		for _, n := range img.Names {
			names = append(names, n.String())
		}
		s := "no name"
		if len(names) > 0 {
			s = strings.Join(names, ", ")
		}
		parts = append(parts, fmt.Sprintf("@%d (%s)", i, s))
	}
	return strings.Join(parts, ", ")
}

// Resolve gives every image read from a docker manifest.json its manifest,
// hashing their layers (once) on the way.
func (a *Archive) Resolve(ctx context.Context, images []*Image, h Hashing) error {
	var layers []*Blob
	for _, img := range images {
		if img.docker != nil {
			layers = append(layers, img.docker.layers...)
		}
	}
	if err := a.hashBlobs(ctx, layers, h); err != nil {
		return err
	}
	for _, img := range images {
		if err := a.resolveDocker(img); err != nil {
			return err
		}
	}
	return nil
}

// outImage is an image as it will be written.
type outImage struct {
	names      []Name
	root       *Node
	fromDocker bool     // its manifest was derived from a docker manifest.json
	src        *Archive // where it comes from
	img        *Image
	index      int // in its source, for messages
}

// checkLevel refuses compression levels the encoders would silently clamp
// or take to mean something else (gzip -2 is Huffman-only).
func checkLevel(o Options) error {
	if o.CompressLevel == 0 {
		return nil
	}
	switch {
	case !o.Recompress || o.Compress == Uncompressed:
		return fmt.Errorf("a compression level needs --compress gzip or zstd%.0w", ErrUsage)
	case o.Compress == Gzip && (o.CompressLevel < 1 || o.CompressLevel > 9):
		return fmt.Errorf("gzip levels are 1 to 9, not %d%.0w", o.CompressLevel, ErrUsage)
	case o.Compress == Zstd && (o.CompressLevel < 1 || o.CompressLevel > 22):
		return fmt.Errorf("zstd levels are 1 to 22, not %d%.0w", o.CompressLevel, ErrUsage)
	}
	return nil
}

// errNotImage marks an artifact (a Helm chart, a signature, an SBOM) where
// a destination takes container images only.
var errNotImage = errors.New("not a container image")

// holder names what takes one image manifest per image, for messages.
func holder(to Layout) string {
	switch to {
	case Dir:
		return "a dir: layout"
	case DockerArchive:
		return "a docker-archive"
	}
	return "docker's manifest.json"
}

func anyPlatform(p *ocispec.Platform, want []ocispec.Platform) bool {
	for _, w := range want {
		if platformMatches(p, w) {
			return true
		}
	}
	return false
}

func platformList(ps []ocispec.Platform) string {
	var s []string
	for _, p := range ps {
		s = append(s, platformString(&p))
	}
	return strings.Join(s, ", ")
}

// Convert plans the conversion of a source into the layout opts.To: it picks
// images and platforms, sets names, writes whatever manifests must change, and
// verifies every blob the output will hold. Nothing is written yet.
func (a *Archive) Convert(ctx context.Context, opts Options) (*Plan, error) {
	return Bundle(ctx, []Source{{Archive: a, Pick: opts.Pick}}, opts)
}

// Source is one source of a bundle: an opened archive and the images picked
// from it (":REF", ":@N", or "" for all).
type Source struct {
	Archive *Archive
	Pick    string
}

// Bundle plans one output from several sources: every picked image with all
// its names, blobs the images share stored once. A name two sources give to
// different images is an error naming both. Several sources into a
// docker-archive make the hybrid (an OCI layout with a docker manifest.json
// entry per image), which docker, containerd and podman all load.
func Bundle(ctx context.Context, sources []Source, opts Options) (*Plan, error) {
	if err := checkLevel(opts); err != nil {
		return nil, err
	}
	if len(sources) == 0 {
		return nil, fmt.Errorf("no source%.0w", ErrUsage)
	}
	var out []outImage
	for _, s := range sources {
		images, err := s.Archive.Select(s.Pick)
		if err != nil {
			return nil, err
		}
		for _, img := range images {
			out = append(out, outImage{src: s.Archive, img: img, index: slices.Index(s.Archive.Images, img), names: img.Names})
		}
	}
	if len(out) > 1 && (len(opts.Names) > 0 || len(opts.Tags) > 0 || opts.To == Dir) {
		what := "names and tags apply to one image"
		if opts.To == Dir {
			what = "a dir: layout holds one"
		}
		if len(sources) == 1 {
			a := sources[0].Archive
			return nil, fmt.Errorf("%s holds %d images (%s): %s; pick it with :@N or :NAME%.0w", a.Source, len(out), a.describeImages(), what, ErrUsage)
		}
		return nil, fmt.Errorf("%d images from %d sources: %s%.0w", len(out), len(sources), what, ErrUsage)
	}
	// Layers of docker-archive images are re-encoded before they are
	// resolved: the re-encoding pass hashes them, so they are read once.
	reencoded := map[*Blob]*Blob{}
	for _, s := range sources {
		var images []*Image
		var dl []*Blob
		for _, o := range out {
			if o.src == s.Archive {
				images = append(images, o.img)
				if o.img.docker != nil {
					dl = append(dl, o.img.docker.layers...)
				}
			}
		}
		if opts.Recompress {
			if _, err := s.Archive.recompress(ctx, dl, reencoded, opts); err != nil {
				return nil, err
			}
		}
		if err := s.Archive.Resolve(ctx, images, opts.Hashing); err != nil {
			return nil, err
		}
	}
	p := &Plan{Layout: opts.To, modTime: opts.ModTime}
	if opts.Format != FormatKeep && opts.To == DockerArchive && !opts.AllPlatforms && len(sources) == 1 {
		p.warnf("--format has no effect on a docker-archive, which stores no manifest")
	}
	kept := out[:0]
	for _, o := range out {
		o.root = o.img.Root
		if len(opts.Names) > 0 {
			o.names = nil
		}
		for _, s := range append(append([]string(nil), opts.Names...), opts.Tags...) {
			n, err := ParseName(s)
			if err != nil {
				return nil, fmt.Errorf("%w%.0w", err, ErrUsage)
			}
			o.names = append(o.names, n)
		}
		o.names = uniqueNames(o.names)
		single := (opts.To == DockerArchive && len(sources) == 1 || opts.To == Dir) && !(opts.AllPlatforms && o.root.Index != nil)
		if single {
			m, err := o.src.pickManifest(o.root, opts, &p.Warnings)
			if errors.Is(err, errNotImage) && len(out) > 1 {
				p.warnf("image %s left out: %v", o.label(len(sources)), err)
				continue
			}
			if err != nil {
				return nil, err
			}
			o.root = m // a dir: keeps it as it is; a docker-archive stores none
		} else if len(opts.Platforms) > 0 && o.root.Manifest != nil && isImageManifest(o.root) {
			if pl := platformOf(o.root); !anyPlatform(pl, opts.Platforms) {
				return nil, fmt.Errorf("%s: image @%d is %s only, not %s%.0w", o.src.Source, o.index, platformString(pl), platformList(opts.Platforms), ErrUsage)
			}
		}
		o.fromDocker = o.img.derived
		kept = append(kept, o)
	}
	out = kept
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no container image to write into a %s%.0w", sources[0].Archive.Source, opts.To, ErrUsage)
	}
	out, err := mergeImages(out, len(sources))
	if err != nil {
		return nil, err
	}
	for _, o := range out {
		warnNames(p, o, len(sources), opts.To)
	}
	var layers map[digest.Digest]*Blob // re-encoded layers, by source digest
	if opts.Recompress {
		for _, s := range sources {
			var roots []*Node
			for _, o := range out {
				if o.src == s.Archive {
					roots = append(roots, o.root)
				}
			}
			if _, err := s.Archive.recompress(ctx, layerBlobs(roots), reencoded, opts); err != nil {
				return nil, err
			}
		}
		layers = map[digest.Digest]*Blob{}
		for src, nb := range reencoded {
			layers[src.Digest] = nb
		}
	}
	rewriters := map[Format]*rewriter{}
	hybridDocker := opts.To == DockerArchive && (opts.AllPlatforms || len(sources) > 1)
	for i := range out {
		f := opts.Format
		ociLayout := opts.To == OCI || opts.To == OCIArchive || hybridDocker
		if f == FormatKeep && out[i].fromDocker && ociLayout {
			// docker-archive sources have no manifest of their own; OCI
			// layouts get an OCI one, as skopeo and docker 25+ write.
			f = FormatOCI
		}
		r := rewriters[f]
		if r == nil {
			r = &rewriter{format: f, layers: layers, notices: &p.Warnings, keepAbsent: opts.KeepAbsent}
			if opts.To == OCI || opts.To == OCIArchive || opts.AllPlatforms || hybridDocker {
				r.platforms = opts.Platforms
			}
			rewriters[f] = r
		}
		root, err := r.node(out[i].root)
		if err != nil {
			return nil, err
		}
		if root.Index != nil && len(root.Children) == 0 && len(out[i].root.Children) > 0 {
			return nil, fmt.Errorf("%s: image @%d has no image for %s; it has %s: choose one with --platform%.0w", out[i].src.Source, out[i].index, platformList(opts.Platforms), strings.Join(platformsIn(out[i].root), ", "), ErrUsage)
		}
		out[i].root = root
		if err := out[i].src.checkComplete(root, opts.To, &p.Warnings); err != nil {
			return nil, err
		}
	}
	for _, s := range sources {
		var blobs []*Blob
		for _, o := range out {
			if o.src == s.Archive {
				_ = o.root.walk(func(n *Node) error {
					blobs = append(blobs, n.Blob)
					return nil
				})
			}
		}
		if err := s.Archive.hashBlobs(ctx, blobs, opts.Hashing); err != nil {
			return nil, err
		}
	}
	switch {
	case opts.To == OCI || opts.To == OCIArchive:
		err = p.ociEntries(out, opts.To == OCIArchive && !opts.OCIStrict, opts)
	case hybridDocker:
		if len(sources) > 1 {
			p.warnf("a bundle of several sources is written as docker 25+ writes an archive: an OCI layout with a docker manifest.json entry per image, which docker, containerd and podman all load")
		} else {
			p.warnf("--all-platforms: the docker-archive is written as docker 25+ writes one, an OCI layout with index.json and a docker manifest.json for the host platform")
		}
		err = p.ociEntries(out, true, opts)
	case opts.To == DockerArchive:
		err = p.dockerEntries(out)
	case opts.To == Dir:
		err = p.dirEntries(out[0])
	default:
		err = fmt.Errorf("unknown destination layout %q%.0w", opts.To, ErrUsage)
	}
	if err == nil {
		err = p.checkNames()
	}
	if err != nil {
		return nil, err
	}
	for _, o := range out {
		var names []string
		for _, n := range o.names {
			names = append(names, n.String())
		}
		pi := PlannedImage{Names: names, Digest: o.root.Desc.Digest.String(), MediaType: o.root.Desc.MediaType}
		if c := o.root.config(); c != nil {
			pi.ID = c.Desc.Digest.String()
		}
		if opts.To == DockerArchive && !hybridDocker { // it stores no manifest
			pi.Digest, pi.MediaType = "", ""
		}
		p.Images = append(p.Images, pi)
	}
	return p, nil
}

// label names an output image in messages: "@2", or "b.tar@2" in a bundle.
func (o outImage) label(sources int) string {
	if sources > 1 {
		return fmt.Sprintf("%s@%d", o.src.Source, o.index)
	}
	return fmt.Sprintf("@%d", o.index)
}

// mergeImages makes one output image of the same image picked twice (two
// sources, or an index.json listing it under two names), and refuses a name
// that two sources give to different images.
func mergeImages(out []outImage, sources int) ([]outImage, error) {
	var merged []outImage
	byRoot := map[digest.Digest]int{}
	owner := map[string]int{}
	for _, o := range out {
		if i, ok := byRoot[o.identity()]; ok && sources > 1 {
			merged[i].names = append(merged[i].names, o.names...)
			for _, n := range o.names {
				owner[n.String()] = i
			}
			continue
		}
		for _, n := range o.names {
			if j, ok := owner[n.String()]; ok && merged[j].src != o.src && merged[j].identity() != o.identity() {
				return nil, fmt.Errorf("%q names two different images: %s (%s) and %s (%s)%.0w", n.String(),
					merged[j].label(sources), merged[j].root.Desc.Digest, o.label(sources), o.root.Desc.Digest, ErrUsage)
			}
		}
		byRoot[o.identity()] = len(merged)
		for _, n := range o.names {
			owner[n.String()] = len(merged)
		}
		merged = append(merged, o)
	}
	for i := range merged {
		merged[i].names = uniqueNames(merged[i].names)
	}
	return merged, nil
}

// identity is what makes two picked images the same image: the config
// (docker's image ID) for a single manifest, whatever manifest bytes carry
// it (docker save and podman save write the same image differently); the
// index digest for an index.
func (o outImage) identity() digest.Digest {
	if c := o.root.config(); c != nil {
		return c.Desc.Digest
	}
	return o.root.Desc.Digest
}

// warnNames says what loaders will make of an output image's names.
func warnNames(p *Plan, o outImage, sources int, to Layout) {
	if !to.IsArchive() {
		return
	}
	if len(o.names) == 0 {
		p.warnf("image %s has no name: ctr images import will register nothing from it; give one with -t NAME", o.label(sources))
		return
	}
	if !allRaw(o.names) {
		return
	}
	p.warnf("image %s is named only by the tag %q: ctr images import registers it as import-YYYY-MM-DD:%s; give a full name with -t NAME or DST:NAME", o.label(sources), o.names[0].Raw, o.names[0].Raw)
}

// checkComplete fails when content the destination needs is absent: the
// config and every non-foreign layer of each manifest written. Manifests an
// index lists but the source lacks are left out of OCI outputs with a notice.
func (a *Archive) checkComplete(root *Node, to Layout, warnings *[]string) error {
	return root.walk(func(n *Node) error {
		if n.Blob == nil {
			return nil // reported by the parent
		}
		for i, c := range n.Children {
			if c.Blob != nil {
				continue
			}
			switch {
			case n.Index != nil:
				*warnings = append(*warnings, fmt.Sprintf("%s lists %s (%s) but the source does not hold it; kept in the index (--keep-absent)", n.Desc.Digest, c.Desc.Digest, platformString(c.Desc.Platform)))
			case i > 0 && isForeign(c.Desc):
				*warnings = append(*warnings, fmt.Sprintf("foreign layer %s is not in the source: its descriptor is kept, without its bytes", c.Desc.Digest))
			default:
				return &MissingError{Source: a.Source, Digest: c.Desc.Digest, By: "manifest " + n.Desc.Digest.String()}
			}
		}
		return nil
	})
}

func platformString(p *ocispec.Platform) string {
	if p == nil {
		return "no platform"
	}
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// ParsePlatform reads "os/arch[/variant]".
func ParsePlatform(s string) (ocispec.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return ocispec.Platform{}, fmt.Errorf("invalid platform %q: want os/arch[/variant]%.0w", s, ErrUsage)
	}
	p := ocispec.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// platformOf is a manifest's platform: its descriptor's, else its config's.
func platformOf(n *Node) *ocispec.Platform {
	if n.Desc.Platform != nil {
		return n.Desc.Platform
	}
	if c := n.config(); c != nil && c.Config != nil {
		return c.Config.Platform()
	}
	return nil
}

func platformMatches(have *ocispec.Platform, want ocispec.Platform) bool {
	if have == nil || have.OS != want.OS || have.Architecture != want.Architecture {
		return false
	}
	return want.Variant == "" || have.Variant == want.Variant || have.Variant == "" && defaultVariant(want.Architecture) == want.Variant
}

func defaultVariant(arch string) string {
	switch arch {
	case "arm64":
		return "v8"
	case "arm":
		return "v7"
	}
	return ""
}

// isAttestation tells BuildKit's attestation manifests, which index entries
// carry as platform unknown/unknown.
func isAttestation(d ocispec.Descriptor) bool {
	return d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" ||
		d.Platform != nil && d.Platform.OS == "unknown" && d.Platform.Architecture == "unknown"
}

// imagesIn lists the image manifests below an index that the source holds,
// and every platform it lists for messages ("linux/arm64 (absent)").
func imagesIn(root *Node) (present []*Node, all []string) {
	_ = root.walk(func(n *Node) error {
		if n.Index != nil || isAttestation(n.Desc) {
			return nil
		}
		p := platformString(platformOf(n))
		if n.Blob == nil {
			all = append(all, p+" (absent)")
			return nil
		}
		if c := n.config(); n.Manifest != nil && c != nil && c.Config.isImage() {
			present = append(present, n)
			all = append(all, p)
		}
		return nil
	})
	return present, all
}

func platformsIn(root *Node) []string {
	_, all := imagesIn(root)
	return all
}

// pickManifest returns the one image manifest a destination holding a single
// manifest per image takes from root: root itself, or the manifest of the
// wanted platform from an index.
func (a *Archive) pickManifest(root *Node, opts Options, warnings *[]string) (*Node, error) {
	if root.Manifest != nil {
		if c := root.config(); c != nil && c.Blob == nil {
			return nil, &MissingError{Source: a.Source, Digest: c.Desc.Digest, By: "manifest " + root.Desc.Digest.String()}
		}
		if c := root.config(); c == nil || !c.Config.isImage() {
			return nil, &LayoutError{Source: a.Source, Reason: fmt.Sprintf("%s is not a container image (its config is %s), and %s holds images only", root.Desc.Digest, root.Manifest.Config.MediaType, holder(opts.To)), Err: errNotImage}
		}
		if pl := platformOf(root); len(opts.Platforms) > 0 && !anyPlatform(pl, opts.Platforms) {
			return nil, fmt.Errorf("%s: %s is %s only, not %s%.0w", a.Source, root.Desc.Digest, platformString(pl), platformList(opts.Platforms), ErrUsage)
		}
		return root, nil
	}
	present, all := imagesIn(root)
	want := opts.Platforms
	if len(want) == 0 {
		if len(present) == 1 {
			return present[0], nil
		}
		want = []ocispec.Platform{opts.Host}
	}
	for _, w := range want {
		for _, n := range present {
			if platformMatches(platformOf(n), w) {
				switch {
				case opts.AllPlatforms:
					*warnings = append(*warnings, fmt.Sprintf("%s: docker's manifest.json lists %s; the index keeps every platform", root.Desc.Digest, platformString(platformOf(n))))
				case len(opts.Platforms) == 0:
					*warnings = append(*warnings, fmt.Sprintf("%s holds several platforms; took %s (choose with --platform)", root.Desc.Digest, platformString(platformOf(n))))
				case len(opts.Platforms) > 1:
					*warnings = append(*warnings, fmt.Sprintf("%s: took %s, the first of the platforms asked for that it has; %s holds one platform per image", root.Desc.Digest, platformString(platformOf(n)), holder(opts.To)))
				}
				return n, nil
			}
		}
	}
	if len(all) == 0 {
		return nil, &LayoutError{Source: a.Source, Reason: fmt.Sprintf("index %s lists no container image, and %s holds images only", root.Desc.Digest, holder(opts.To)), Err: errNotImage}
	}
	return nil, fmt.Errorf("%s: %s has no image for %s; it has %s: choose one with --platform%.0w", a.Source, root.Desc.Digest, platformList(want), strings.Join(all, ", "), ErrUsage)
}

var dockerToOCI = map[string]string{
	MediaTypeDockerConfig:       ocispec.MediaTypeImageConfig,
	MediaTypeDockerLayer:        ocispec.MediaTypeImageLayer,
	MediaTypeDockerLayerGzip:    ocispec.MediaTypeImageLayerGzip,
	MediaTypeDockerForeign:      ocispec.MediaTypeImageLayerNonDistributable,     //nolint:staticcheck
	MediaTypeDockerForeignGzip:  ocispec.MediaTypeImageLayerNonDistributableGzip, //nolint:staticcheck
	MediaTypeDockerManifest:     ocispec.MediaTypeImageManifest,
	MediaTypeDockerManifestList: ocispec.MediaTypeImageIndex,
}

func mapMediaType(mt string, toOCI bool) string {
	for d, o := range dockerToOCI {
		if toOCI && mt == d {
			return o
		}
		if !toOCI && mt == o {
			return d
		}
	}
	return mt
}

// VerifyReport is what Verify found.
type VerifyReport struct {
	Images []PlannedImage
	Blobs  int   // blobs hashed
	Bytes  int64 // bytes hashed
	Absent []string
}

// Verify checks everything the source claims: every blob against its digest
// and size, every layer against its config's diff_id (compressed layers are
// decompressed for it), every reference resolved. Manifests an index lists but
// the archive lacks are reported as absent, not as corruption.
func (a *Archive) Verify(ctx context.Context, h Hashing) (*VerifyReport, error) {
	h.Deep = true
	if err := a.Resolve(ctx, a.Images, h); err != nil {
		return nil, err
	}
	r := &VerifyReport{}
	var blobs []*Blob
	seen := map[*Blob]bool{}
	for _, img := range a.Images {
		err := img.Root.walk(func(n *Node) error {
			if n.Blob == nil {
				if n.Index == nil && n.Manifest == nil {
					r.Absent = append(r.Absent, fmt.Sprintf("%s %s (%s)", n.Desc.Digest, n.Desc.MediaType, platformString(n.Desc.Platform)))
				}
				return nil
			}
			if !seen[n.Blob] {
				seen[n.Blob] = true
				blobs = append(blobs, n.Blob)
				r.Bytes += n.Blob.Size
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		var ws []string
		if err := a.checkComplete(img.Root, OCI, &ws); err != nil {
			return nil, err
		}
		var names []string
		for _, n := range img.Names {
			names = append(names, n.String())
		}
		r.Images = append(r.Images, PlannedImage{Names: names, Digest: img.Root.Desc.Digest.String(), MediaType: img.Root.Desc.MediaType})
	}
	r.Blobs = len(blobs)
	if err := a.hashBlobs(ctx, blobs, h); err != nil {
		return nil, err
	}
	if len(a.Mismatches) > 0 {
		return nil, a.Mismatches[0]
	}
	return r, nil
}
