package convert

import (
	"fmt"
	"strconv"
	"strings"
)

// Select returns the images a pick names: all of them for "", the N-th for
// "@N", those carrying a name otherwise. A name two images carry is ambiguous.
func (a *Archive) Select(pick string) ([]*Image, error) {
	if pick == "" {
		return a.Images, nil
	}
	if strings.HasPrefix(pick, "@") {
		i, err := strconv.Atoi(pick[1:])
		if err != nil || i < 0 || i >= len(a.Images) {
			return nil, fmt.Errorf("%s: no image %s: the source holds %d (@0 to @%d)%.0w", a.Source, pick, len(a.Images), len(a.Images)-1, ErrNoSuchImage)
		}
		return a.Images[i : i+1], nil
	}
	var found []*Image
	p := newNamePicker(pick)
	for _, img := range a.Images {
		for _, n := range img.Names {
			if p.matches(n) {
				found = append(found, img)
				break
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%s: no image named %q; it holds %s%.0w", a.Source, pick, a.describeImages(), ErrNoSuchImage)
	case 1:
		return found, nil
	}
	return nil, fmt.Errorf("%s: %q is ambiguous: %d images carry it; pick one with :@N (%s)%.0w", a.Source, pick, len(found), a.describeImages(), ErrAmbiguous)
}

// describeImages lists the images for an error message: "@0 (a:1, b:2), @1 (no name)".
func (a *Archive) describeImages() string {
	var parts []string
	for i, img := range a.Images {
		var names []string
		for _, n := range img.Names {
			names = append(names, n.String())
		}
		s := "no name"
		if len(names) > 0 {
			s = strings.Join(names, ", ")
		}
		parts = append(parts, fmt.Sprintf("@%d (%s)", i, s))
	}
	return strings.Join(parts, ", ")
}
