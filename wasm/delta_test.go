//go:build js && wasm

package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"syscall/js"
	"testing"

	"github.com/retar-dev/retar/convert"
)

// openNative opens an archive with the core directly.
func openNative(t *testing.T, name string, data []byte, base *convert.Holdings) *convert.Archive {
	t.Helper()
	a, err := convert.Open(convert.Input{Name: name, Archive: bytes.NewReader(data), Size: int64(len(data)), Base: base})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// nativeDelta is what retar convert --since HAVE SRC DST writes, made with
// the core directly.
func nativeDelta(t *testing.T, have, src []byte) []byte {
	t.Helper()
	h := convert.NewHoldings()
	if err := openNative(t, "have.tar", have, nil).Holdings(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	return nativeDeltaWith(t, h, src)
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixtures + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func blobInput(name string, b []byte) js.Value {
	return js.ValueOf(map[string]any{"file": newBlob(b), "name": name})
}

// The page's digests are what the core lists, one a line, sorted, then the
// layers' diff_ids; two inputs list what either holds.
func TestDigestsText(t *testing.T) {
	single := readFixture(t, "docker-save-single.tar")
	two := readFixture(t, "docker-save-two-images.tar")
	h := convert.NewHoldings()
	for _, b := range [][]byte{single, two} {
		if err := openNative(t, "x.tar", b, nil).Holdings(context.Background(), h); err != nil {
			t.Fatal(err)
		}
	}
	var want strings.Builder
	for _, b := range h.Blobs() {
		want.WriteString(b.Digest.String() + "\n")
	}
	for _, d := range h.DiffIDs() {
		want.WriteString("diff_id " + d.String() + "\n")
	}
	got, err := digestsJS(js.ValueOf([]any{blobInput("single.tar", single), blobInput("two.tar", two)}), opts(map[string]any{}))
	if err != nil {
		t.Fatal(err)
	}
	v := got.(js.Value)
	if text := v.Get("text").String(); text != want.String() || !strings.Contains(text, "\ndiff_id sha256:") {
		t.Errorf("text:\n%s\nwant:\n%s", text, want.String())
	}
	if v.Get("schemaVersion").Int() != 1 || v.Get("blobs").Length() != h.Len() || v.Get("diffIDs").Length() != len(h.DiffIDs()) {
		t.Errorf("json: %s", js.Global().Get("JSON").Call("stringify", v).String())
	}
	if _, err := digestsJS(js.ValueOf([]any{}), opts(map[string]any{})); err == nil {
		t.Error("no input: no error")
	}
}

// A delta applied in the page with its base is the full conversion, byte
// for byte; a base that lacks a left-out layer, or holds a wrong one, is
// refused with the page's words, naming the archive at fault.
func TestApplyDelta(t *testing.T) {
	single := readFixture(t, "docker-save-single.tar")
	two := readFixture(t, "docker-save-two-images.tar")
	delta := nativeDelta(t, single, two)
	if len(delta) >= len(two) {
		t.Fatalf("the delta (%d bytes) is no smaller than its source (%d)", len(delta), len(two))
	}
	full, _ := native(t, fixtures+"docker-save-two-images.tar", convert.Options{To: convert.OCIArchive})
	apply := func(bases ...js.Value) (result, error) {
		var list []any
		for _, b := range bases {
			list = append(list, b)
		}
		return convertIn(t, blobInput("delta.tar", delta), map[string]any{"to": "oci-archive", "bases": list})
	}
	got, err := apply(blobInput("single.tar", single))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.data, full) {
		t.Errorf("applied delta: %d bytes, differ from the full conversion's %d", len(got.data), len(full))
	}
	// without the base it stays sparse (as the command line's does)
	if sparse, err := convertIn(t, blobInput("delta.tar", delta), map[string]any{"to": "oci-archive"}); err != nil || bytes.Equal(sparse.data, full) {
		t.Errorf("a delta converted without its base: %v, or as full", err)
	}
	_, err = apply(blobInput("other.tar", readFixture(t, "skopeo-oci-archive-unnamed.tar")))
	kind, summary := errorWords(err, "delta.tar")
	if !errors.Is(err, convert.ErrBaseLacks) || kind != "base" || !strings.HasPrefix(summary, "delta.tar is an update that leaves out layer sha256:") ||
		!strings.Contains(summary, "and 1 more, which none of the archives you already have holds (other.tar)") {
		t.Errorf("a base lacking the layers: %v (%s: %s)", err, kind, summary)
	}
	// a base whose layer is not what its name says
	_, err = apply(blobInput("bad.tar", spoilLayer(t, single)))
	kind, summary = errorWords(err, "delta.tar")
	if kind != "damaged" || !strings.HasPrefix(summary, "bad.tar is damaged") {
		t.Errorf("a base with a wrong layer: %v (%s: %s)", err, kind, summary)
	}
}

// errorWords is what the page says of err: jsError's kind and summary.
func errorWords(err error, name string) (kind, summary string) {
	if err == nil {
		return "", ""
	}
	e := jsError(err, name)
	return e.Get("kind").String(), e.Get("summary").String()
}

// spoilLayer changes one byte of the first layer.tar's content, its size
// and name kept.
func spoilLayer(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	tr, tw := tar.NewReader(bytes.NewReader(b)), tar.NewWriter(&out)
	spoilt := false
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if !spoilt && strings.HasSuffix(hdr.Name, "layer.tar") && len(data) > 0 {
			data[0] ^= 0xff
			spoilt = true
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil || !spoilt {
		t.Fatalf("spoiling a layer: %v (spoilt: %v)", err, spoilt)
	}
	return out.Bytes()
}
