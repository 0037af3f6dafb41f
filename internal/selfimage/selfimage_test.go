package selfimage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retar-dev/retar/cli"
	"github.com/retar-dev/retar/internal/selfimage"
)

// Stand-ins for the static binaries: the image's code does not run them.
var binaries = map[string][]byte{
	"linux/amd64": []byte("\x7fELF retar for amd64"),
	"linux/arm64": []byte("\x7fELF retar for arm64, longer"),
}

func options() selfimage.Options {
	return selfimage.Options{
		Binaries: binaries,
		Names:    []string{"retar:v9.8.7", "retar:latest"},
		Version:  "v9.8.7",
		Revision: "0123456789abcdef0123456789abcdef01234567",
		Source:   "https://github.com/retar-dev/retar",
		Created:  time.Unix(1704067200, 0),
	}
}

func write(t *testing.T, o selfimage.Options) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "retar-image.tar")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := selfimage.Write(context.Background(), f, o); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func retar(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(args, strings.NewReader(""), &out, &errOut)
	return out.String() + errOut.String(), code
}

// The image verifies, and retar check says the loaders interop loads it
// into take it, under both names.
func TestVerifyAndCheck(t *testing.T) {
	p := write(t, options())
	if out, code := retar(t, "verify", p); code != 0 {
		t.Fatalf("retar verify: exit %d: %s", code, out)
	}
	loaders := "docker-29-classic,docker-29-containerd,ctr-2.3,podman"
	if out, code := retar(t, "check", "--for", loaders, p); code != 0 {
		t.Fatalf("retar check --for %s: exit %d:\n%s", loaders, code, out)
	}
	out, code := retar(t, "check", "--json", p)
	if code != 0 {
		t.Fatalf("retar check --json: exit %d: %s", code, out)
	}
	var r struct {
		Consumers []struct {
			Consumer string
			Loads    bool
			Names    []string
		}
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("retar check --json: %v", err)
	}
	want := "docker.io/library/retar:latest,docker.io/library/retar:v9.8.7"
	for _, c := range r.Consumers {
		if !strings.Contains(loaders, c.Consumer) {
			continue
		}
		if got := strings.Join(c.Names, ","); !c.Loads || got != want {
			t.Errorf("%s: loads %v as %s, want as %s", c.Consumer, c.Loads, got, want)
		}
	}
}

// The same inputs give the same bytes; another time gives others.
func TestReproducible(t *testing.T) {
	a, _ := os.ReadFile(write(t, options()))
	b, _ := os.ReadFile(write(t, options()))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("two builds differ (%d and %d bytes)", len(a), len(b))
	}
	o := options()
	o.Created = o.Created.Add(time.Second)
	if c, _ := os.ReadFile(write(t, o)); bytes.Equal(a, c) {
		t.Fatal("a build at another time gave the same bytes")
	}
}

func TestRefusesNothingToBuild(t *testing.T) {
	o := options()
	o.Binaries = nil
	var out bytes.Buffer
	if err := selfimage.Write(context.Background(), &out, o); err == nil || out.Len() != 0 {
		t.Fatalf("no binaries: err %v, %d bytes written", err, out.Len())
	}
	o = options()
	o.Binaries = map[string][]byte{"linux/amd64": nil}
	if err := selfimage.Write(context.Background(), &out, o); err == nil || out.Len() != 0 {
		t.Fatalf("an empty binary: err %v, %d bytes written", err, out.Len())
	}
}
