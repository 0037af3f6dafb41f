package convert_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
)

// The documents a layout reads say what they are, for messages, and
// whether their keys are data (docker's repositories) or fields, whose
// case the decoder folds, so a key twice in two cases is two readings.
func TestDocumentShapes(t *testing.T) {
	img := imagetest.New(t)
	for _, c := range []struct {
		name string
		ms   imagetest.Members
		want string
	}{
		{"manifest.json an object", img.DockerArchive(t).Set(t, "manifest.json", []byte(`{}`)),
			"manifest.json: a JSON object where an array of images belongs"},
		{"repositories an array", img.Legacy(t).Set(t, "repositories", []byte(`[]`)),
			"repositories: a JSON array where an object of repositories belongs"},
		{"index.json an array", img.OCIArchive(t).Set(t, "index.json", []byte(`[]`)),
			"index.json: a JSON array where an object belongs"},
		{"a field twice, in two cases", img.DockerArchive(t).Set(t, "manifest.json", []byte(`[{"Config":"a.json","config":"b.json"}]`)),
			"readers would disagree"},
		{"a repository twice, in two cases, is two", img.Legacy(t).Edit(t, "repositories", func(b []byte) []byte {
			return bytes.Replace(b, []byte("{"), []byte(`{"Example.com/retar/test":{"x":"`+strings.Repeat("0", 64)+`"},`), 1)
		}), "not in the archive"},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := c.ms.Tar(t)
			_, err := convert.Open(convert.Input{Name: "a.tar", Archive: bytes.NewReader(data), Size: int64(len(data))})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Open: %v, want %q", err, c.want)
			}
		})
	}
}
