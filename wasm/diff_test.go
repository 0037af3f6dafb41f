//go:build js && wasm

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall/js"
	"testing"
)

// The page's diff gives the CLI's report: its JSON, and its text beside it.
func TestDiffReport(t *testing.T) {
	in := func(name string) js.Value {
		data, err := os.ReadFile(filepath.Join(fixtures, name))
		if err != nil {
			t.Fatal(err)
		}
		return js.ValueOf(map[string]any{"file": newBlob(data), "name": name})
	}
	got, err := diffJS(in("docker-save-single.tar"), in("skopeo-oci-archive-named.tar"), opts(map[string]any{}))
	if err != nil {
		t.Fatal(err)
	}
	v := got.(js.Value)
	text := v.Get("text").String()
	for _, want := range []string{
		"A: docker-archive docker-save-single.tar, 1 image",
		"docker.io/library/retar-test:1: same content, different packaging",
		"packaging: manifest format: Docker v2s2 manifest → OCI manifest",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if v.Get("schemaVersion").Int() != 1 || v.Get("equal").Bool() || v.Get("images").Index(0).Get("status").String() != "repackaged" {
		t.Errorf("report: %s", js.Global().Get("JSON").Call("stringify", v).String())
	}
	same, err := diffJS(in("docker-save-single.tar"), in("docker-save-single.tar"), opts(map[string]any{"files": true}))
	if err != nil || !same.(js.Value).Get("equal").Bool() {
		t.Errorf("an archive against itself: %v", err)
	}
	if _, err := diffJS(in("docker-save-single.tar"), js.ValueOf(map[string]any{}), opts(map[string]any{})); err == nil {
		t.Error("no second input: no error")
	}
}
