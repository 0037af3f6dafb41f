// Package interop checks retar's outputs against containerd 2.0's importer.
//
// interop/run.sh writes the archives retar produced and what each must hold
// into a table (INTEROP_LOADS), builds this test (go test -c) and runs it as
// root. Without INTEROP_LOADS the test skips: it has nothing to import.
//
// run.sh also builds containerd 2.0.0 and its ctr from this module and runs
// the daemon (plain `ctr images import`, `ctr run`). This test looks inside:
// it runs, in process, the code that daemon runs for `ctr images import`, at
// containerd v2.0.0 (go.mod), and checks what the daemon does not show:
//
//   - importer: core/images/archive.ImportIndex into a content/local store,
//     then the names (io.containerd.image.name, else ref.name) and platforms
//     of every index entry, as containerd's client and image store read them.
//   - import: the transfer service (core/transfer/local) the daemon serves
//     `ctr images import` with, wired as the daemon wires it (bolt metadata,
//     content store, the default unpack configuration: linux/amd64 on the
//     overlayfs snapshotter with the walking differ's applier), fed the
//     options ctr v2.0.0 sends for a plain import (WithNamedPrefix
//     import-DATE, WithPlatforms(default), WithUnpack(default, overlayfs)).
//     The registered names and platforms must be the expected ones, and the
//     unpacked root filesystem must show the image's layers applied (the
//     whiteouts removed their files, layer 2's file is there).
//   - all-platforms: the options ctr v2.0.0 sends for --all-platforms, which
//     fail on containerd 2.0.0 with "no unpack platforms defined" (fixed in
//     ctr 2.0.x later and 2.1): recorded as an expected failure.
//
// Each check is a subtest and a line in INTEROP_RESULTS (the suite's table).
package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/diff/apply"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/images/archive"
	"github.com/containerd/containerd/v2/core/metadata"
	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/core/transfer"
	tarchive "github.com/containerd/containerd/v2/core/transfer/archive"
	"github.com/containerd/containerd/v2/core/transfer/image"
	tlocal "github.com/containerd/containerd/v2/core/transfer/local"
	"github.com/containerd/containerd/v2/core/unpack"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/containerd/containerd/v2/plugins/snapshots/native"
	"github.com/containerd/containerd/v2/plugins/snapshots/overlay"
	"github.com/containerd/containerd/v2/plugins/snapshots/overlay/overlayutils"
	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	bolt "go.etcd.io/bbolt"
)

// loadCase is one line of interop/run.sh's loads table.
type loadCase struct {
	ID, Layout, Path string
	Names            []string // full names the consumers must register; none: nothing
	Expect           string   // "ok" or "xfail:REASON"
	Platform         string   // --platform given to retar (amd64, arm64), or ""
	Platforms        []string // the platforms the image must list: linux/amd64, ...
}

func readCases(t *testing.T, path string) []loadCase {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []loadCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id layout path names runs docker ctr podman containerd2 platform platforms
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 11 {
			t.Fatalf("%s: short line %q", path, sc.Text())
		}
		lc := loadCase{ID: c[0], Layout: c[1], Path: c[2], Expect: c[8], Platform: strings.TrimPrefix(c[9], "-")}
		if c[3] != "-" {
			lc.Names = strings.Split(c[3], ",")
		}
		lc.Platforms = strings.Split(c[10], ",")
		cases = append(cases, lc)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

// results appends the suite's records: consumer check layout case status detail.
type results struct {
	f       *os.File
	version string
}

func (r *results) add(t *testing.T, check string, c loadCase, expect string, err error, detail string) {
	t.Helper()
	status := "PASS"
	switch {
	case strings.HasPrefix(expect, "xfail:") && err != nil:
		status, detail = "XFAIL", strings.TrimPrefix(expect, "xfail:")+": "+err.Error()
	case strings.HasPrefix(expect, "xfail:"):
		status, detail = "XPASS", "expected to fail ("+strings.TrimPrefix(expect, "xfail:")+") but passed: "+detail
		t.Errorf("%s: %s", check, detail)
	case err != nil:
		status, detail = "FAIL", err.Error()
		t.Errorf("%s: %v", check, err)
	}
	detail = strings.NewReplacer("\t", " ", "\n", " ").Replace(detail)
	if len(detail) > 400 {
		detail = detail[:400]
	}
	if r.f != nil {
		fmt.Fprintf(r.f, "containerd2\t%s\t%s\t%s\t%s\t%s\n", check, c.Layout, c.ID, status, detail)
	}
}

func containerdVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/containerd/containerd/v2" {
				return d.Version
			}
		}
	}
	return "unknown"
}

func TestContainerd2Import(t *testing.T) {
	loads := os.Getenv("INTEROP_LOADS")
	if loads == "" {
		t.Skip("INTEROP_LOADS is not set: run by interop/run.sh (make interop)")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root (snapshotter mounts)")
	}
	cases := readCases(t, loads)
	r := &results{version: containerdVersion()}
	if p := os.Getenv("INTEROP_RESULTS"); p != "" {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r.f = f
	}
	t.Logf("containerd %s importer library", r.version)
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.ID, "/", "_"), func(t *testing.T) {
			checkImporter(t, r, c)
			checkImport(t, r, c, false)
			if c.Platform != "" || len(c.Platforms) > 1 {
				checkImport(t, r, c, true)
			}
		})
	}
}

// checkImporter: archive.ImportIndex into a plain local content store, and
// the names and platforms of the index it returns.
func checkImporter(t *testing.T, r *results, c loadCase) {
	ctx := namespaces.WithNamespace(context.Background(), "interop")
	cs, err := local.NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	err = func() error {
		f, err := os.Open(c.Path)
		if err != nil {
			return err
		}
		defer f.Close()
		idxDesc, err := archive.ImportIndex(ctx, cs, f)
		if err != nil {
			return fmt.Errorf("ImportIndex: %w", err)
		}
		p, err := content.ReadBlob(ctx, cs, idxDesc)
		if err != nil {
			return err
		}
		var idx ocispec.Index
		if err := json.Unmarshal(p, &idx); err != nil {
			return err
		}
		var names, plats []string
		for _, m := range idx.Manifests {
			if n := m.Annotations[images.AnnotationImageName]; n != "" {
				names = append(names, n)
			} else if n := m.Annotations[ocispec.AnnotationRefName]; n != "" {
				names = append(names, n)
			}
			ps, err := images.Platforms(ctx, cs, m)
			if err != nil {
				return fmt.Errorf("platforms of %s: %w", m.Digest, err)
			}
			for _, p := range ps {
				plats = append(plats, platforms.Format(p))
			}
		}
		if err := sameSet("names", c.Names, names); err != nil {
			return err
		}
		return sameSet("platforms", c.Platforms, plats)
	}()
	r.add(t, "importer", c, "ok", err, fmt.Sprintf("ImportIndex: names %v, platforms %v", c.Names, c.Platforms))
}

// daemon is the part of a containerd 2.0 daemon that serves `ctr images import`.
type daemon struct {
	db          *metadata.DB
	cs          content.Store
	is          images.Store
	ts          transfer.Transferrer
	snapshotter string
}

func newDaemon(t *testing.T) *daemon {
	t.Helper()
	root, err := os.MkdirTemp("", "retar-c2-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Snapshot views are unmounted by the checks; nothing is left mounted.
		os.RemoveAll(root)
	})
	cs, err := local.NewStore(filepath.Join(root, "content"))
	if err != nil {
		t.Fatal(err)
	}
	bdb, err := bolt.Open(filepath.Join(root, "meta.db"), 0o644, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bdb.Close() })
	// The daemon's default snapshotter (defaults.DefaultSnapshotter on Linux).
	name := "overlayfs"
	var sn snapshots.Snapshotter
	snRoot := filepath.Join(root, "snapshots")
	if err := os.MkdirAll(snRoot, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := overlayutils.Supported(snRoot); err == nil {
		sn, err = overlay.NewSnapshotter(snRoot)
		if err != nil {
			t.Fatal(err)
		}
	} else {
		// No overlayfs here: the daemon would be configured with native.
		name = "native"
		sn, err = native.NewSnapshotter(snRoot)
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { sn.Close() })
	db := metadata.NewDB(bdb, cs, map[string]snapshots.Snapshotter{name: sn})
	if err := db.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	mcs := db.ContentStore()
	is := metadata.NewImageStore(db)
	// plugins/transfer: the default unpack configuration, the walking
	// differ's applier.
	up := unpack.Platform{
		Platform:       platforms.Only(platforms.DefaultSpec()),
		SnapshotterKey: name,
		Snapshotter:    db.Snapshotter(name),
		Applier:        apply.NewFileSystemApplier(mcs),
	}
	ts := tlocal.NewTransferService(mcs, is, tlocal.TransferConfig{
		Leases:                      metadata.NewLeaseManager(db),
		MaxConcurrentDownloads:      3,
		MaxConcurrentUploadedLayers: 3,
		UnpackPlatforms:             []unpack.Platform{up},
	})
	return &daemon{db: db, cs: mcs, is: is, ts: ts, snapshotter: name}
}

// ctrImport does what ctr v2.0.0's `images import [--all-platforms] PATH`
// sends to the transfer service (cmd/ctr/commands/images/import.go).
func (d *daemon) ctrImport(ctx context.Context, path string, allPlatforms bool) error {
	var opts []image.StoreOpt
	prefix := fmt.Sprintf("import-%s", time.Now().Format("2006-01-02"))
	opts = append(opts, image.WithNamedPrefix(prefix, true))
	var platSpec ocispec.Platform
	if !allPlatforms {
		platSpec = platforms.DefaultSpec()
		opts = append(opts, image.WithPlatforms(platSpec))
	}
	if platSpec.OS != "" {
		opts = append(opts, image.WithUnpack(platSpec, d.snapshotter))
	} else {
		var emptySpec ocispec.Platform
		opts = append(opts, image.WithUnpack(emptySpec, d.snapshotter))
	}
	is := image.NewStore("", opts...)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return d.ts.Transfer(ctx, tarchive.NewImageImportStream(f, ""), is)
}

func checkImport(t *testing.T, r *results, c loadCase, allPlatforms bool) {
	d := newDaemon(t)
	ctx := namespaces.WithNamespace(context.Background(), "default")
	check, expect := "import", c.Expect
	if allPlatforms {
		check, expect = "all-platforms", "xfail:containerd 2.0.0's ctr images import --all-platforms fails on every archive"
	}
	var detail string
	err := func() error {
		if err := d.ctrImport(ctx, c.Path, allPlatforms); err != nil {
			return err
		}
		imgs, err := d.is.List(ctx)
		if err != nil {
			return err
		}
		var names, plats []string
		for _, img := range imgs {
			names = append(names, img.Name)
			ps, err := images.Platforms(ctx, d.cs, img.Target)
			if err != nil {
				return fmt.Errorf("platforms of %s: %w", img.Name, err)
			}
			for _, p := range ps {
				plats = append(plats, platforms.Format(p))
			}
		}
		if err := sameSet("registered names", c.Names, names); err != nil {
			return err
		}
		if len(imgs) > 0 {
			if err := sameSet("platforms", c.Platforms, plats); err != nil {
				return err
			}
		}
		detail = fmt.Sprintf("ctr images import (2.0, %s): %v %v", d.snapshotter, names, dedupe(plats))
		return nil
	}()
	r.add(t, check, c, expect, err, detail)
	if allPlatforms || err != nil || len(c.Names) == 0 || c.Platform == "arm64" {
		return
	}
	// The unpacked image, as `ctr run` would mount it.
	err = func() error {
		imgs, err := d.is.List(ctx)
		if err != nil {
			return err
		}
		var seen []string
		for _, img := range imgs {
			if err := d.checkRootfs(ctx, img); err != nil {
				return fmt.Errorf("%s: %w", img.Name, err)
			}
			seen = append(seen, img.Name)
		}
		detail = fmt.Sprintf("%s snapshot of %v: whiteouts applied, layer 2 present", d.snapshotter, seen)
		return nil
	}()
	r.add(t, "unpack", c, c.Expect, err, detail)
}

// checkRootfs mounts a view of img's unpacked snapshot (linux/amd64) and
// looks at what its layers must have made.
func (d *daemon) checkRootfs(ctx context.Context, img images.Image) error {
	m, err := images.Manifest(ctx, d.cs, img.Target, platforms.OnlyStrict(platforms.DefaultSpec()))
	if err != nil {
		return err
	}
	diffIDs, err := images.RootFS(ctx, d.cs, m.Config)
	if err != nil {
		return err
	}
	chainID := identity.ChainID(diffIDs)
	sn := d.db.Snapshotter(d.snapshotter)
	if _, err := sn.Stat(ctx, chainID.String()); err != nil {
		return fmt.Errorf("not unpacked: snapshot %s: %w", chainID, err)
	}
	key := "interop-view-" + digest.FromString(img.Name).Encoded()[:12]
	mounts, err := sn.View(ctx, key, chainID.String())
	if err != nil {
		return err
	}
	defer sn.Remove(ctx, key)
	dir, err := os.MkdirTemp("", "retar-c2-view-")
	if err != nil {
		return err
	}
	defer os.Remove(dir)
	if err := mount.All(mounts, dir); err != nil {
		return err
	}
	defer mount.UnmountAll(dir, 0)
	b, err := os.ReadFile(filepath.Join(dir, "etc/layer2.txt"))
	if err != nil || strings.TrimSpace(string(b)) != "layer2-ok" {
		return fmt.Errorf("etc/layer2.txt: %q %v", b, err)
	}
	for _, gone := range []string{"etc/removed-in-layer2.txt", "opt/removed-dir"} {
		if _, err := os.Lstat(filepath.Join(dir, gone)); !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s is there: the whiteout did not apply (%v)", gone, err)
		}
	}
	if fi, err := os.Lstat(filepath.Join(dir, "bin/busybox")); err != nil || fi.Size() == 0 {
		return fmt.Errorf("bin/busybox: %v", err)
	}
	return nil
}

func dedupe(s []string) []string {
	m := map[string]bool{}
	var out []string
	for _, x := range s {
		if !m[x] {
			m[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

func sameSet(what string, want, got []string) error {
	w, g := dedupe(want), dedupe(got)
	if strings.Join(w, ",") != strings.Join(g, ",") {
		return fmt.Errorf("%s: want %v, got %v", what, w, g)
	}
	return nil
}
