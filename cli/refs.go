package cli

import (
	"os"
	"runtime"
	"strings"

	"github.com/retar-dev/retar/convert"
)

// imageRef is a SRC or DST argument: TRANSPORT:PATH[:REF], or a bare path.
type imageRef struct {
	Layout convert.Layout // "" for a bare path
	Path   string
	Pick   string // the part after PATH: a name, or @N
}

func (r imageRef) String() string {
	if r.Layout == "" {
		if r.Pick != "" {
			return r.Path + ":" + r.Pick
		}
		return r.Path
	}
	s := string(r.Layout) + ":" + r.Path
	if r.Pick != "" {
		s += ":" + r.Pick
	}
	return s
}

// parseRef reads skopeo's syntax: the transport up to the first colon, then
// the path up to the next one, then the reference (which may hold colons).
// A dir: reference has no REF part. On Windows a path may start with a
// drive (C:\ or C:/), whose colon ends nothing. A reference it cannot read
// is a usage error.
func parseRef(s string) (imageRef, error) { return parseRefFor(s, runtime.GOOS == "windows") }

// parseRefFor is parseRef for Windows paths or not, so both are tested on any
// system.
func parseRefFor(s string, windows bool) (imageRef, error) {
	t, rest, ok := strings.Cut(s, ":")
	layout, known := convert.ParseLayout(t)
	if !ok || !known {
		if s == "" {
			return imageRef{}, usagef("empty image reference")
		}
		return bareRef(s, windows), nil
	}
	if !layout.TakesName() { // its path is all there is (dir:PATH)
		if rest == "" {
			return imageRef{}, usagef("%q: no path", s)
		}
		return imageRef{Layout: layout, Path: rest}, nil
	}
	skip := 0
	if windows && isDrive(rest) {
		skip = 2
	}
	p, pick := rest, ""
	if i := strings.IndexByte(rest[skip:], ':'); i >= 0 {
		p, pick = rest[:skip+i], rest[skip+i+1:]
	}
	if p == "" {
		return imageRef{}, usagef("%q: no path", s)
	}
	return imageRef{Layout: layout, Path: p, Pick: pick}, nil
}

// bareRef reads a bare path, which takes :@N and :NAME as a transport's path
// does. A path may itself hold colons, so the whole string is the path when
// such a file exists; else it splits at a colon (the last first, so a NAME
// may hold colons too) whose path part exists. A drive's colon splits
// nothing.
func bareRef(s string, windows bool) imageRef {
	if _, err := os.Stat(s); err == nil {
		return imageRef{Path: s}
	}
	skip := 0
	if windows && isDrive(s) {
		skip = 2
	}
	for i := len(s) - 1; i > skip; i-- {
		if s[i] != ':' || i+1 == len(s) {
			continue
		}
		if _, err := os.Stat(s[:i]); err == nil {
			return imageRef{Path: s[:i], Pick: s[i+1:]}
		}
	}
	return imageRef{Path: s}
}

// isDrive reports whether p starts with a Windows drive: one letter, a
// colon, a separator (C:\x.tar, c:/x.tar). Such a letter is no transport.
func isDrive(p string) bool {
	return len(p) >= 3 && (p[0]|0x20 >= 'a' && p[0]|0x20 <= 'z') && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}

// unknownTransport returns the transport a bare DST names that retar does
// not know ("bogus" in bogus:x.tar), or "" when the DST is a path: one
// whose part before the colon holds a separator or a dot, or (on Windows)
// a drive.
func unknownTransport(p string, windows bool) string {
	t, _, ok := strings.Cut(p, ":")
	if !ok || strings.ContainsAny(t, `/.`) || windows && (isDrive(p) || strings.Contains(t, `\`)) {
		return ""
	}
	return t
}
