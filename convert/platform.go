package convert

import (
	"fmt"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

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

// PlatformString is "os/arch[/variant]", or "no platform".
func PlatformString(p *ocispec.Platform) string {
	if p == nil {
		return "no platform"
	}
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// MatchPlatform reports whether a platform an image has is one wanted: an
// unset variant matches any, and arm64's and arm's default variants match
// an image that names none.
func MatchPlatform(have *ocispec.Platform, want ocispec.Platform) bool {
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

func anyPlatform(p *ocispec.Platform, want []ocispec.Platform) bool {
	for _, w := range want {
		if MatchPlatform(p, w) {
			return true
		}
	}
	return false
}

func platformList(ps []ocispec.Platform) string {
	var s []string
	for _, p := range ps {
		s = append(s, PlatformString(&p))
	}
	return strings.Join(s, ", ")
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

// imagesIn lists the image manifests below an index that the source holds,
// and every platform it lists for messages ("linux/arm64 (absent)").
func imagesIn(root *Node) (present []*Node, all []string) {
	_ = root.walk(func(n *Node) error {
		if n.Index != nil || isAttestation(n.Desc) {
			return nil
		}
		p := PlatformString(platformOf(n))
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

// manifestPick says which image manifest a destination that holds one per
// image takes from an index, and how to say so.
type manifestPick struct {
	platforms []ocispec.Platform // the first of these the index has
	// host is taken when no platform is asked for and the index has
	// several images.
	host ocispec.Platform
	// indexKept: the index is kept beside the manifest taken (a hybrid's
	// docker manifest.json), every platform of it or those asked for,
	// which the notice says.
	indexKept bool
	holder    string // what holds one manifest per image, for messages
}

// pickManifest returns the one image manifest a destination holding a single
// manifest per image takes from root: root itself, or the manifest of the
// wanted platform from an index.
func (a *Archive) pickManifest(root *Node, pick manifestPick, warnings *[]string) (*Node, error) {
	if root.Manifest != nil {
		return a.checkImageManifest(root, pick)
	}
	present, all := imagesIn(root)
	want := pick.platforms
	if len(want) == 0 {
		if len(present) == 1 {
			return present[0], nil
		}
		want = []ocispec.Platform{pick.host}
	}
	for _, w := range want {
		for _, n := range present {
			if MatchPlatform(platformOf(n), w) {
				*warnings = append(*warnings, pickNotice(root, n, pick)...)
				return n, nil
			}
		}
	}
	if len(all) == 0 {
		return nil, &LayoutError{Source: a.Source, Reason: fmt.Sprintf("index %s lists no container image, and %s holds images only", root.Desc.Digest, pick.holder), Err: errNotImage}
	}
	return nil, fmt.Errorf("%s: %s has no image for %s; it has %s: choose one with --platform%.0w", a.Source, root.Desc.Digest, platformList(want), strings.Join(all, ", "), ErrNoPlatform)
}

// checkImageManifest accepts a manifest as the one an image is written as:
// its config present, an image's, of a wanted platform.
func (a *Archive) checkImageManifest(m *Node, pick manifestPick) (*Node, error) {
	c := m.config()
	if c != nil && c.Blob == nil {
		return nil, &MissingError{Source: a.Source, Digest: c.Desc.Digest, By: "manifest " + m.Desc.Digest.String()}
	}
	if c == nil || !c.Config.isImage() {
		return nil, &LayoutError{Source: a.Source, Reason: fmt.Sprintf("%s is not a container image (its config is %s), and %s holds images only", m.Desc.Digest, m.Manifest.Config.MediaType, pick.holder), Err: errNotImage}
	}
	if pl := platformOf(m); len(pick.platforms) > 0 && !anyPlatform(pl, pick.platforms) {
		return nil, fmt.Errorf("%s: %s is %s only, not %s%.0w", a.Source, m.Desc.Digest, PlatformString(pl), platformList(pick.platforms), ErrNoPlatform)
	}
	return m, nil
}

// pickNotice says which platform was taken from an index, and why.
func pickNotice(root, n *Node, pick manifestPick) []string {
	p := PlatformString(platformOf(n))
	switch {
	case pick.indexKept && len(pick.platforms) == 0:
		return []string{fmt.Sprintf("%s: docker's manifest.json lists %s; the index keeps every platform", root.Desc.Digest, p)}
	case pick.indexKept && len(pick.platforms) > 1:
		return []string{fmt.Sprintf("%s: docker's manifest.json lists %s; the index keeps the platforms asked for", root.Desc.Digest, p)}
	case len(pick.platforms) == 0:
		return []string{fmt.Sprintf("%s holds several platforms; took %s (choose with --platform)", root.Desc.Digest, p)}
	case len(pick.platforms) > 1:
		return []string{fmt.Sprintf("%s: took %s, the first of the platforms asked for that it has; %s holds one platform per image", root.Desc.Digest, p, pick.holder)}
	}
	return nil
}
