// retar explain: a loader's error matched against the messages check's
// rules quote (explain_known.go), with the fact each stands for and its fix;
// given the archive, the fact confirmed by check's own verdict on it.

package check

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
)

// A KnownMessage is one message a loader prints for a fact, as check
// quotes it ("..." for what varies: digests, paths, names).
type KnownMessage struct {
	Loader  string `json:"loader"`
	Title   string `json:"title"`
	Message string `json:"message"`
	Fact    Fact   `json:"fact"`
	Head    string `json:"head"`
	// Measured: make interop compares the verdict quoting it with what the
	// loader printed; otherwise a rule's text quotes it.
	Measured bool `json:"measured"`
	// Partial: the output holds a part of the message only (its start or
	// its end, what the loader says around it left out).
	Partial bool `json:"partial,omitempty"`
	// Fix is the fact's fix, as check gives it without an archive; nil
	// where no conversion fixes it.
	Fix *Fix `json:"fix,omitempty"`
}

var (
	knownOnce sync.Once
	known     []KnownMessage
)

// KnownMessages are every message check quotes, one per loader and fact,
// in the table's order.
func KnownMessages() []KnownMessage {
	knownOnce.Do(func() { known = knownMessages() })
	return slices.Clone(known)
}

func knownMessages() []KnownMessage {
	var out []KnownMessage
	for _, r := range messageRows {
		for _, id := range r.loaders {
			k := KnownMessage{Loader: id, Title: titleOf(id), Message: r.message, Fact: r.fact, Head: r.fact.Head(),
				Measured: slices.Contains(r.measured, id), Fix: FactFix(r.fact, id)}
			out = append(out, k)
		}
	}
	return out
}

// FactFix is the fix check gives for a fact to a loader when it has no
// archive to fit it to; nil where no conversion fixes the fact.
func FactFix(f Fact, loader string) *Fix {
	a, ok := factFixes[f]
	if !ok {
		return nil
	}
	if a == "archive-oci-archive" && strings.HasPrefix(loader, "docker-") && loader != "docker-29-containerd" && loader != "docker-containerd" {
		a = "archive-docker-archive"
	}
	x := Advice()[a]
	return &x
}

func titleOf(id string) string {
	for _, l := range loaders {
		if l.id == id {
			return l.title
		}
	}
	return id
}

// The variable parts of a message, each replaced by a placeholder on both
// sides, in this order: digests first (they hold digits), then quoted
// words (a name, a media type; a quoted sentence is words: k3s quotes its
// whole message in its log), paths and references (they hold slashes), then numbers.
var variableParts = []struct {
	re *regexp.Regexp
	to string
}{
	{regexp.MustCompile(`(sha256|sha512):(\.\.\.|…|[0-9a-f]{6,128})`), " $1 ‹digest› "},
	{regexp.MustCompile(`\b[0-9a-f]{12,64}\b`), " ‹digest› "},
	{regexp.MustCompile(`\\?"[^"\s\\]*\\?"|'[^'\s]*'|“[^”\s]*”`), " ‹quoted› "},
	{regexp.MustCompile(`[^\s"',()]*/[^\s"',()]*`), pathHolder},
	{regexp.MustCompile(`\b\d+([.:-]\d+)*\b`), " ‹n› "},
}

// pathHolder stands for a path, a reference or a media type (what holds
// a slash), before its last part.
const pathHolder = " ‹path› "

// wildcard stands in a normalised pattern for check's "...".
const wildcard = "‹any›"

var (
	punctuation = regexp.MustCompile(`[\s:;,.!()\[\]{}="'\\]+`)
	spaces      = regexp.MustCompile(`\s+`)
)

// Normalize is a message with its variable parts replaced by placeholders,
// lower-cased, punctuation folded to spaces: both a loader's output and
// check's quotes go through it before they are compared.
func Normalize(s string) string {
	s = strings.ToLower(s)
	for _, v := range variableParts {
		if v.to == pathHolder {
			// a path keeps its last part: ".../blobs/json" is no ".../index.json"
			s = v.re.ReplaceAllStringFunc(s, func(p string) string { return pathHolder + p[strings.LastIndex(p, "/")+1:] })
			continue
		}
		s = v.re.ReplaceAllString(s, v.to)
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, "...", " "+wildcard+" "), "…", " "+wildcard+" ")
	s = punctuation.ReplaceAllString(s, " ")
	return strings.TrimSpace(spaces.ReplaceAllString(s, " "))
}

// patternOf is a quote as a regular expression over normalised text: its
// words in order, anything where it says "...".
func patternOf(quote string) *regexp.Regexp { return partsPattern(quoteParts(quote)) }

// quoteParts are a quote's fixed parts, normalised, between its "...".
func quoteParts(quote string) []string {
	parts := strings.Split(Normalize(quote), wildcard)
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}

func partsPattern(parts []string) *regexp.Regexp {
	q := make([]string, len(parts))
	for i, p := range parts {
		q[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`(^|\s)` + strings.Join(q, `.*?`) + `($|\s)`)
}

// Says reports whether a loader's output holds a quote ("..." for what
// varies), as explain matches them.
func Says(output, quote string) bool { return patternOf(quote).MatchString(Normalize(output)) }

// minPartWords is how many words a part of a quote needs to stand for it:
// users paste a message's end ("mismatched image rootfs and manifest
// layers") or its start ("failed to get stream processor for
// application/vnd.in-toto+json"), without the rest the loader wraps it in.
const minPartWords = 4

// A quotePattern is a quote compiled once: the whole, and each run of its
// parts long enough to stand for it, with its fixed characters.
type quotePattern struct {
	whole    *regexp.Regexp
	wholeLen int
	runs     []*regexp.Regexp
	runLens  []int
}

var (
	patternsOnce sync.Once
	patterns     map[string]*quotePattern
)

// compiledQuotes are the patterns of every known message, compiled once.
func compiledQuotes() map[string]*quotePattern {
	patternsOnce.Do(func() {
		patterns = map[string]*quotePattern{}
		for _, r := range messageRows {
			if patterns[r.message] == nil {
				patterns[r.message] = compileQuote(r.message)
			}
		}
	})
	return patterns
}

func compileQuote(quote string) *quotePattern {
	parts := quoteParts(quote)
	q := &quotePattern{whole: partsPattern(parts), wholeLen: len(strings.Join(parts, ""))}
	for i := range parts {
		for j := len(parts); j > i; j-- {
			fixed := strings.Join(parts[i:j], " ")
			if (i == 0 && j == len(parts)) || len(strings.Fields(fixed)) < minPartWords {
				continue
			}
			q.runs, q.runLens = append(q.runs, partsPattern(parts[i:j])), append(q.runLens, len(fixed))
		}
	}
	return q
}

// fits says how much of a quote the normalised text holds, in fixed
// characters (0: none); partial when it holds a run of its parts only.
func (q *quotePattern) fits(text string) (n int, partial bool) {
	if q.whole.MatchString(text) {
		return q.wholeLen, false
	}
	for i, re := range q.runs {
		if q.runLens[i] > n && re.MatchString(text) {
			n = q.runLens[i]
		}
	}
	return n, n > 0
}

// Match is the known messages a loader's output holds, the most specific
// first (the most fixed words: "failed to extract layer ...: unexpected
// EOF" over "unexpected EOF"; a whole quote over a part of one); an output
// may hold several (docker prints the error of each step).
func Match(output string) []KnownMessage {
	text := Normalize(output)
	var out []KnownMessage
	score := map[string]int{}
	for _, k := range KnownMessages() {
		n, partial := compiledQuotes()[k.Message].fits(text)
		if n == 0 {
			continue
		}
		k.Partial = partial
		if !partial {
			n += 1 << 20
		}
		score[k.Message] = n
		out = append(out, k)
	}
	sort.SliceStable(out, func(i, j int) bool { return score[out[i].Message] > score[out[j].Message] })
	return out
}

// A Near is a known message like an unknown one, scored 0..1.
type Near struct {
	Message string   `json:"message"`
	Loaders []string `json:"loaders"`
	Score   float64  `json:"score"`
}

// Nearest are the n known messages whose normalised words are most like
// the output's (Dice's coefficient over word sets), best first.
func Nearest(output string, n int) []Near {
	words := wordSet(Normalize(output))
	byMessage := map[string]*Near{}
	var order []string
	for _, k := range KnownMessages() {
		key := Normalize(k.Message) // "Error unpacking image" is nerdctl's "error unpacking image"
		nr, ok := byMessage[key]
		if !ok {
			nr = &Near{Message: k.Message, Score: dice(words, wordSet(key))}
			byMessage[key] = nr
			order = append(order, key)
		}
		if !slices.Contains(nr.Loaders, k.Loader) {
			nr.Loaders = append(nr.Loaders, k.Loader)
		}
	}
	var out []Near
	for _, m := range order {
		if byMessage[m].Score > 0 {
			out = append(out, *byMessage[m])
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// fillers are words too common in errors to make two alike.
var fillers = map[string]bool{"the": true, "and": true, "for": true, "any": true, "of": true, "is": true,
	"a": true, "an": true, "to": true, "in": true, "on": true, "it": true, "error": true, wildcard: true}

func wordSet(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.Fields(s) {
		if !fillers[w] {
			out[w] = true
		}
	}
	return out
}

// dice is Dice's coefficient of two word sets, a word of one counting as
// in the other where one there is alike (alike: "unrecognised" and
// "unrecognized").
func dice(a, b map[string]bool) float64 {
	if len(a)+len(b) == 0 {
		return 0
	}
	both := 0
	for w := range a {
		for v := range b {
			if alike(w, v) {
				both++
				break
			}
		}
	}
	return float64(2*both) / float64(len(a)+len(b))
}

// alike: the same word, or one spelled otherwise at its end (a common
// start of five letters or more, and of most of the shorter).
func alike(a, b string) bool {
	if a == b {
		return true
	}
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n >= 5 && 10*n >= 7*min(len(a), len(b))
}

// A Fit is a known message held against an archive: whether check's
// verdict on it for that loader says the fact, in its own words, with the
// fix fitted to the archive.
type Fit struct {
	Loader    string   `json:"loader"`
	Fact      Fact     `json:"fact"`
	Confirmed bool     `json:"confirmed"`
	Problem   *Problem `json:"problem,omitempty"` // the verdict's, when confirmed
	// Command is the fix as a command line for the archive, writing out.
	Command string `json:"command,omitempty"`
}

// Fits holds each match against the report on an archive (src, fixed into
// out): a match whose loader's verdict says its fact is confirmed.
func (r *Report) Fits(matches []KnownMessage, src, out string) []Fit {
	var fits []Fit
	for _, m := range matches {
		ft := Fit{Loader: m.Loader, Fact: m.Fact}
		if v, ok := r.verdict(m.Loader); ok {
			for _, p := range v.Facts {
				if p.Fact != m.Fact {
					continue
				}
				p := p
				ft.Confirmed, ft.Problem = true, &p
				if p.Fix != nil {
					ft.Command = p.Fix.Line(src, out)
				}
				break
			}
		}
		fits = append(fits, ft)
	}
	return fits
}

// MessageTable is the covered messages as a Markdown table, one row per
// loader and message: the README's, which a test keeps equal to this.
func MessageTable() string {
	var b strings.Builder
	b.WriteString("| loader | message | fact | fix | basis |\n|---|---|---|---|---|\n")
	type row struct {
		facts []string
		fix   []string
		basis string
	}
	rows := map[[2]string]*row{}
	var order [][2]string
	for _, k := range KnownMessages() {
		key := [2]string{k.Loader, k.Message}
		r, ok := rows[key]
		if !ok {
			r = &row{basis: "rule's text"}
			rows[key] = r
			order = append(order, key)
		}
		r.facts = append(r.facts, k.Head)
		if k.Fix != nil && !slices.Contains(r.fix, k.Fix.Title) {
			r.fix = append(r.fix, k.Fix.Title)
		}
		if k.Measured {
			r.basis = "measured"
		}
	}
	at := map[string]int{}
	for i, l := range loaders {
		at[l.id] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return at[order[i][0]] < at[order[j][0]] })
	for _, key := range order {
		r := rows[key]
		fix := strings.Join(r.fix, "; ")
		if fix == "" {
			fix = "—"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s | %s |\n", key[0], key[1], strings.Join(r.facts, "; "), fix, r.basis)
	}
	return b.String()
}
