package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestCheckJSONDuplicates(t *testing.T) {
	for _, c := range []struct {
		doc  string
		fold bool
		bad  bool
	}{
		{`{"layers":[],"config":{}}`, true, false},
		{`{"layers":[1],"layers":[2]}`, false, true},
		{`{"layers":[1],"Layers":[2]}`, true, true},   // Go's decoder reads both into one field
		{`{"layers":[1],"Layers":[2]}`, false, false}, // a free-form document: distinct names
		{`{"a":{"b":1,"b":2}}`, true, true},
		{`[{"x":1},{"x":1}]`, true, false}, // one name in two objects
		{`{"annotations":{"Key":"1","key":"2"}}`, true, false},
		{`{"annotations":{"key":"1","key":"2"}}`, true, true},
		{`{"layers":[{"annotations":{"A":"","a":""},"digest":"x","Digest":"y"}]}`, true, true},
		{`{"s":1,"ſ":2}`, true, true}, // encoding/json folds the long s to s
		{`{"K":1,"\u212a":2}`, true, true},
		{`{"a":1} {"b":2}`, true, true},
		{`{"a":1`, true, true},
	} {
		err := checkJSON([]byte(c.doc), c.fold)
		if (err != nil) != c.bad {
			t.Errorf("checkJSON(%s, fold=%v) = %v; want an error: %v", c.doc, c.fold, err, c.bad)
		}
	}
}

func TestJSONEditInsertsWhatIsMissing(t *testing.T) {
	doc := `{"schemaVersion":2,"manifests":[{"digest":"sha256:1","size":1},{"mediaType":"x","digest":"sha256:2","size":2}]}`
	e, err := newJSONEdit([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range [][]string{{"mediaType"}, {"manifests", "0", "mediaType"}, {"manifests", "1", "mediaType"}} {
		if err := e.set("T", s...); err != nil {
			t.Fatalf("set %v: %v", s, err)
		}
	}
	if err := e.set("a", "manifests", "0", "annotations", "k"); err == nil {
		t.Error("set inside an object the document lacks: no error")
	}
	var idx ocispec.Index
	if err := json.Unmarshal(e.bytes(), &idx); err != nil {
		t.Fatalf("%s: %v", e.bytes(), err)
	}
	if idx.MediaType != "T" || idx.Manifests[0].MediaType != "T" || idx.Manifests[1].MediaType != "T" || idx.Manifests[1].Size != 2 {
		t.Errorf("edited: %s", e.bytes())
	}
}

// The editor finds members as the decoder does: a name in another case is
// the member the decoder reads, and annotation names are exact.
func TestJSONEditFindsWhatTheDecoderReads(t *testing.T) {
	doc := `{"MediaType":"old","Layers":[{"Digest":"sha256:a","annotations":{"K":"1"}}]}`
	e, err := newJSONEdit([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.set("new", "mediaType"))
	must(e.set("sha256:b", "layers", "0", "digest"))
	must(e.set("2", "layers", "0", "annotations", "k")) // another member: K stays
	var m ocispec.Manifest
	must(json.Unmarshal(e.bytes(), &m))
	if m.MediaType != "new" || m.Layers[0].Digest != "sha256:b" || m.Layers[0].Annotations["K"] != "1" || m.Layers[0].Annotations["k"] != "2" {
		t.Errorf("edited: %s", e.bytes())
	}
}

// Editing a manifest of many layers is linear: a scan per edit would take
// minutes at this size.
func TestScaleJSONEditManyLayers(t *testing.T) {
	if raceDetectorInternal {
		t.Skip("timing under the race detector says nothing; make test runs TestScale without it")
	}
	const n = 25000
	var b strings.Builder
	b.WriteString(`{"schemaVersion":2,"config":{"mediaType":"c","digest":"sha256:c","size":1},"layers":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%064d","size":%d}`, i, i)
	}
	b.WriteString(`]}`)
	start := time.Now()
	e, err := newJSONEdit([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		p := strconv.Itoa(i)
		for _, err := range []error{e.set("sha256:new", "layers", p, "digest"), e.set(i+1, "layers", p, "size"), e.set("z", "layers", p, "mediaType")} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(e.bytes(), &m); err != nil || len(m.Layers) != n || m.Layers[n-1].Size != n {
		t.Fatalf("%d layers, %v", len(m.Layers), err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("editing %d layers took %v", n, d)
	}
}

func BenchmarkJSONEdit(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		var sb strings.Builder
		sb.WriteString(`{"layers":[`)
		for i := range n {
			if i > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, `{"digest":"sha256:%064d","size":%d}`, i, i)
		}
		sb.WriteString(`]}`)
		doc := []byte(sb.String())
		b.Run(fmt.Sprint(n, "-layers"), func(b *testing.B) {
			for b.Loop() {
				e, _ := newJSONEdit(doc)
				for i := range n {
					_ = e.set(i, "layers", strconv.Itoa(i), "size")
				}
				_ = e.bytes()
			}
		})
	}
}

// Whatever the document, an accepted one edits into JSON that decodes to
// exactly what was set: the editor never disagrees with the decoder.
func FuzzJSONEdit(f *testing.F) {
	for _, s := range []string{
		`{"schemaVersion":2,"mediaType":"a","config":{"digest":"sha256:1"},"layers":[{"digest":"sha256:2","size":3}]}`,
		`{"layers":[{"digest":"sha256:2"}],"Layers":[]}`,
		`{"LAYERS":[{"DIGEST":"x","annotations":{"a":"b"}}]}`,
		`{"layers":[{}],"mediaType":null}`,
		`{ "layers" : [ { "size" : 1 } , { } ] }`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var probe ocispec.Manifest
		if json.Unmarshal(doc, &probe) != nil {
			return
		}
		e, err := newJSONEdit(doc)
		if err != nil {
			if !errors.Is(err, errDuplicateKey) && json.Valid(doc) {
				t.Fatalf("a valid document refused: %v", err)
			}
			return
		}
		if e.set("set/type", "mediaType") != nil {
			return
		}
		for i := range probe.Layers {
			if e.set(fmt.Sprint("sha256:", i), "layers", strconv.Itoa(i), "digest") != nil {
				return // the layer is not an object
			}
		}
		var got ocispec.Manifest
		if err := json.Unmarshal(e.bytes(), &got); err != nil {
			t.Fatalf("edited %s into %s, which does not decode: %v", doc, e.bytes(), err)
		}
		if got.MediaType != "set/type" || len(got.Layers) != len(probe.Layers) {
			t.Fatalf("edited %s into %s: %q, %d layers", doc, e.bytes(), got.MediaType, len(got.Layers))
		}
		for i, l := range got.Layers {
			if string(l.Digest) != fmt.Sprint("sha256:", i) {
				t.Fatalf("edited %s into %s: layer %d is %q", doc, e.bytes(), i, l.Digest)
			}
		}
	})
}

// raceDetectorInternal is set in race builds (see scale_test.go).
var raceDetectorInternal bool

func TestJSONEditRemove(t *testing.T) {
	cases := []struct {
		doc   string
		path  []string
		names []string
		want  string
	}{
		{`{"a":1,"b":2,"c":3}`, nil, []string{"a"}, `{"b":2,"c":3}`},
		{`{"a":1,"b":2,"c":3}`, nil, []string{"b"}, `{"a":1,"c":3}`},
		{`{"a":1,"b":2,"c":3}`, nil, []string{"c"}, `{"a":1,"b":2}`},
		{`{"a":1,"b":2,"c":3}`, nil, []string{"a", "b"}, `{"c":3}`},
		{`{"a":1,"b":2,"c":3}`, nil, []string{"b", "c"}, `{"a":1}`},
		{`{"a":1,"b":2,"c":3}`, nil, []string{"a", "c"}, `{"b":2}`},
		{`{"a":1,"b":2,"c":3}`, nil, []string{"a", "b", "c"}, `{}`},
		{"{\n  \"a\": {\"x\": [1, 2]},\n  \"B\": \"y\"\n}", nil, []string{"a"}, "{\n  \"B\": \"y\"\n}"},
		{`{"layers":[{"annotations":{"k":"v","toc":"t","K":"w"}}]}`, []string{"layers", "0", "annotations"}, []string{"toc", "k"}, `{"layers":[{"annotations":{"K":"w"}}]}`},
		{`{"a":1}`, nil, []string{"z"}, `{"a":1}`},
	}
	for _, c := range cases {
		e, err := newJSONEdit([]byte(c.doc))
		if err != nil {
			t.Fatal(err)
		}
		e.remove(c.path, c.names...)
		if got := string(e.bytes()); got != c.want {
			t.Errorf("remove %v from %s: got %s, want %s", c.names, c.doc, got, c.want)
		}
	}
	// A value kept may be edited with members removed around it.
	e, _ := newJSONEdit([]byte(`{"subject":{"digest":"x"},"mediaType":"m","artifactType":"t"}`))
	e.remove(nil, "subject", "artifactType")
	if err := e.set("n", "mediaType"); err != nil {
		t.Fatal(err)
	}
	if got := string(e.bytes()); got != `{"mediaType":"n"}` {
		t.Errorf("got %s", got)
	}
}
