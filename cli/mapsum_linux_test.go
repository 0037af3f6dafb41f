package cli

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"
)

// mappedSum hashes exactly the range asked, across window boundaries and
// from offsets that are not page-aligned; a range past the end of the file
// (a file cut short while it is read) is an error, not a crash.
func TestMappedSum(t *testing.T) {
	data := make([]byte, 3*mapWindow+12345)
	for i := range data {
		data[i] = byte(i*31 + i>>11)
	}
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx := context.Background()
	for _, r := range [][2]int64{{0, int64(len(data))}, {512, mapWindow}, {4095, 2*mapWindow + 7}, {mapWindow - 1, mapWindow + 2}} {
		got, ok, err := mappedSum(ctx, f, r[0], r[1], digest.SHA256, func(int64) {})
		want := digest.Digest("sha256:" + hexOf(sha256.Sum256(data[r[0]:r[0]+r[1]])))
		if err != nil || !ok || got != want {
			t.Errorf("range %v: %s %v %v, want %s", r, got, ok, err, want)
		}
	}
	if _, ok, _ := mappedSum(ctx, f, 0, mapWindow-1, digest.SHA256, func(int64) {}); ok {
		t.Error("a small range is mapped; it should be read")
	}
	if _, ok, err := mappedSum(ctx, f, 0, int64(len(data))+4*mapWindow, digest.SHA256, func(int64) {}); !ok || err == nil {
		t.Errorf("a range past the end: ok %v, err %v; want an error", ok, err)
	}
}

func hexOf(b [32]byte) string { return digest.NewDigestFromBytes(digest.SHA256, b[:]).Encoded() }
