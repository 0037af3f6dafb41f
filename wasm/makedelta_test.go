//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"syscall/js"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/retar-dev/retar/convert"
)

// nativeDeltaWith is what retar convert --since writes when HAVE holds h.
func nativeDeltaWith(t *testing.T, h *convert.Holdings, src []byte) []byte {
	t.Helper()
	o := convert.Options{To: convert.OCIArchive, Since: h, Host: ocispec.Platform{OS: "linux", Architecture: "amd64"}, Spill: convert.MemorySpill}
	plan, err := openNative(t, "src.tar", src, nil).Convert(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := plan.WriteTar(convert.WriterSink{Writer: &buf}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// makeDelta is the page's call: convert src into an oci-archive that
// leaves out what haves hold; the bytes and what it says it left out.
func makeDelta(t *testing.T, src js.Value, haves ...js.Value) ([]byte, convert.DeltaRecord, error) {
	t.Helper()
	var list []any
	for _, h := range haves {
		list = append(list, h)
	}
	v, err := convertJS(src, opts(map[string]any{"to": "oci-archive", "since": list}))
	if err != nil {
		return nil, convert.DeltaRecord{}, err
	}
	r := v.(js.Value)
	var rec convert.DeltaRecord
	if err := json.Unmarshal([]byte(js.Global().Get("JSON").Call("stringify", r.Get("delta")).String()), &rec); err != nil {
		t.Fatal(err)
	}
	var said struct{ AbsentBytes int64 }
	if err := json.Unmarshal([]byte(js.Global().Get("JSON").Call("stringify", r.Get("delta")).String()), &said); err != nil || said.AbsentBytes != rec.AbsentBytes() {
		t.Errorf("absentBytes %d, the absent blobs' sizes add to %d (%v)", said.AbsentBytes, rec.AbsentBytes(), err)
	}
	return blobBytes(t, r.Get("blob")), rec, nil
}

// A delta made in the page is what the command line writes, whether the
// far side is given as its archive, the list retar digests prints (text or
// JSON), or ctr's list of digests; and it says what it left out.
func TestMakeDelta(t *testing.T) {
	single := readFixture(t, "docker-save-single.tar")
	two := readFixture(t, "docker-save-two-images.tar")
	held := convert.NewHoldings()
	if err := openNative(t, "single.tar", single, nil).Holdings(context.Background(), held); err != nil {
		t.Fatal(err)
	}
	var text, ctr strings.Builder
	ctr.WriteString("DIGEST\tSIZE\tAGE\tLABELS\n")
	for _, b := range held.Blobs() {
		text.WriteString(b.Digest.String() + "\n")
		ctr.WriteString(b.Digest.String() + "\t1 kB\t2 days\t-\n")
	}
	for _, d := range held.DiffIDs() {
		text.WriteString("diff_id " + d.String() + "\n")
	}
	doc, err := json.Marshal(map[string]any{"schemaVersion": 1, "blobs": held.Blobs(), "diffIDs": held.DiffIDs()})
	if err != nil {
		t.Fatal(err)
	}
	byBlob := convert.NewHoldings()
	for _, b := range held.Blobs() {
		byBlob.AddDigest(b.Digest)
	}
	want, wantCtr := nativeDelta(t, single, two), nativeDeltaWith(t, byBlob, two)
	if len(want) >= len(two) {
		t.Fatalf("the delta (%d bytes) is no smaller than its source (%d)", len(want), len(two))
	}
	for _, c := range []struct {
		what string
		have js.Value
		want []byte
	}{
		{"the archive", blobInput("single.tar", single), want},
		{"the list", blobInput("single.digests.txt", []byte(text.String())), want},
		{"the JSON list", blobInput("single.json", doc), want},
		{"ctr's list", blobInput("ctr.txt", []byte(ctr.String())), wantCtr},
	} {
		got, rec, err := makeDelta(t, blobInput("two.tar", two), c.have)
		if err != nil {
			t.Errorf("%s: %v", c.what, err)
			continue
		}
		if !bytes.Equal(got, c.want) {
			t.Errorf("%s: the delta made here (%d bytes) differs from the command line's (%d)", c.what, len(got), len(c.want))
		}
		if len(rec.Absent) == 0 || rec.AbsentBytes() <= 0 || int64(len(got))+rec.AbsentBytes() < int64(len(want)) {
			t.Errorf("%s: left out %d blobs, %d bytes", c.what, len(rec.Absent), rec.AbsentBytes())
		}
	}
	// nothing held: every layer is carried, and the delta says it left none out
	got, rec, err := makeDelta(t, blobInput("two.tar", two), blobInput("empty.txt", nil))
	if err != nil || len(rec.Absent) != 0 || !bytes.Equal(got, nativeDeltaWith(t, convert.NewHoldings(), two)) {
		t.Errorf("an empty list: %v, %d left out", err, len(rec.Absent))
	}
}

// What is not a list, nor an archive, is refused in one line naming it;
// so is a delta asked of a layout that needs every layer, or made and
// applied at once.
func TestMakeDeltaRefused(t *testing.T) {
	two := blobInput("two.tar", readFixture(t, "docker-save-two-images.tar"))
	for _, c := range []struct {
		have         js.Value
		kind, prefix string
	}{
		{blobInput("have.txt", []byte("sha256:"+strings.Repeat("a", 64)+"\nsha256:nothex\n")), "list",
			`have.txt is not a list of what archives hold: line 2, "sha256:nothex", is not a digest.`},
		{blobInput("notes.txt", []byte("hello, this is not a list\n")), "list",
			`notes.txt is neither a list of what archives hold nor an image archive: it is text, but its first line, "hello, this is not a list", is not a digest.`},
		{blobInput("have.json", []byte(`{"schemaVersion": 1, "blobs": [`)), "list",
			"have.json is not a list of what archives hold: its JSON is not a list of digests."},
		{blobInput("have.bin", []byte{0x1f, 0x8b, 0, 0, 1, 2, 3}), "damaged", "have.bin is gzip-compressed"},
	} {
		_, _, err := makeDelta(t, two, c.have)
		kind, summary := errorWords(err, "two.tar")
		if err == nil || kind != c.kind || !strings.HasPrefix(summary, c.prefix) || strings.Contains(summary, "\n") {
			t.Errorf("%v: %s: %q, want %s: %q", err, kind, summary, c.kind, c.prefix)
		}
	}
	_, err := convertJS(two, opts(map[string]any{"to": "docker-archive", "since": []any{blobInput("e.txt", nil)}}))
	if !errors.Is(err, convert.ErrUsage) {
		t.Errorf("a docker-archive delta: %v", err)
	}
	_, err = convertJS(two, opts(map[string]any{"to": "oci-archive", "since": []any{blobInput("e.txt", nil)}, "bases": []any{blobInput("e.txt", nil)}}))
	if !errors.Is(err, convert.ErrUsage) {
		t.Errorf("since and bases at once: %v", err)
	}
}
