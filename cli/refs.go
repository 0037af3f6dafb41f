package cli

import (
	"fmt"
	"strings"

	"github.com/retar-dev/retar/convert"
)

// Ref is a SRC or DST argument: TRANSPORT:PATH[:REF], or a bare path.
type Ref struct {
	Layout convert.Layout // "" for a bare path
	Path   string
	Pick   string // the part after PATH: a name, or @N
}

func (r Ref) String() string {
	if r.Layout == "" {
		return r.Path
	}
	s := string(r.Layout) + ":" + r.Path
	if r.Pick != "" {
		s += ":" + r.Pick
	}
	return s
}

// ParseRef reads skopeo's syntax: the transport up to the first colon, then
// the path up to the next one, then the reference (which may hold colons).
// A dir: reference has no REF part.
func ParseRef(s string) (Ref, error) {
	t, rest, ok := strings.Cut(s, ":")
	layout, known := convert.ParseLayout(t)
	if !ok || !known {
		if s == "" {
			return Ref{}, fmt.Errorf("empty image reference")
		}
		return Ref{Path: s}, nil
	}
	if layout == convert.Dir {
		if rest == "" {
			return Ref{}, fmt.Errorf("%q: no path", s)
		}
		return Ref{Layout: layout, Path: rest}, nil
	}
	p, pick, _ := strings.Cut(rest, ":")
	if p == "" {
		return Ref{}, fmt.Errorf("%q: no path", s)
	}
	return Ref{Layout: layout, Path: p, Pick: pick}, nil
}
