// Blocks: a report as retar check prints it. A summary line first, then
// the loaders that take the archive alike (the same verdict, the same
// names, for the same reasons) in one block each, then the fixes.

package check

import (
	"fmt"
	"slices"
	"strings"
)

// IDsOf are the ids the names (ids, aliases, groups) stand for, each once,
// in the order of the loaders; none stands for every loader.
func IDsOf(names []string) ([]string, error) {
	want := map[string]bool{}
	for _, n := range names {
		ids, err := expand(n)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			want[id] = true
		}
	}
	var out []string
	for _, l := range loaders {
		if len(names) == 0 || want[l.id] {
			out = append(out, l.id)
		}
	}
	return out, nil
}

// Summary says in how many of the loaders ids the archive loads, and in
// which: "loads in 8 of 15 loaders: docker (...), kind, ...". asked: ids
// are the loaders asked for, not all of them.
func (r *Report) Summary(ids []string, asked bool) string {
	var yes []string
	for _, id := range ids {
		if v, ok := r.verdict(id); ok && v.Loads {
			yes = append(yes, id)
		}
	}
	of := fmt.Sprintf("%d loaders", len(ids))
	if asked {
		of = fmt.Sprintf("the %d asked for", len(ids))
		if len(ids) == 1 {
			of = "the 1 asked for"
		}
	}
	switch {
	case len(ids) == 1 && len(yes) == 1:
		return "loads in " + Who(yes)
	case len(ids) == 1:
		return "will not load in " + Who(ids)
	case len(yes) == len(ids):
		return fmt.Sprintf("loads in all %s: %s", of, Who(yes))
	case len(yes) == 0:
		return "loads in none of " + of
	}
	return fmt.Sprintf("loads in %d of %s: %s", len(yes), of, Who(yes))
}

// A Block is loaders that take an archive alike: the same verdict, under
// the same names, for the same reasons.
type Block struct {
	IDs   []string
	Who   string // the loaders in words
	Loads bool
	Reads bool // skopeo's: it copies the archive, and registers nothing
	Names []string
	// Problems are the block's problems, each once (their fixes are
	// Remedies); one that not all of its loaders have starts with the
	// ones that have it.
	Problems []string
	// Commands, Messages and Basis: verbose blocks (one loader each) only.
	Command, Message, Basis string
}

// Blocks groups the verdicts of the loaders ids into blocks, those that
// will not load it first. Verbose: a block per loader, with its command,
// what it prints, what its verdict stands on, and notes about the
// loader itself (FactLoaderOption) that do not depend on the archive.
func (r *Report) Blocks(ids []string, verbose bool) []Block {
	type entry struct {
		key string
		ids []string
		vs  []Verdict
	}
	var entries []*entry
	for _, id := range ids {
		v, ok := r.verdict(id)
		if !ok {
			continue
		}
		key := v.Consumer
		if !verbose {
			key = blockKey(v)
		}
		i := slices.IndexFunc(entries, func(e *entry) bool { return e.key == key })
		if i < 0 {
			entries = append(entries, &entry{key: key})
			i = len(entries) - 1
		}
		entries[i].ids = append(entries[i].ids, id)
		entries[i].vs = append(entries[i].vs, v)
	}
	var out []Block
	for _, e := range entries {
		v := e.vs[0]
		b := Block{IDs: e.ids, Loads: v.Loads, Reads: reads(v), Names: v.Names, Who: blockWho(e.vs)}
		if verbose {
			b.Who, b.Command, b.Message, b.Basis = v.Title, v.Command, v.Message, v.Basis
		}
		b.Problems = blockProblems(e.vs, verbose)
		out = append(out, b)
	}
	// those that will not load it first, each kind in the loaders' order
	slices.SortStableFunc(out, func(a, b Block) int {
		switch {
		case a.Loads == b.Loads:
			return 0
		case !a.Loads:
			return -1
		}
		return 1
	})
	return out
}

// reads: skopeo copies an archive it reads; it registers no name.
func reads(v Verdict) bool { return v.Consumer == "skopeo" && v.Loads }

// blockKey is what loaders of one block share: the verdict, the names,
// and the facts of their problems (not those about the loader alone).
func blockKey(v Verdict) string {
	var facts []string
	for _, p := range v.Facts {
		if p.Fact != FactLoaderOption && !slices.Contains(facts, string(p.Fact)) {
			facts = append(facts, string(p.Fact))
		}
	}
	slices.Sort(facts)
	return fmt.Sprintf("%v %v %q %q", v.Loads, reads(v), v.Names, facts)
}

// blockWho names a block's loaders: a failing problem's Who stands for the
// loader it concerns ("docker before 23" for docker ≤ 24's zstd layers).
func blockWho(vs []Verdict) string {
	var ids, who []string
	for _, v := range vs {
		name := ""
		for _, p := range v.Facts {
			if p.Fails && p.Who != "" {
				name = p.Who
			}
		}
		if name != "" {
			who = appendNew(who, name)
		} else {
			ids = append(ids, v.Consumer)
		}
	}
	return And(nonEmpty(Who(ids), And(who)))
}

// blockProblems are the problems of a block's verdicts, each once, in the
// order first said; one not every verdict has is prefixed with the
// loaders that have it.
func blockProblems(vs []Verdict, verbose bool) []string {
	var texts []string
	whose := map[string][]string{}
	for _, v := range vs {
		for _, p := range v.Facts {
			if p.Fact == FactLoaderOption && !verbose {
				continue
			}
			s := p.Text
			if _, ok := whose[s]; !ok {
				texts = append(texts, s)
			}
			whose[s] = appendNew(whose[s], v.Consumer)
		}
	}
	var out []string
	for _, s := range texts {
		if len(whose[s]) < len(vs) {
			s = Who(whose[s]) + ": " + s
		}
		out = append(out, s)
	}
	return out
}

// A Remedy is one fix, with the loaders it is for: those that will not
// load the archive for what it fixes, or, where none, those that say
// something it fixes.
type Remedy struct {
	Fix   Fix
	IDs   []string
	Fails bool // IDs will not load it
}

// Remedies are the fixes of what the loaders ids say, each command once:
// first those that make a loader load it.
func (r *Report) Remedies(ids []string) []Remedy {
	var out []Remedy
	for _, id := range ids {
		v, ok := r.verdict(id)
		if !ok {
			continue
		}
		for _, p := range v.Facts {
			if p.Fix == nil {
				continue
			}
			i := slices.IndexFunc(out, func(m Remedy) bool { return m.Fix.same(*p.Fix) })
			if i < 0 {
				out = append(out, Remedy{Fix: *p.Fix})
				i = len(out) - 1
			}
			m := &out[i]
			switch {
			case p.Fails && !m.Fails:
				m.IDs, m.Fails = []string{id}, true
			case p.Fails == m.Fails:
				m.IDs = appendNew(m.IDs, id)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Remedy) int {
		switch {
		case a.Fails == b.Fails:
			return 0
		case a.Fails:
			return -1
		}
		return 1
	})
	return out
}

// Failed are the loaders of ids that will not load the archive.
func (r *Report) Failed(ids []string) []string {
	var out []string
	for _, id := range ids {
		if v, ok := r.verdict(id); ok && !v.Loads {
			out = append(out, id)
		}
	}
	return out
}

// quoted is a command line as a shell reads it: an argument with a space
// or a quote in quotes.
func quoted(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\"'$`\\|&;<>()*?[]#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

// Quoted is a command line as a shell reads it (see quoted).
func Quoted(args ...string) string { return quoted(args) }

// Line is the fix as a command line a shell runs, for an archive at src
// written to out.
func (x Fix) Line(src, out string) string { return quoted(x.Command(src, out)) }

// same reports whether two fixes run the same command.
func (x Fix) same(y Fix) bool { return slices.Equal(x.Command("SRC", "OUT"), y.Command("SRC", "OUT")) }
