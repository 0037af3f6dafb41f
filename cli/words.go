package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/tarfs"
)

// The words of retar's errors for a user who knows skopeo and docker, not
// Go: what went wrong in their terms, and what to do next.

// writers names the tools whose archives retar reads.
const writers = "retar reads what docker save, podman save, skopeo copy, ctr export and buildx write"

// readsFiles is what retar says of a reference to a daemon or a registry.
const readsFiles = "retar reads image files, not daemons or registries"

// foreignRef says, of a reference in a transport retar does not read
// (skopeo's docker:, docker-daemon:, containers-storage:, a registry), what
// to run instead, or "" when s names no such transport.
func foreignRef(s string) string {
	t, rest, ok := strings.Cut(s, ":")
	if !ok {
		return ""
	}
	name := strings.TrimPrefix(rest, "//")
	file := tarName(name)
	switch strings.ToLower(t) {
	case "docker-daemon", "daemon":
		return fmt.Sprintf("%s: %s; save it to a file first: docker save %s -o %s (or podman save %s -o %s)", s, readsFiles, name, file, name, file)
	case "docker", "registry", "http", "https":
		return fmt.Sprintf("%s: %s; copy it to a file first: skopeo copy docker://%s docker-archive:%s", s, readsFiles, name, file)
	case "containers-storage", "podman":
		return fmt.Sprintf("%s: %s; save it to a file first: podman save %s -o %s", s, readsFiles, name, file)
	case "ostree", "sif", "tarball", "docker-image":
		return fmt.Sprintf("%s: retar does not read the %s transport; %s", s, t, writers)
	case "oci-layout", "ocilayout", "oci-dir":
		return fmt.Sprintf("%s: an OCI layout directory is oci:%s", s, rest)
	}
	return ""
}

// tarName is a file name for the image ref names: its last path part
// without tag or digest, and .tar.
func tarName(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	base := path.Base(ref)
	if i := strings.LastIndexByte(base, ':'); i > 0 {
		base = base[:i]
	}
	if base == "" || base == "." || base == "/" {
		base = "image"
	}
	return base + ".tar"
}

// missingSource says a SRC that is not there: a transport retar does not
// read in the user's terms, else the path that names nothing.
func missingSource(r imageRef, err error) error {
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if r.Layout == "" {
		if msg := foreignRef(r.String()); msg != "" {
			return errors.New(msg)
		}
	}
	return fmt.Errorf("%s: no such file or directory", r.Path)
}

// cutShort adds the next step to an error that says an input is truncated
// (an archive, or a blob of a layout directory), wherever it was found, in
// the words the page says it in (check.CutShort).
func cutShort(err error) error {
	if errors.Is(err, tarfs.ErrTruncated) || strings.Contains(err.Error(), "truncated") {
		return fmt.Errorf("%w; %s", err, check.CutShort("").CLI)
	}
	return err
}

// explainOpen says an input that is no image archive in the user's terms,
// naming it and what it should be.
func explainOpen(name string, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, convert.ErrNotTar):
		msg := err.Error()
		why := "it is not a tar file"
		if m := compressedAs.FindStringSubmatch(msg); m != nil {
			why = "it is " + m[1] + "-compressed, but what it holds is not a tar file"
		}
		detail := ""
		if i := strings.Index(msg, ": it "); i >= 0 && !strings.Contains(msg, "archive/tar") {
			detail = msg[i+2:]
		}
		return fmt.Errorf("%s%.0w", check.NotAnImageArchive(name, why, detail).CLI, err)
	}
	return err
}

// compressedAs finds the compression the core names in an error.
var compressedAs = regexp.MustCompile(`(\w+)-compressed archive`)

// wordsFixed mends a message's grammar: "1 arguments" (cobra's).
func wordsFixed(s string) string {
	return strings.ReplaceAll(s, " 1 arguments", " 1 argument")
}

// flagSynonyms are flags other tools spell otherwise, and retar's name for
// each.
var flagSynonyms = map[string]string{
	"compression":        "compress",
	"compression-format": "compress",
	"dest-compress":      "compress",
	"tags":               "tag",
	"name":               "tag",
	"override-arch":      "platform",
	"override-os":        "platform",
	"arch":               "platform",
	"os":                 "platform",
	"platforms":          "platform",
	"multi-arch":         "all-platforms",
	"all":                "all-platforms",
}

// flagHint is ": did you mean --X?" for an unknown flag near a known one
// (an edit distance of 2 at most, or a synonym), or "".
func flagHint(cmd *cobra.Command, err error) string {
	const prefix = "unknown flag: --"
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) {
		return ""
	}
	typed, _, _ := strings.Cut(strings.TrimPrefix(msg, prefix), "=")
	known := func(n string) bool { return cmd.Flags().Lookup(n) != nil || cmd.InheritedFlags().Lookup(n) != nil }
	if s, ok := flagSynonyms[strings.ToLower(typed)]; ok && known(s) {
		return fmt.Sprintf(": did you mean --%s?", s)
	}
	best, bestD := "", 3
	visit := func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		if d := editDistance(strings.ToLower(typed), f.Name); d < bestD {
			best, bestD = f.Name, d
		}
	}
	cmd.Flags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	if best == "" {
		return ""
	}
	return fmt.Sprintf(": did you mean --%s?", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// commandHints are verbs of other tools and retar's command for each.
var commandHints = map[string]string{
	"copy": "retar convert is skopeo copy's verb",
	"cp":   "retar convert is skopeo copy's verb",
	"save": "retar convert rewrites what docker save wrote",
	"load": "retar convert writes what docker load takes",
}

// foreignDest says, of a DST in a transport retar does not write, what to
// do instead, or "" when dst names no such transport.
func foreignDest(dst string) string {
	t, rest, _ := strings.Cut(dst, ":")
	file := tarName(strings.TrimPrefix(rest, "//"))
	switch strings.ToLower(t) {
	case "docker-daemon", "daemon", "containers-storage", "podman":
		return fmt.Sprintf("DST %s: retar writes image files, not into daemons; write %s, then docker load -i %s (or podman load -i %s)", dst, file, file, file)
	case "docker", "registry", "http", "https":
		return fmt.Sprintf("DST %s: retar writes image files, not to registries; write %s, then skopeo copy docker-archive:%s docker://%s", dst, file, file, strings.TrimPrefix(rest, "//"))
	case "oci-layout", "ocilayout", "oci-dir":
		return fmt.Sprintf("DST %s: an OCI layout directory is oci:%s", dst, rest)
	}
	return ""
}
