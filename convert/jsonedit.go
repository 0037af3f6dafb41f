package convert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
)

// jsonEdit rewrites scalar values of a JSON document in place, leaving every
// other byte as it was: key order, spacing and fields retar does not know
// survive, so converting a manifest there and back gives its bytes back.
type jsonEdit struct {
	doc   []byte
	edits []splice
}

type splice struct {
	start, end int
	raw        []byte
}

// valueAt is where a scalar value sits: its path ("layers", "0", "digest")
// and byte range.
type valueAt struct {
	path       []string
	start, end int
}

// scalars lists the scalar values of doc with their paths, in document order.
func scalars(doc []byte) ([]valueAt, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var stack []*jsonFrame
	var out []valueAt
	path := func() []string {
		p := make([]string, 0, len(stack))
		for _, f := range stack {
			if f.array {
				p = append(p, strconv.Itoa(f.index))
			} else {
				p = append(p, f.key)
			}
		}
		return p
	}
	for {
		prev := int(dec.InputOffset())
		tok, err := dec.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		end := int(dec.InputOffset())
		var top *jsonFrame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && !top.array && top.inKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				advance(stack)
				continue
			}
			top.key, top.inKey = tok.(string), false
			continue
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &jsonFrame{inKey: true})
			case '[':
				stack = append(stack, &jsonFrame{array: true})
			case '}', ']':
				stack = stack[:len(stack)-1]
				advance(stack)
			}
		default:
			start := prev
			for start < end && (doc[start] == ' ' || doc[start] == '\t' || doc[start] == '\n' || doc[start] == '\r' || doc[start] == ':' || doc[start] == ',') {
				start++
			}
			out = append(out, valueAt{path: path(), start: start, end: end})
			advance(stack)
		}
	}
}

// jsonFrame is a container being read: an array at an index, or an object
// at a key (or expecting the next key).
type jsonFrame struct {
	array bool
	index int
	key   string
	inKey bool
}

// advance moves the innermost container past a value it just held.
func advance(stack []*jsonFrame) {
	if len(stack) == 0 {
		return
	}
	top := stack[len(stack)-1]
	if top.array {
		top.index++
	} else {
		top.inKey = true
	}
}

// set replaces the value at path with v (marshalled); it fails if the path
// does not hold a scalar.
func (e *jsonEdit) set(at []valueAt, v any, path ...string) error {
	for _, s := range at {
		if equalPath(s.path, path) {
			raw, err := json.Marshal(v)
			if err != nil {
				return err
			}
			e.edits = append(e.edits, splice{s.start, s.end, raw})
			return nil
		}
	}
	return fmt.Errorf("no value at %v", path)
}

// insertFirst adds "key": v as the first member of the top-level object.
func (e *jsonEdit) insertFirst(key string, v any) error {
	i := bytes.IndexByte(e.doc, '{')
	if i < 0 {
		return fmt.Errorf("not a JSON object")
	}
	k, _ := json.Marshal(key)
	val, err := json.Marshal(v)
	if err != nil {
		return err
	}
	raw := append(append(append(k, ':'), val...), ',')
	if bytes.TrimSpace(e.doc[i+1:])[0] == '}' {
		raw = raw[:len(raw)-1]
	}
	e.edits = append(e.edits, splice{i + 1, i + 1, raw})
	return nil
}

func (e *jsonEdit) bytes() []byte {
	sort.Slice(e.edits, func(i, j int) bool { return e.edits[i].start < e.edits[j].start })
	var b bytes.Buffer
	pos := 0
	for _, s := range e.edits {
		b.Write(e.doc[pos:s.start])
		b.Write(s.raw)
		pos = s.end
	}
	b.Write(e.doc[pos:])
	return b.Bytes()
}

func equalPath(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
