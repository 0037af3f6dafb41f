// Package selfimage builds retar's own container image: FROM scratch, the
// static binary as its entrypoint, a non-root user and a working directory
// to mount archives into, one manifest per platform under an OCI image
// index, written as an oci-archive by retar's convert package. Nothing is
// asked of a daemon, and the bytes depend only on the inputs: the same
// binaries, names and time give the same archive.
//
// Each platform's image has two gzip layers: the base (/etc/passwd and
// /etc/group naming the user, /tmp, /work), the same blob for every
// platform, and the binary at /usr/bin/retar.
package selfimage

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"testing/fstest"
	"time"

	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/retar-dev/retar/convert"
)

// The user the image runs as (distroless's nonroot), and where the
// entrypoint and the mounted archives are.
const (
	UID        = 65532
	User       = "65532:65532"
	Entrypoint = "/usr/bin/retar"
	WorkDir    = "/work"
)

// Options say what goes into the image.
type Options struct {
	// Binaries maps a platform ("linux/amd64") to its static retar binary.
	Binaries map[string][]byte
	// Names are the image's references; the first is its name, the others
	// are added as tags (convert's name and tag options).
	Names    []string
	Version  string    // org.opencontainers.image.version
	Revision string    // org.opencontainers.image.revision: the commit
	Source   string    // org.opencontainers.image.source: the repository's URL
	Created  time.Time // org.opencontainers.image.created and every file's time
}

// Annotations are the OCI annotations on the index and every manifest,
// and the labels of every config.
func (o Options) Annotations() map[string]string {
	return map[string]string{
		ocispec.AnnotationTitle:       "retar",
		ocispec.AnnotationDescription: "Rewrite container image archives between layouts",
		ocispec.AnnotationVersion:     o.Version,
		ocispec.AnnotationRevision:    o.Revision,
		ocispec.AnnotationSource:      o.Source,
		ocispec.AnnotationCreated:     o.Created.UTC().Format(time.RFC3339),
	}
}

// Write builds the image and writes it to w as an oci-archive. Nothing is
// written when an input is refused.
func Write(ctx context.Context, w io.Writer, o Options) error {
	if len(o.Binaries) == 0 || len(o.Names) == 0 {
		return fmt.Errorf("selfimage: want at least one binary and one name")
	}
	layout, err := Layout(o)
	if err != nil {
		return err
	}
	a, err := convert.Open(convert.Input{Name: "retar's image", Dir: layout})
	if err != nil {
		return fmt.Errorf("selfimage: reading the layout back: %w", err)
	}
	var opts convert.Options
	set := [][2]string{{"to", "oci-archive"}, {"name", o.Names[0]}, {"all-platforms", "true"}}
	for _, t := range o.Names[1:] {
		set = append(set, [2]string{"tag", t})
	}
	for _, kv := range set {
		if err := opts.Set(kv[0], kv[1]); err != nil {
			return fmt.Errorf("selfimage: %s %q: %w", kv[0], kv[1], err)
		}
	}
	opts.ModTime = o.Created
	// docker's manifest.json (the classic store's and podman's way in)
	// holds one manifest per name: linux/amd64's where the image has it.
	opts.Host = ocispec.Platform{OS: "linux", Architecture: "amd64"}
	if _, ok := o.Binaries["linux/amd64"]; !ok {
		opts.Host, _ = convert.ParsePlatform(firstPlatform(o.Binaries))
	}
	plan, err := a.Convert(ctx, opts)
	if err != nil {
		return fmt.Errorf("selfimage: %w", err)
	}
	return plan.WriteTar(convert.WriterSink{Writer: w})
}

// Layout is the image as an OCI layout in memory: index.json names the
// image index, which lists one manifest per platform.
func Layout(o Options) (fstest.MapFS, error) {
	l := &layout{fs: fstest.MapFS{}}
	base, err := baseLayer(o.Created)
	if err != nil {
		return nil, err
	}
	platforms := sortedPlatforms(o.Binaries)
	idx := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex, Annotations: o.Annotations()}
	for _, p := range platforms {
		plat, err := convert.ParsePlatform(p)
		if err != nil {
			return nil, fmt.Errorf("selfimage: platform %q: %w", p, err)
		}
		bin, err := binaryLayer(o.Binaries[p], o.Created)
		if err != nil {
			return nil, err
		}
		desc, err := l.image(o, plat, []layer{base, bin})
		if err != nil {
			return nil, err
		}
		idx.Manifests = append(idx.Manifests, desc)
	}
	idxDesc, err := l.putJSON(ocispec.MediaTypeImageIndex, idx)
	if err != nil {
		return nil, err
	}
	top := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{idxDesc}}
	if err := l.putFile("index.json", top); err != nil {
		return nil, err
	}
	return l.fs, l.putFile(ocispec.ImageLayoutFile, ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})
}

func sortedPlatforms(bins map[string][]byte) []string {
	platforms := make([]string, 0, len(bins))
	for p := range bins {
		platforms = append(platforms, p)
	}
	sort.Strings(platforms)
	return platforms
}

func firstPlatform(bins map[string][]byte) string { return sortedPlatforms(bins)[0] }

type layout struct{ fs fstest.MapFS }

// image puts one platform's config and manifest; the manifest's descriptor.
func (l *layout) image(o Options, plat ocispec.Platform, layers []layer) (ocispec.Descriptor, error) {
	created := o.Created.UTC()
	cfg := ocispec.Image{
		Created:  &created,
		Author:   "retar's selfimage (make dist)",
		Platform: plat,
		Config: ocispec.ImageConfig{
			User:       User,
			Entrypoint: []string{Entrypoint},
			Cmd:        []string{"--help"},
			WorkingDir: WorkDir,
			Env:        []string{"PATH=/usr/bin", "TMPDIR=/tmp"},
			Labels:     o.Annotations(),
		},
		RootFS: ocispec.RootFS{Type: "layers"},
	}
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest, Annotations: o.Annotations()}
	for _, ly := range layers {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, ly.diffID)
		cfg.History = append(cfg.History, ocispec.History{Created: &created, CreatedBy: ly.createdBy})
		m.Layers = append(m.Layers, l.putBlob(ocispec.MediaTypeImageLayerGzip, ly.gz))
	}
	var err error
	if m.Config, err = l.putJSON(ocispec.MediaTypeImageConfig, cfg); err != nil {
		return ocispec.Descriptor{}, err
	}
	desc, err := l.putJSON(ocispec.MediaTypeImageManifest, m)
	desc.Platform = &plat
	return desc, err
}

func (l *layout) putBlob(mediaType string, b []byte) ocispec.Descriptor {
	d := digest.FromBytes(b)
	l.fs["blobs/"+d.Algorithm().String()+"/"+d.Encoded()] = &fstest.MapFile{Data: b, Mode: 0o644}
	return ocispec.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(b))}
}

func (l *layout) putJSON(mediaType string, v any) (ocispec.Descriptor, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("selfimage: %s: %w", mediaType, err)
	}
	return l.putBlob(mediaType, b), nil
}

func (l *layout) putFile(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("selfimage: %s: %w", name, err)
	}
	l.fs[name] = &fstest.MapFile{Data: b, Mode: 0o644}
	return nil
}
