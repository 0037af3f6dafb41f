// Package imagetest builds the images and archives retar's tests read, in
// one place, as go-containerregistry's pkg/v1/random does for its own: a
// small valid image (layers and the config that lists their diff_ids), with
// options for its names, layers, platforms and layer compression, laid out
// in any layout retar reads:
//
//   - DockerArchive: docker save ≤ 24, with v1 directories and repositories
//   - Legacy: docker save before 1.10, repositories and v1 directories only
//   - OCIArchive and OCILayout: skopeo's oci-archive, an OCI layout directory
//   - Hybrid: docker save ≥ 25, an oci-archive with a docker manifest.json
//   - Dir: containers/image's dir: layout
//
// A layout is an editable list of tar members (Members): Set, Edit, Rename,
// Drop, Get and Add return an edited copy, so a hostile archive is one
// visible edit away from a valid one, and Tar, WriteFile and WriteDir write
// it. Defects that no member edit can make are fields of Image: Blobs
// stores other bytes than the layers (a diff_id mismatch, a truncated or
// corrupt stream), RawManifest another manifest. Flip, Nested and Padded
// make the usual damage.
//
// A docker save archive of a two-layer image, and the same with one byte of
// its second layer flipped, which retar must refuse naming that layer:
//
//	img := imagetest.New(t, imagetest.Layers(2))
//	good := img.DockerArchive(t).Tar(t)
//	bad := img.DockerArchive(t).Edit(t, img.DockerLayerPath(1), imagetest.Flip).Tar(t)
//
// A two-platform image with zstd layers, unnamed, as an OCI layout on disk,
// and an oci-archive whose index.json points to a manifest it lacks:
//
//	img := imagetest.New(t, imagetest.Platforms("linux/amd64", "linux/arm64/v8"),
//		imagetest.Compress(imagetest.Zstd), imagetest.Names())
//	img.OCILayout(t).WriteDir(t, t.TempDir())
//	missing := img.OCIArchive(t).Drop(t, imagetest.BlobPath(img.Manifest(t))).Tar(t)
//
// Every builder takes a testing.TB and fails the test on what cannot be
// built (a member the edit names is not there, a docker-archive of an
// index). OpenPath and OpenBytes open an archive file, a layout directory
// or bytes as the CLI gives them to the core, failing the test if it
// refuses them; PathInput is the input, for an archive it must refuse.
//
// The package imports the core (convert) for those alone: the core's own
// tests use it from outside (package convert_test), never from inside
// (package convert), which would be an import cycle. Its tests check every
// layout against the core.
package imagetest
