// Command k3s-import does, against a containerd socket, what a k3s (or
// rke2) agent does with the files in its agent/images/ directory, so that
// interop/run.sh can measure k3s's air-gap import without running k3s.
//
//	k3s-import -address SOCK -images DIR
//
// k3s's module is not on the Go module proxy, so its code cannot be built
// here; this program follows what it does, as read in k3s's
// pkg/agent/containerd (containerd.go, watcher.go; k3s main, 2026):
//
//   - Which files: every file under DIR (subdirectories too: the watcher
//     lists and enqueues a directory's entries) whose name ends,
//     case-sensitively, in one of wharfie's tarfile.SupportedExtensions
//     (.tar .tar.lz4 .tar.bz2 .tbz .tar.gz .tgz .tar.zst .tzst) or .txt.
//     A .txt file is a list of images to pull through CRI: reported, not run
//     (no registry here). Anything else is ignored.
//   - How it is read: wharfie's tarfile.GetOpener, as k3s calls it (gzip,
//     bzip2, lz4, and zstd with the decoder's memory, hence its window,
//     capped at tarfile.MaxDecoderMemory = 32 MiB).
//   - The import: containerd's client Import in namespace k8s.io with
//     WithAllPlatforms(true) and WithSkipMissing(), at the containerd
//     version this module pins (go.mod). That importer reads index.json
//     when oci-layout is there (manifest.json is then ignored), and creates
//     an image only for an index entry with a name (io.containerd.image.name,
//     else org.opencontainers.image.ref.name): an unnamed image is dropped.
//   - After the import, as k3s does: pin every image (labels
//     io.cattle.k3s.pinned and io.cri-containerd.pinned), add a NAME@DIGEST
//     reference for every image whose name parses as a tagged docker
//     reference (no airgap-extra-registry here), and label the content with
//     its distribution source. A name that is not a tagged reference (a
//     bare tag "1.0" read as repository docker.io/library/1.0) fails that
//     step with k3s's message; the image stays imported.
//
// Files are imported one after the other, in lexical order. One JSON line
// per file on stdout: file, action (imported, failed, ignored, not-run),
// images (the names Import created), refs (the references added after),
// error (k3s's message, wrapped as k3s wraps it).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/pkg/labels"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/rancher/wharfie/pkg/tarfile"
)

// The labels k3s pins imported images with (its program name is k3s; rke2
// writes io.cattle.rke2.pinned).
const (
	k3sPinnedLabel = "io.cattle.k3s.pinned"
	criPinnedLabel = "io.cri-containerd.pinned"
	pinned         = "pinned"
	k8sNamespace   = "k8s.io"
)

type fileResult struct {
	File   string   `json:"file"`
	Action string   `json:"action"`
	Images []string `json:"images"`
	Refs   []string `json:"refs"`
	Error  string   `json:"error,omitempty"`
}

func main() {
	address := flag.String("address", "", "containerd socket")
	dir := flag.String("images", "", "the agent/images directory")
	flag.Parse()
	if *address == "" || *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: k3s-import -address SOCK -images DIR")
		os.Exit(2)
	}
	client, err := containerd.New(*address)
	if err != nil {
		fmt.Fprintln(os.Stderr, "k3s-import:", err)
		os.Exit(1)
	}
	defer client.Close()
	ctx := namespaces.WithNamespace(context.Background(), k8sNamespace)

	var files []string
	err = filepath.WalkDir(*dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "k3s-import:", err)
		os.Exit(1)
	}
	sort.Strings(files)
	enc := json.NewEncoder(os.Stdout)
	for _, f := range files {
		r := preload(ctx, client, f)
		r.File, _ = filepath.Rel(*dir, f)
		if err := enc.Encode(r); err != nil {
			fmt.Fprintln(os.Stderr, "k3s-import:", err)
			os.Exit(1)
		}
	}
}

// supported is k3s's watcher test: a case-sensitive suffix match.
func supported(path string) bool {
	for _, ext := range append(append([]string{}, tarfile.SupportedExtensions...), ".txt") {
		if strings.HasSuffix(path, ext) {
			return true
		}
	}
	return false
}

func preload(ctx context.Context, client *containerd.Client, path string) fileResult {
	res := fileResult{Images: []string{}, Refs: []string{}}
	if !supported(path) {
		res.Action = "ignored"
		return res
	}
	if strings.HasSuffix(strings.ToLower(path), ".txt") {
		res.Action = "not-run"
		res.Error = "a .txt file lists images to pull through CRI: no registry here"
		return res
	}
	imgs, err := importFile(ctx, client, path)
	for _, img := range imgs {
		res.Images = append(res.Images, img.Name)
	}
	if err != nil {
		res.Action, res.Error = "failed", "failed to import "+path+": "+err.Error()
		return res
	}
	res.Action = "imported"
	if err := pin(ctx, client, imgs); err != nil {
		res.Error = "failed to add pinned label to images: " + err.Error()
		return res
	}
	refs, err := addDigestRefs(ctx, client, imgs)
	res.Refs = append(res.Refs, refs...)
	if err != nil {
		res.Error = "failed to retag images: " + err.Error()
		return res
	}
	if err := labelSources(ctx, client, imgs); err != nil {
		res.Error = "failed to add source labels to layer content: " + err.Error()
	}
	return res
}

func importFile(ctx context.Context, client *containerd.Client, path string) ([]images.Image, error) {
	open, err := tarfile.GetOpener(path)
	if err != nil {
		return nil, err
	}
	r, err := open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	imgs, err := client.Import(ctx, r, containerd.WithAllPlatforms(true), containerd.WithSkipMissing())
	if err != nil {
		return nil, fmt.Errorf("failed to import images from %s: %w", path, err)
	}
	return imgs, nil
}

func pin(ctx context.Context, client *containerd.Client, imgs []images.Image) error {
	var errs []error
	is := client.ImageService()
	for i, img := range imgs {
		if img.Labels == nil {
			img.Labels = map[string]string{}
		}
		img.Labels[k3sPinnedLabel] = pinned
		img.Labels[criPinnedLabel] = pinned
		up, err := is.Update(ctx, img, "labels")
		if err != nil {
			errs = append(errs, fmt.Errorf("failed to add labels to image %s: %w", img.Name, err))
			continue
		}
		imgs[i] = up
	}
	return errors.Join(errs...)
}

// tagged parses a name as k3s does: normalised, and it must carry a tag.
func tagged(name string) (reference.NamedTagged, error) {
	ref, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return nil, err
	}
	t, ok := ref.(reference.NamedTagged)
	if !ok {
		return nil, fmt.Errorf("can't cast %T to NamedTagged", ref)
	}
	return t, nil
}

// addDigestRefs gives every image a NAME@DIGEST reference beside its tag,
// replacing one that exists.
func addDigestRefs(ctx context.Context, client *containerd.Client, imgs []images.Image) ([]string, error) {
	var errs []error
	var refs []string
	is := client.ImageService()
	for _, img := range imgs {
		t, err := tagged(img.Name)
		if err != nil {
			errs = append(errs, fmt.Errorf("failed to parse tag for image %s: %w", img.Name, err))
			continue
		}
		ref := t.Name() + "@" + img.Target.Digest.String()
		if ref == img.Name {
			continue
		}
		alias := img
		alias.Name = ref
		if _, err := is.Create(ctx, alias); err != nil {
			if !errdefs.IsAlreadyExists(err) {
				errs = append(errs, fmt.Errorf("failed to tag image %s: %w", ref, err))
				continue
			}
			if err := is.Delete(ctx, ref); err != nil {
				errs = append(errs, fmt.Errorf("failed to delete existing image %s: %w", ref, err))
				continue
			}
			if _, err := is.Create(ctx, alias); err != nil {
				errs = append(errs, fmt.Errorf("failed to tag after deleting existing image %s: %w", ref, err))
				continue
			}
		}
		if !slices.Contains(refs, ref) {
			refs = append(refs, ref)
		}
	}
	return refs, errors.Join(errs...)
}

// labelSources marks an image's manifest, config and layers as coming from
// its name's registry (k3s does it for spegel).
func labelSources(ctx context.Context, client *containerd.Client, imgs []images.Image) error {
	var errs []error
	cs := client.ContentStore()
	for _, img := range imgs {
		t, err := tagged(img.Name)
		if err != nil {
			errs = append(errs, fmt.Errorf("failed to parse tags for image %s: %w", img.Name, err))
			continue
		}
		dgsts, err := contentOf(ctx, cs, img.Target)
		if err != nil {
			errs = append(errs, fmt.Errorf("failed to get content digests for image %s: %w", img.Name, err))
			continue
		}
		key := labels.LabelDistributionSource + "." + reference.Domain(t)
		for _, d := range dgsts {
			info := content.Info{Digest: d, Labels: map[string]string{key: reference.Path(t)}}
			if _, err := cs.Update(ctx, info, "labels."+key); err != nil && !errdefs.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("failed to add source labels to content with digest %s: %w", d, err))
			}
		}
	}
	return errors.Join(errs...)
}

// contentOf lists desc and, for a manifest, its config and layers; for an
// index, its manifests' content. Blobs the store lacks are left out.
func contentOf(ctx context.Context, cs content.Store, desc ocispec.Descriptor) ([]digest.Digest, error) {
	b, err := content.ReadBlob(ctx, cs, desc)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	out := []digest.Digest{desc.Digest}
	switch {
	case images.IsManifestType(desc.MediaType):
		var m ocispec.Manifest
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		out = append(out, m.Config.Digest)
		for _, l := range m.Layers {
			out = append(out, l.Digest)
		}
	case images.IsIndexType(desc.MediaType):
		var idx ocispec.Index
		if err := json.Unmarshal(b, &idx); err != nil {
			return nil, err
		}
		for _, m := range idx.Manifests {
			d, err := contentOf(ctx, cs, m)
			if err != nil {
				return nil, err
			}
			out = append(out, d...)
		}
	}
	return out, nil
}
