package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// JSON documents are read strictly: an object naming one member twice is
// refused, since decoders disagree on which one counts (Go's takes the last,
// others the first) and containerd and the image-spec validators call it
// invalid. Go's decoder also matches struct fields case-insensitively, so in
// the documents retar decodes into structs two names that differ only in
// case ("layers", "Layers") are the same member twice too; objects that are
// free-form maps (annotations, labels) keep case-sensitive names.

// errDuplicateKey is wrapped by the error for a member named twice.
var errDuplicateKey = errors.New("a JSON object names one member twice")

// mapKeys are members whose values are free-form maps: their names are
// data, compared exactly.
var mapKeys = map[string]bool{"annotations": true, "labels": true, "exposedports": true, "volumes": true, "layersources": true}

// fold is the case folding encoding/json matches field names with.
func fold(s string) string { return strings.ToLower(strings.ToUpper(s)) }

// jsonScan reports a document's structure in one pass: each member name, each
// scalar value and each object, with its path and byte range. Paths name
// members as folded (foldStructs) or exact, as the decoder would match them.
type jsonScan struct {
	foldStructs bool
	onScalar    func(path []string, start, end int)
	onObject    func(path []string, open, close int, empty bool)
	// onMember reports each member of an object: its name as matched, and
	// its bytes from the opening quote of the name to the end of the value.
	onMember func(object []string, name string, start, end int)
}

type scanFrame struct {
	array   bool
	isMap   bool // a free-form map: exact names, no folding
	index   int
	key     string
	inKey   bool
	open    int
	members int
	seen    map[string]bool
	// memberStart is where the member being read starts (its name's quote).
	memberStart int
}

func (s *jsonScan) run(doc []byte) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	st := &scanState{scan: s, doc: doc}
	done := false // a whole value has been read
	for {
		prev := int(dec.InputOffset())
		tok, err := dec.Token()
		if err == io.EOF {
			if len(st.stack) > 0 {
				return io.ErrUnexpectedEOF
			}
			return nil
		}
		if err != nil {
			return err
		}
		if done {
			return errors.New("more than one JSON value")
		}
		if err := st.token(tok, prev, int(dec.InputOffset())); err != nil {
			return err
		}
		done = len(st.stack) == 0
	}
}

// scanState is a scan under way: the containers open, innermost last.
type scanState struct {
	scan  *jsonScan
	doc   []byte
	stack []*scanFrame
}

// token takes the next token, which spans doc[prev:end] with what precedes
// it (spaces, a colon, a comma).
func (st *scanState) token(tok json.Token, prev, end int) error {
	top := st.top()
	if top != nil && !top.array && top.inKey {
		if d, ok := tok.(json.Delim); ok && d == '}' {
			if st.scan.onObject != nil {
				st.scan.onObject(st.path()[:len(st.stack)-1], top.open, end-1, top.members == 0)
			}
			st.pop(end)
			return nil
		}
		return st.key(top, tok.(string), prev)
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '}' || t == ']' {
			st.pop(end)
			return nil
		}
		f := &scanFrame{array: t == '[', inKey: t == '{', open: end - 1, seen: map[string]bool{}}
		if top != nil && !top.array {
			f.isMap = mapKeys[fold(top.key)]
		}
		st.stack = append(st.stack, f)
	default:
		start := prev
		for start < end && strings.IndexByte(" \t\n\r:,", st.doc[start]) >= 0 {
			start++
		}
		if st.scan.onScalar != nil {
			st.scan.onScalar(st.path(), start, end)
		}
		st.advance(end)
	}
	return nil
}

// key takes a member name, refusing one the object already has.
func (st *scanState) key(top *scanFrame, name string, prev int) error {
	k := name
	if st.scan.foldStructs && !top.isMap {
		k = fold(name)
	}
	if top.seen[k] {
		return fmt.Errorf("%w: %q", errDuplicateKey, name)
	}
	top.seen[k] = true
	top.members++
	top.key, top.inKey = k, false
	top.memberStart = prev + bytes.IndexByte(st.doc[prev:], '"')
	return nil
}

func (st *scanState) top() *scanFrame {
	if len(st.stack) == 0 {
		return nil
	}
	return st.stack[len(st.stack)-1]
}

func (st *scanState) pop(end int) {
	st.stack = st.stack[:len(st.stack)-1]
	st.advance(end)
}

// path is where the scan is: member names and array indexes.
func (st *scanState) path() []string {
	p := make([]string, 0, len(st.stack))
	for _, f := range st.stack {
		if f.array {
			p = append(p, strconv.Itoa(f.index))
		} else {
			p = append(p, f.key)
		}
	}
	return p
}

// advance moves the innermost container past a value it just held, which
// ends at end.
func (st *scanState) advance(end int) {
	if top := st.top(); top != nil && top.array {
		top.index++
	} else if top != nil {
		if st.scan.onMember != nil {
			p := st.path()
			st.scan.onMember(p[:len(p)-1], top.key, top.memberStart, end)
		}
		top.inKey = true
	}
}

// checkJSON refuses a document that names one member of an object twice;
// with foldStructs, names that differ only in case count as one outside
// free-form maps.
func checkJSON(doc []byte, foldStructs bool) error {
	return (&jsonScan{foldStructs: foldStructs}).run(doc)
}

// jsonEdit rewrites values of a JSON document in place, leaving every other
// byte as it was: key order, spacing and fields retar does not know survive,
// so converting a manifest there and back gives its bytes back. It finds
// members as the decoder does (names folded outside free-form maps), and a
// member the document lacks is inserted into its object.
type jsonEdit struct {
	doc     []byte
	values  map[string][2]int // by pathKey: a scalar's byte range
	objects map[string]jsonObject
	members map[string][]jsonMember // by the object's pathKey, in order
	edits   []splice
}

type jsonMember struct {
	name       string // as matched
	start, end int    // the name's quote to the value's end
}

type jsonObject struct {
	open  int // offset of '{'
	empty bool
}

type splice struct {
	start, end int
	raw        []byte
}

// newJSONEdit indexes doc's scalars and objects once, so each edit is a map
// lookup and a document of many layers is edited in linear time.
func newJSONEdit(doc []byte) (*jsonEdit, error) {
	e := &jsonEdit{doc: doc, values: map[string][2]int{}, objects: map[string]jsonObject{}, members: map[string][]jsonMember{}}
	s := &jsonScan{foldStructs: true,
		onMember: func(p []string, name string, start, end int) {
			k := strings.Join(p, "\x00")
			e.members[k] = append(e.members[k], jsonMember{name, start, end})
		},
		onScalar: func(p []string, start, end int) { e.values[strings.Join(p, "\x00")] = [2]int{start, end} },
		onObject: func(p []string, open, _ int, empty bool) {
			e.objects[strings.Join(p, "\x00")] = jsonObject{open: open, empty: empty}
		},
	}
	if err := s.run(doc); err != nil {
		return nil, err
	}
	return e, nil
}

// pathKey is path as the index keys it: member names folded, but for those
// inside free-form maps.
func pathKey(path []string) string {
	out := make([]string, len(path))
	for i, p := range path {
		if i > 0 && mapKeys[fold(path[i-1])] {
			out[i] = p
		} else {
			out[i] = fold(p)
		}
	}
	return strings.Join(out, "\x00")
}

// set replaces the scalar at path with v (marshalled), or inserts it as a new
// member when the object at path's parent lacks it.
func (e *jsonEdit) set(v any, path ...string) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if r, ok := e.values[pathKey(path)]; ok {
		e.edits = append(e.edits, splice{r[0], r[1], raw})
		return nil
	}
	parent := pathKey(path[:len(path)-1])
	o, ok := e.objects[parent]
	if !ok {
		return fmt.Errorf("no object at %s to hold %s", strings.Join(path[:len(path)-1], "."), path[len(path)-1])
	}
	k, _ := json.Marshal(path[len(path)-1])
	member := append(append(k, ':'), raw...)
	if !o.empty {
		member = append(member, ',')
	}
	// One object may gain several members: each is inserted first, and the
	// later ones go before the earlier ones, which keeps the commas right.
	e.edits = append(e.edits, splice{o.open + 1, o.open + 1, member})
	o.empty = false
	e.objects[parent] = o
	return nil
}

// remove takes the named members out of the object at path, with the commas
// that joined them, and says whether it had any. Nothing else in that object
// may be edited but the values of the members kept; call it once per object.
func (e *jsonEdit) remove(path []string, names ...string) bool {
	drop := map[string]bool{}
	for _, n := range names {
		k := pathKey(append(append([]string{}, path...), n))
		drop[k[strings.LastIndex(k, "\x00")+1:]] = true
	}
	ms := e.members[pathKey(path)]
	first := -1 // the first member kept
	for i, m := range ms {
		if !drop[m.name] {
			first = i
			break
		}
	}
	removed := false
	switch {
	case first < 0 && len(ms) > 0: // none kept
		e.edits = append(e.edits, splice{ms[0].start, ms[len(ms)-1].end, nil})
		return true
	case first > 0: // those before the first kept, up to its name
		e.edits = append(e.edits, splice{ms[0].start, ms[first].start, nil})
		removed = true
	}
	for i := first + 1; first >= 0 && i < len(ms); i++ {
		if drop[ms[i].name] { // from the end of the member before, comma and all
			e.edits = append(e.edits, splice{ms[i-1].end, ms[i].end, nil})
			removed = true
		}
	}
	return removed
}

func (e *jsonEdit) bytes() []byte {
	sort.SliceStable(e.edits, func(i, j int) bool { return e.edits[i].start < e.edits[j].start })
	var b bytes.Buffer
	pos := 0
	for i := 0; i < len(e.edits); {
		j := i
		for j < len(e.edits) && e.edits[j].start == e.edits[i].start && e.edits[j].start == e.edits[j].end {
			j++
		}
		if j > i { // insertions at one offset, the latest first
			b.Write(e.doc[pos:e.edits[i].start])
			for k := j - 1; k >= i; k-- {
				b.Write(e.edits[k].raw)
			}
			pos = e.edits[i].start
			i = j
			continue
		}
		s := e.edits[i]
		b.Write(e.doc[pos:s.start])
		b.Write(s.raw)
		pos = s.end
		i++
	}
	b.Write(e.doc[pos:])
	return b.Bytes()
}
