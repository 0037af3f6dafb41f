// Lines: why loaders will not load an archive, one line per fact whatever
// the number of loaders it concerns, for what retar convert prints after a
// conversion and for --for's errors; each fix fitted to the conversion
// that wrote the archive (After).

package check

import (
	"slices"
	"strings"

	"github.com/retar-dev/retar/convert"
)

// A Conversion is what wrote the archive being judged, for fixes that fit
// it: a fix it already applied is dropped, and a fact its own options
// caused says so.
type Conversion struct {
	Options convert.Options
	// Compressed is the compression the destination's name gave the
	// archive ("gzip", "zstd"), "" for a plain tar.
	Compressed string
}

// causes say which option of a conversion, chosen by the user, makes a
// fact, as the command line spells it ("" for none).
var causes = map[Fact]func(c Conversion) string{
	FactZstdLayers: func(c Conversion) string {
		switch o := c.Options; {
		case o.Recompress && o.Compress == convert.Zstd:
			return "--compress zstd"
		case o.KeepZstd:
			return "--compress keep"
		}
		return ""
	},
	FactNoManifestJSON: func(c Conversion) string {
		if c.Options.OCIStrict {
			return "--oci-strict"
		}
		return ""
	},
	FactAbsentManifests: func(c Conversion) string {
		if c.Options.KeepAbsent {
			return "--keep-absent"
		}
		return ""
	},
	FactNoHost: func(c Conversion) string {
		var ps []string
		for _, p := range c.Options.Platforms {
			ps = append(ps, convert.PlatformString(&p))
		}
		if len(ps) == 0 {
			return ""
		}
		return "--platform " + strings.Join(ps, ",")
	},
	FactDockerZstd: func(c Conversion) string {
		if c.Options.Format == convert.FormatV2S2 {
			return "--format v2s2"
		}
		return ""
	},
	FactCompressed: func(c Conversion) string {
		if c.Compressed != "" {
			return "its ." + map[string]string{"gzip": "gz", "zstd": "zst"}[c.Compressed] + " name"
		}
		return ""
	},
}

// Cause is the option of the conversion c that made the fact, as the
// command line spells it ("--compress zstd"), or "".
func (f Fact) Cause(c Conversion) string {
	if cause, ok := causes[f]; ok {
		return cause(c)
	}
	return ""
}

// done reports whether the conversion already did what the fix says: its
// layout (any, when the fix names none) and each of its options. A name
// is never done: -t adds one, and a bare tag given still wants a full one.
func (x Fix) done(o convert.Options) bool {
	if x.Rename != "" || x.To != "" && x.To != o.To {
		return false
	}
	for _, opt := range x.Options {
		switch {
		case opt.Name == "compress" && opt.Value == "gzip":
			if !o.Recompress || o.Compress != convert.Gzip {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// After is the problem's fix in words right after the conversion c wrote
// the archive: "" when c already did what it says (it did not help), its
// Again words otherwise (the options to convert with again).
func (p Problem) After(c Conversion) string {
	switch {
	case p.Fix == nil:
		return ""
	case p.Fact.Cause(c) != "":
		return p.Fix.Again
	case p.Fix.done(c.Options):
		return ""
	}
	return p.Fix.Again
}

// A Line says why some loaders will not load the archive, one fact.
type Line struct {
	Fact Fact     `json:"fact"`
	IDs  []string `json:"ids"`
	Text string   `json:"text"`
}

// Failing says why the loaders ids (in the order given: the ones that
// matter most first) will not load the archive: one line per fact and
// wording, the loaders it concerns named together, with the fix; conv,
// when not nil, is the conversion that wrote it, which the fixes fit.
func (r *Report) Failing(ids []string, conv *Conversion) []Line {
	var groups []*group
	for _, id := range ids {
		v, ok := r.verdict(id)
		if !ok || v.Loads {
			continue
		}
		for _, p := range v.Facts {
			if !p.Fails {
				continue
			}
			g := &group{p: p, fix: fixText(p)}
			if conv != nil {
				g.cause, g.fix = p.Fact.Cause(*conv), p.After(*conv)
			}
			i := slices.IndexFunc(groups, func(o *group) bool {
				return o.p.Fact == p.Fact && o.p.Does == p.Does && (p.Does != "" || o.p.Text == p.Text) && o.fix == g.fix && o.cause == g.cause
			})
			if i < 0 {
				groups = append(groups, g)
				i = len(groups) - 1
			}
			if p.Who != "" {
				groups[i].who = appendNew(groups[i].who, p.Who)
			} else {
				groups[i].ids = appendNew(groups[i].ids, id)
			}
			groups[i].all = appendNew(groups[i].all, id)
		}
	}
	var out []Line
	for _, g := range groups {
		out = append(out, Line{Fact: g.p.Fact, IDs: g.all, Text: g.text()})
	}
	return out
}

// A group is one fact that stops several loaders alike, said once.
type group struct {
	p     Problem
	cause string
	fix   string
	ids   []string // named by their titles
	who   []string // names given instead (Problem.Who)
	all   []string // every loader concerned
}

// text is the group's line: the fact, who it stops, and the fix.
func (g *group) text() string {
	who := And(nonEmpty(Who(g.ids), And(g.who)))
	var s string
	if g.p.Does != "" {
		head := g.p.Fact.Head()
		if g.cause != "" {
			head += ", as " + g.cause + " asked"
		}
		s = head + ": " + who + " " + g.p.Does
	} else {
		s = who + " will not load it: " + g.p.Text
		if g.cause != "" {
			s += " (as " + g.cause + " asked)"
		}
	}
	if g.fix != "" {
		s += "; " + g.fix
	}
	return s
}

// fixText is a problem's fix in words, "" for none.
func fixText(p Problem) string {
	if p.Fix == nil {
		return ""
	}
	return p.Fix.Text
}

// verdict is the verdict of a loader, by id.
func (r *Report) verdict(id string) (Verdict, bool) {
	for _, v := range r.Consumers {
		if v.Consumer == id {
			return v, true
		}
	}
	return Verdict{}, false
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// nonEmpty keeps the words that say something.
func nonEmpty(words ...string) []string {
	return slices.DeleteFunc(words, func(s string) bool { return s == "" })
}

// containerdFirst are the loaders that read an OCI layout's index.json,
// in the order they come first where docker load is not the main reader.
var containerdFirst = []string{"ctr-1.6", "ctr-2.0", "ctr-2.1", "ctr-2.3", "ctr-2.4", "kind", "k3s", "nerdctl", "docker-29-containerd", "docker-containerd", "podman"}

// ReadersFirst are the loaders, the main readers of a conversion's output
// first: docker's where docker load is (a docker-archive, or an
// oci-archive of images that came from one: convert.Preview.DockerLoads),
// else containerd's importers and podman; then the others, in the
// loaders' order.
func ReadersFirst(o convert.Options, from ...convert.Layout) []string {
	var first []string
	if convert.NewPreview(o, from...).DockerLoads() {
		first = groups["docker"]
	} else {
		first = containerdFirst
	}
	out := slices.Clone(first)
	for _, l := range loaders {
		if !slices.Contains(out, l.id) {
			out = append(out, l.id)
		}
	}
	return out
}
