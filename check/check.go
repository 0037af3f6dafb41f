// Package check says, from an archive's shape alone, what each loader makes
// of it: docker in each of its stores and versions, containerd's ctr, kind's
// and k3s's imports, nerdctl, podman and skopeo. Most rules are facts
// measured on those loaders (make interop compares each such verdict with
// what the loader did: interop/CHECK.md, interop/LOADERS.md); the others are
// read from the loader's code and say so. It reads the model convert.Open
// builds and hashes nothing.
//
// Where a rule goes, by what it is about:
//
//	loaders.go      the loaders: ids, titles, what was measured; groups, aliases
//	verdicts.go     each loader's rules, in the order it applies them
//	facts.go        what the rules read off a source, once
//	layouts.go      which shapes a loader reads at all (directory, dir:, pre-1.10)
//	compression.go  compressed archives and zstd layers; k3s's file names
//	names.go        the names each loader registers
//	platforms.go    the host platform; ctr's --all-platforms
//	sparse.go       absent manifests, configs, layers and foreign layers' bytes
//	supply.go       referrers, signatures, attestations; layers that break loaders
//	for.go          retar convert --for: what each loader needs of an output
//
// What a verdict says, and how it is said:
//
//	problems.go     each problem's fact and fix, as data; the fixes
//	say.go          the words the command line and the page both say: one table
//	who.go          loaders named together in words ("containerd 1.6–2.4")
//	lines.go        one line per fact after a conversion, fixes fitted to it
//	blocks.go       retar check's summary, blocks and fixes
//
// What a loader printed, turned back into the fact (retar explain):
//
//	explain_known.go  the messages the rules quote, by loader and fact
//	explain.go        a loader's output matched against them, held against an archive
package check

import (
	"fmt"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/retar-dev/retar/convert"
)

// A Verdict says what one loader does with an archive: whether the images
// end up in its store, under which names, with which command, and why not.
type Verdict struct {
	Consumer string   `json:"consumer"` // an id --for takes: docker-24, ctr-2.0, kind...
	Title    string   `json:"title"`
	Loads    bool     `json:"loads"` // the images end up in its store (ctr with no name: they do not)
	Names    []string `json:"names"` // as it registers them (kind's and nerdctl's digest references left out)
	Command  string   `json:"command,omitempty"`
	// Message is what the loader prints (part of it; "..." stands for what
	// varies: digests, paths), where that was measured.
	Message string `json:"message,omitempty"`
	// Problems are Facts in words, each with its fix: why it will not
	// load, or what to mind when it does.
	Problems []string  `json:"problems"`
	Facts    []Problem `json:"facts"`
	// Measured: make interop compares this verdict with the loader itself
	// (interop/CHECK.md). Otherwise the rules come from the loader's code.
	Measured bool `json:"measured"`
	// Basis says which: the loader and version measured, or "from the
	// loader's code, not measured".
	Basis string `json:"basis"`
}

// NotMeasured is the Basis of a verdict read from the loader's code.
const NotMeasured = "from the loader's code, not measured"

// Report is retar check's answer for one source.
type Report struct {
	SchemaVersion int `json:"schemaVersion"` // convert.JSONSchemaVersion

	Source    string                   `json:"source"`
	Layout    convert.Layout           `json:"layout"`
	Images    []convert.InspectedImage `json:"images"`
	Consumers []Verdict                `json:"consumers"`
}

// Archive predicts what each loader makes of an opened source, host being
// the platform the images are to run on. Each rule is a fact measured on the
// loader, or read from its code (Verdict.Basis says which).
func Archive(a *convert.Archive, host ocispec.Platform) *Report {
	f := factsOf(a, host)
	r := &Report{SchemaVersion: convert.JSONSchemaVersion, Source: a.Source, Layout: a.Layout}
	for _, img := range a.Images {
		r.Images = append(r.Images, img.Describe())
	}
	no, unknown := unknownLayout(f)
	for _, l := range loaders {
		v := Verdict{Consumer: l.id, Title: l.title, Loads: true, Basis: NotMeasured}
		switch {
		case unknown:
			v.fail(no)
		case l.measured != "":
			v = supplyRules(f, l.rules(f, v), true)
			v.Measured, v.Basis = true, "measured: "+l.measured
		default:
			v = supplyRules(f, l.rules(f, v), false)
		}
		v.Problems = []string{}
		for i, p := range v.Facts {
			v.Problems = append(v.Problems, p.String())
			v.Facts[i].Page = p.pageWords()
		}
		if v.Facts == nil {
			v.Facts = []Problem{}
		}
		r.Consumers = append(r.Consumers, v)
	}
	return r
}

// summarize lists at most five items, for one-line messages.
func summarize(items []string) string {
	if len(items) <= 5 {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:5], ", ") + fmt.Sprintf(" and %d more", len(items)-5)
}

// Fails reports whether a loader (an id, an alias, or a group of ids)
// will not load the archive; unknown names are an error.
func (r *Report) Fails(name string) (bool, error) {
	ids, err := expand(name)
	if err != nil {
		return false, err
	}
	for _, v := range r.Consumers {
		for _, id := range ids {
			if v.Consumer == id && !v.Loads {
				return true, nil
			}
		}
	}
	return false, nil
}
