package convert

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/distribution/reference"
)

// Name is one name of an image. Ref is the full normalised reference
// ("docker.io/library/busybox:latest") when the name is one; otherwise Raw holds
// an OCI ref.name that is not a docker reference, such as a bare tag ("1.0"),
// which is carried over as it is. RefName, when set, is the
// org.opencontainers.image.ref.name the name goes by in an OCI layout when it
// is not the full name: what a user typed after oci:DIR: (skopeo and umoci
// find an image by exactly that), or the tag alone beside a full
// io.containerd.image.name, as containerd's exporter writes it.
type Name struct {
	Ref     reference.Named
	Raw     string
	RefName string
}

// ociRefName is what an OCI index's ref.name says for the name.
func (n Name) ociRefName() string {
	if n.RefName != "" {
		return n.RefName
	}
	return n.String()
}

// String is the full normalised form, or the raw ref name.
func (n Name) String() string {
	if n.Ref != nil {
		return n.Ref.String()
	}
	return n.Raw
}

// RepoTag is the name as a docker manifest.json RepoTag, in the full
// normalised form skopeo and podman write ("docker.io/library/busybox:latest"),
// or "" when the name cannot be one (no tag, a digest, or not a reference).
// docker and containerd load the full form as they load docker's own short
// one, but podman 4.3 reads a short docker.io name as localhost/NAME.
func (n Name) RepoTag() string {
	if n.Ref == nil {
		return ""
	}
	if _, ok := n.Ref.(reference.Canonical); ok {
		return ""
	}
	if _, ok := n.Ref.(reference.Tagged); !ok {
		return ""
	}
	return n.Ref.String()
}

// ParseName parses a name given by a user or a docker RepoTag: it must be a
// docker reference; a missing tag means "latest", as docker has it.
func ParseName(s string) (Name, error) {
	r, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return Name{}, fmt.Errorf("invalid image name %q: %w", s, err)
	}
	return Name{Ref: reference.TagNameOnly(r)}, nil
}

// refName interprets an OCI org.opencontainers.image.ref.name. As containerd's
// importer does, a value with none of "/:@" is a bare tag, not a repository;
// anything else is a reference, kept raw when it does not parse.
func refName(s string) Name {
	if isBareTag(s) {
		return Name{Raw: s}
	}
	if n, err := ParseName(s); err == nil {
		return n.as(s)
	}
	return Name{Raw: s}
}

func isBareTag(s string) bool { return !strings.ContainsAny(s, "/:@") }

// as gives n the ref.name it was written or typed as, when that is not its
// full form.
func (n Name) as(refName string) Name {
	if refName != n.String() {
		n.RefName = refName
	}
	return n
}

// ociRefName matches the image-layout specification's grammar for a
// ref.name: components of letters and digits joined by - . _ : @ + or --,
// separated by slashes.
var ociRefName = regexp.MustCompile(`^[A-Za-z0-9]+(([-._:@+]|--)[A-Za-z0-9]+)*(/[A-Za-z0-9]+(([-._:@+]|--)[A-Za-z0-9]+)*)*$`)

// OCIName is a name given for an OCI layout (oci:DIR:REF, oci-archive:FILE:REF,
// or -t): ref.name is REF exactly as typed, as skopeo and umoci write and
// find it; io.containerd.image.name is the full docker name where one can be
// had: REF itself when it names a repository, or for a bare tag ("latest",
// "1.0") the repository of the image's first name with that tag. A bare tag
// on an image without a name, or a ref.name that is no docker reference,
// gets no containerd name.
func OCIName(s string, from []Name) (Name, error) {
	if isBareTag(s) {
		for _, n := range from {
			if n.Ref == nil {
				continue
			}
			if t, err := reference.WithTag(reference.TrimNamed(n.Ref), s); err == nil {
				return Name{Ref: t, RefName: s}, nil
			}
		}
	} else if n, err := ParseName(s); err == nil {
		return n.as(s), nil
	}
	if !ociRefName.MatchString(s) {
		return Name{}, fmt.Errorf("invalid name %q: neither a docker reference nor an OCI ref.name", s)
	}
	return Name{Raw: s}, nil
}

// namePicker matches a user's pick against names of images: the full
// normalised forms are compared, and raw names as written. The pick is
// parsed once, however many names it is held against.
type namePicker struct {
	pick, full string
}

func newNamePicker(pick string) namePicker {
	p := namePicker{pick: pick}
	if n, err := ParseName(pick); err == nil {
		p.full = n.Ref.String()
	}
	return p
}

func (p namePicker) matches(n Name) bool {
	if n.Ref == nil {
		return p.pick == n.Raw
	}
	s := n.Ref.String()
	return s == p.full || s == p.pick || n.RefName != "" && n.RefName == p.pick
}

// uniqueNames drops repeats, keeping the first of each, in linear time:
// names are gathered with repeats and made unique once.
func uniqueNames(names []Name) []Name { return uniqueBy(names, Name.String) }

// uniqueBy keeps the first element of each key, in order, in linear time.
func uniqueBy[T any, K comparable](s []T, key func(T) K) []T {
	if len(s) < 2 {
		return s
	}
	seen := make(map[K]bool, len(s))
	out := make([]T, 0, len(s))
	for _, e := range s {
		if k := key(e); !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}

// allRaw reports whether none of names is a docker reference (bare tags).
func allRaw(names []Name) bool {
	for _, n := range names {
		if n.Ref != nil {
			return false
		}
	}
	return true
}
