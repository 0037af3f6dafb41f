// Compression: which compressed archive files each loader reads, what it
// makes of zstd layers, and the file names k3s picks up by compression.

package check

import (
	"path"
	"sort"
	"strings"

	"github.com/retar-dev/retar/convert"
)

// A decompression is which compressed archives a loader reads.
type decompression struct {
	reads func(kind string) bool
	// refusal is what it says of another, after "a KIND-compressed
	// archive: ".
	refusal string
	// does is the refusal said of several loaders, after their names.
	does string
	// who names the loaders it concerns, where not all of the verdict's
	// (Problem.Who).
	who string
}

func plainOnly(string) bool       { return false }
func gzipOrZstd(kind string) bool { return kind == "gzip" || kind == "zstd" }

const (
	containerdReads = "containerd decompresses gzip and zstd only"
	gzipOrZstdOnly  = "can decompress gzip and zstd only"
	plainTarsOnly   = "can read plain tars only"
)

// archiveCompression is which compressed archives (kinds as
// convert.SniffArchive names them) each loader reads; one not listed reads
// them all.
var archiveCompression = map[string]decompression{
	"docker-24":         {func(kind string) bool { return kind != "zstd" }, "docker before 23.0 reads no zstd-compressed archive", "cannot read it", "docker before 23"},
	"docker-containerd": {gzipOrZstd, containerdReads, gzipOrZstdOnly, ""},
	"ctr-1.6":           {plainOnly, "ctr 1.6 reads plain tars (" + quoteMsg(invalidTarHeader) + ")", plainTarsOnly, ""},
	"ctr-2.0":           {gzipOrZstd, containerdReads, gzipOrZstdOnly, ""},
	"ctr-2.1":           {gzipOrZstd, containerdReads, gzipOrZstdOnly, ""},
	"ctr-2.3":           {gzipOrZstd, containerdReads, gzipOrZstdOnly, ""},
	"ctr-2.4":           {gzipOrZstd, containerdReads, gzipOrZstdOnly, ""},
	"kind":              {gzipOrZstd, containerdReads, gzipOrZstdOnly, ""},
	"k3s":               {func(kind string) bool { return len(k3sSuffixes[kind]) > 0 }, "k3s reads .tar, .tar.gz/.tgz, .tar.zst/.tzst, .tar.bz2/.tbz and .tar.lz4", "can read plain, gzip, zstd, bzip2 and lz4 tars only", ""},
	"nerdctl":           {gzipOrZstd, "nerdctl decompresses gzip and zstd only (" + quoteMsg(unrecognizedFormat) + ")", gzipOrZstdOnly, ""}, // its importer is containerd's
	"podman":            {plainOnly, "podman 4.3 reads plain tars (" + quoteMsg(podmanPayload) + ")", plainTarsOnly, ""},
	"skopeo":            {plainOnly, "containers/image (skopeo, podman) reads plain tars", plainTarsOnly, ""},
}

// compressedRefusal says why a loader does not read the archive, compressed
// as it is, if it does not.
func compressedRefusal(f facts, id string) (Problem, bool) {
	d, ok := archiveCompression[id]
	if !ok || f.compressed == "" || d.reads(f.compressed) {
		return Problem{}, false
	}
	return Problem{Fact: FactCompressed, Text: "a " + f.compressed + "-compressed archive: " + d.refusal, Does: d.does, Who: d.who, Fix: fixDecompress()}, true
}

// zstdLayers is what loaders make of zstd layers: docker before 23.0 reads
// none (measured on 20.10); skopeo copies them, but not into a
// docker-archive.
func zstdLayers(f facts, v *Verdict) {
	switch {
	case !f.zstd:
	case v.Consumer == "docker-24":
		v.fail(Problem{Fact: FactZstdLayers, Text: "zstd layers: docker before 23.0 reads none (20.10 fails with " + quoteMsg(zstdEOF) + ")",
			Who: "docker before 23", Does: "cannot read them (20.10 fails with " + quoteMsg(zstdEOF) + ")", Fix: fixGzipLayers()})
	case v.Consumer == "skopeo" && v.Loads:
		v.note(Problem{Fact: FactZstdLayers, Text: "zstd layers: skopeo copies them, but refuses to write them into a docker-archive"})
	}
}

// k3sSuffixes are the file names k3s's agent/images watcher picks up, by
// the compression each means (wharfie's tarfile.SupportedExtensions; the
// match is case-sensitive; .txt files list images to pull).
var k3sSuffixes = map[string][]string{
	"": {".tar"}, "gzip": {".tar.gz", ".tgz"}, "zstd": {".tar.zst", ".tzst"}, "bzip2": {".tar.bz2", ".tbz"}, "lz4": {".tar.lz4"},
}

// K3sFileName says whether k3s picks a file of that name up from
// agent/images/ and reads it as compressed (kind as convert.SniffArchive
// names it, "" for a plain tar); otherwise it gives a name it would.
// The name may be a Windows path (the CLI passes it as the user gave it):
// a backslash ends a folder there too.
func K3sFileName(name, compressed string) (string, bool) {
	base := path.Base(strings.ReplaceAll(name, `\`, "/"))
	for _, s := range k3sSuffixes[compressed] {
		if strings.HasSuffix(base, s) {
			return base, true
		}
	}
	// Every archive suffix comes off, longest first, in the same order
	// whatever the map's: x.tar.tgz is the stem x.
	var all []string
	for _, ss := range k3sSuffixes {
		all = append(all, ss...)
	}
	sort.Slice(all, func(i, j int) bool { return len(all[i]) > len(all[j]) || len(all[i]) == len(all[j]) && all[i] < all[j] })
	stem := base
	for trimmed := true; trimmed; {
		trimmed = false
		for _, s := range all {
			if strings.HasSuffix(stem, s) {
				stem, trimmed = strings.TrimSuffix(stem, s), true
				break
			}
		}
	}
	if stem == "" || stem == "." || stem == "/" || strings.Contains(stem, " ") {
		stem = "image"
	}
	if ss := k3sSuffixes[compressed]; len(ss) > 0 {
		return stem + ss[0], false
	}
	return "", false
}

// k3sFile is the name to copy the archive under into agent/images/, with a
// problem where its own would not be picked up.
func k3sFile(f facts, v *Verdict) string {
	file, ok := K3sFileName(f.path, f.compressed)
	if !ok {
		v.note(Problem{Fact: FactK3sFileName, Text: "k3s picks up agent/images files by name (.tar, .tar.gz, .tgz, .tar.zst, .tzst, .tar.bz2, .tbz, .tar.lz4, case-sensitive)", Fix: fixRename(file)})
	}
	return file
}

// k3sZstdWindow: k3s decodes a zstd archive with a bounded window.
func k3sZstdWindow(f facts, v *Verdict) {
	if f.compressed == "zstd" {
		v.note(Problem{Fact: FactK3sZstdWindow, Text: "zstd-compressed: k3s decodes it with a 32 MiB window at most; a stream made with zstd --long=26 or more fails (" + quoteMsg(windowExceeded) + ")"})
	}
}

// forNoZstd: docker before 23 loads no zstd layer; an oci-archive of zstd
// layers is re-encoded to gzip (a docker-archive gets gzip by default).
func forNoZstd(s *adjusting) error {
	who, o := s.needs[needNoZstd], s.o
	if len(who) == 0 {
		return nil
	}
	switch {
	case o.Recompress && o.Compress == convert.Zstd:
		return s.fail(who, "--compress zstd: docker before 23 cannot load zstd layers")
	case s.zstd && o.KeepZstd:
		return s.fail(who, "--compress keep keeps the source's zstd layers, which docker before 23 cannot load")
	case s.zstd && s.preview().Zstd() == convert.Zstd:
		// kept as zstd (an OCI layout): re-encoded for docker before 23
		if err := o.Set("compress", "gzip"); err != nil {
			return err
		}
		s.note(who, "layers re-encoded to gzip (docker before 23 cannot load zstd; the image ID stays)")
	}
	return nil
}

// forK3sFile: k3s picks up agent/images/ files by name, and retar writes a
// plain tar.
func forK3sFile(s *adjusting) error {
	who := s.needs[needK3sFile]
	switch {
	case len(who) == 0:
	case s.dst == "-":
		s.note(who, "put the archive in agent/images/ under a name ending in .tar")
	default:
		if file, ok := K3sFileName(s.dst, ""); !ok {
			return s.fail(who, "k3s picks up agent/images/ files by name, and retar writes a plain tar: name DST %s", file)
		}
	}
	return nil
}
