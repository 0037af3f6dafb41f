package imagediff

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteText writes the report for people: grouped by image and platform,
// each fact once, changed values old → new, digests shortened.
func (r *Report) WriteText(w io.Writer) error {
	p := &printer{}
	p.line(0, "A: %s", sideLine(r.A))
	p.line(0, "B: %s", sideLine(r.B))
	for _, d := range r.Images {
		p.line(0, "")
		p.image(d)
	}
	p.line(0, "")
	switch {
	case r.Equal && r.A.Layout != r.B.Layout: // the images are the same bytes; the archives are not
		p.line(0, "A and B hold the same images, A as %s, B as %s.", r.A.Layout, r.B.Layout)
	case r.Equal:
		p.line(0, "A and B hold the same images.")
	}
	p.line(0, "delta A→B: %d %s, %s (blobs B needs that A does not hold)", r.Delta.Blobs, plural(r.Delta.Blobs, "blob"), size(r.Delta.Bytes))
	_, err := io.WriteString(w, p.String())
	return err
}

type printer struct{ strings.Builder }

func (p *printer) line(depth int, format string, args ...any) {
	p.WriteString(strings.Repeat("  ", depth))
	fmt.Fprintf(p, format, args...)
	p.WriteByte('\n')
}

func sideLine(s Side) string {
	src := s.Source
	if s.Pick != "" {
		src += " (" + s.Pick + ")"
	}
	return fmt.Sprintf("%s %s, %d %s, %s", s.Layout, src, s.Images, plural(s.Images, "image"), size(s.Size))
}

var statusWords = map[string]string{
	StatusSame:       "the same",
	StatusRepackaged: "same content, different packaging",
	StatusChanged:    "changed",
	StatusAdded:      "only in B",
	StatusRemoved:    "only in A",
}

func (p *printer) image(d *ImageDiff) {
	by := ""
	if d.MatchedBy != "" && d.MatchedBy != "name" {
		by = map[string]string{"config": " (matched by config)", "only": " (the one image of each)"}[d.MatchedBy]
	}
	p.line(0, "%s: %s%s", d.Name, statusWords[d.Status], by)
	if strings.Join(sorted(d.NamesA), " ") != strings.Join(sorted(d.NamesB), " ") && d.Status != StatusAdded && d.Status != StatusRemoved {
		p.line(1, "names: %s → %s", names(d.NamesA), names(d.NamesB))
	}
	if d.Root != nil && len(d.Platforms) != 1 {
		p.line(1, "root %s → %s", short(d.Root.Old), short(d.Root.New))
	}
	for _, s := range d.Packaging {
		if s != "names" {
			p.line(1, "packaging: %s", s)
		}
	}
	switch {
	case d.Status == StatusAdded || d.Status == StatusRemoved:
		p.alone(d)
		return
	case d.SizeA != d.SizeB:
		p.line(1, "size: %s → %s", size(d.SizeA), size(d.SizeB))
	default:
		p.line(1, "size: %s", size(d.SizeA))
	}
	for _, pd := range d.Platforms {
		if d.Status != StatusSame { // each platform is the same as the image
			p.platform(pd, d.index)
		}
	}
	if a := d.Artifacts; a != nil {
		for _, x := range a.Added {
			p.line(1, "+ %s %s, %s", x.Kind, short(x.Digest), size(x.Size))
		}
		for _, x := range a.Removed {
			p.line(1, "- %s %s, %s", x.Kind, short(x.Digest), size(x.Size))
		}
	}
}

// alone describes an image one side only has: its size, platforms, layers.
func (p *printer) alone(d *ImageDiff) {
	sz, ns := d.SizeA, d.NamesA
	if d.Status == StatusAdded {
		sz, ns = d.SizeB, d.NamesB
	}
	if len(ns) > 1 {
		p.line(1, "names: %s", names(ns))
	}
	var plats []string
	layers := 0
	for _, pd := range d.Platforms {
		plats = append(plats, pd.Platform)
		layers += len(pd.Layers.Added) + len(pd.Layers.Removed)
	}
	p.line(1, "size: %s; %s; %d %s", size(sz), names(plats), layers, plural(layers, "layer"))
}

func (p *printer) platform(pd *PlatformDiff, index bool) {
	p.line(1, "%s: %s", pd.Platform, statusWords[pd.Status])
	if pd.Manifest != nil {
		p.line(2, "manifest %s → %s", short(pd.Manifest.Old), short(pd.Manifest.New))
	}
	for _, s := range pd.Packaging {
		p.line(2, "packaging: %s", s)
	}
	if pd.Config != nil {
		p.line(2, "config %s → %s", short(pd.Config.Old), short(pd.Config.New))
	}
	for _, f := range pd.Fields {
		name := f.Field
		if f.Key != "" {
			name += " " + f.Key
		}
		p.line(3, "%s: %s → %s", name, value(f.Old), value(f.New))
	}
	if index && pd.Status != StatusSame && pd.Status != StatusAdded && pd.Status != StatusRemoved && pd.SizeA != pd.SizeB {
		p.line(2, "size: %s → %s", size(pd.SizeA), size(pd.SizeB))
	}
	p.layers(pd)
	if pd.Files != nil {
		p.files(pd.Files)
	}
}

func (p *printer) layers(pd *PlatformDiff) {
	l := pd.Layers
	if pd.Status == StatusSame {
		return
	}
	parts := []string{fmt.Sprintf("%d shared", l.Shared)}
	if n := len(l.Recompressed); n > 0 {
		parts = append(parts, fmt.Sprintf("%d recompressed", n))
	}
	if n := len(l.Added); n > 0 {
		parts = append(parts, fmt.Sprintf("%d added", n))
	}
	if n := len(l.Removed); n > 0 {
		parts = append(parts, fmt.Sprintf("%d removed", n))
	}
	if l.Reordered {
		parts = append(parts, "in another order")
	}
	p.line(2, "layers: %d → %d: %s", l.DiffIDsA, l.DiffIDsB, strings.Join(parts, ", "))
	for _, x := range l.Recompressed {
		p.line(3, "= %s: %s %s %s → %s %s %s", short(x.A.DiffID), short(x.A.Digest), x.A.Compression, size(x.A.Size), short(x.B.Digest), x.B.Compression, size(x.B.Size))
	}
	for _, x := range l.Removed {
		p.line(3, "- %s: %s %s %s", short(x.DiffID), short(x.Digest), x.Compression, size(x.Size))
	}
	for _, x := range l.Added {
		p.line(3, "+ %s: %s %s %s", short(x.DiffID), short(x.Digest), x.Compression, size(x.Size))
	}
}

func (p *printer) files(f *FileDiff) {
	p.line(2, "files: %d added, %d removed, %d modified (of %d → %d)", len(f.Added), len(f.Removed), len(f.Modified), f.FilesA, f.FilesB)
	for _, e := range f.Removed {
		p.line(3, "- %s  %s", e.Path, fileLine(e.File))
	}
	for _, e := range f.Added {
		p.line(3, "+ %s  %s", e.Path, fileLine(e.File))
	}
	for _, c := range f.Modified {
		p.line(3, "~ %s  %s → %s", c.Path, fileLine(c.A), fileLine(c.B))
	}
}

// fileLine is a file as ls -l would have it: type, mode, owner, size,
// link target, and a short content digest.
func fileLine(f File) string {
	s := fmt.Sprintf("%s %s %d:%d", f.Type, f.Mode, f.UID, f.GID)
	switch {
	case f.Type == "file":
		s += fmt.Sprintf(" %s %s", size(f.Size), short(f.Digest))
	case f.Link != "":
		s += " -> " + f.Link
	case f.Device != "":
		s += " " + f.Device
	}
	return s
}

func names(ns []string) string {
	if len(ns) == 0 {
		return "(none)"
	}
	return strings.Join(ns, ", ")
}

// short cuts a digest to 12 hex digits, as docker shows image IDs.
func short(v any) string {
	s, _ := v.(string)
	if s == "" {
		return "(none)"
	}
	if alg, hex, ok := strings.Cut(s, ":"); ok && len(hex) > 12 {
		return alg + ":" + hex[:12]
	}
	return s
}

func value(v any) string {
	switch v := v.(type) {
	case nil:
		return "(none)"
	case string:
		return fmt.Sprintf("%q", v)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func size(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/1024)
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
