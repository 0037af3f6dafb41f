package convert_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/retar-dev/retar/convert"
)

const (
	dA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	dB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func TestDigestListForms(t *testing.T) {
	for name, list := range map[string]string{
		"retar digests":  dA + "\ndiff_id " + dB + "\n",
		"its JSON":       `{"schemaVersion": 1, "blobs": [{"digest": "` + dA + `"}], "diffIDs": ["` + dB + `"]}`,
		"ctr content ls": "DIGEST\tSIZE\tAGE\tLABELS\n" + dA + "\t12\t1 day\t-\n# a comment\n\ndiff_id " + dB + "\n",
	} {
		if !convert.IsDigestList([]byte(list)) {
			t.Errorf("%s: not taken for a list", name)
		}
		h := convert.NewHoldings()
		if err := convert.ReadDigestList(strings.NewReader(list), h); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		doc := h.Doc()
		if len(doc.Blobs) != 1 || string(doc.Blobs[0].Digest) != dA || len(doc.DiffIDs) != 1 || string(doc.DiffIDs[0]) != dB {
			t.Errorf("%s: read %+v", name, doc)
		}
	}
	if convert.IsDigestList([]byte("ustar\x00 a tar header")) {
		t.Error("a tar header taken for a list")
	}
}

func TestDigestListFaults(t *testing.T) {
	for _, c := range []struct{ list, want string }{
		{dA + "\nsha256:nothex\n", `line 2: "sha256:nothex" is not a digest`},
		{`{"schemaVersion": 2}`, "schemaVersion 2; retar reads 1"},
		{`{"schemaVersion": 1, "blobs": [{"digest": "md5:x"}]}`, `"md5:x" is not a digest`},
		{`{"schemaVersion": `, "not the JSON retar digests prints"},
	} {
		err := convert.ReadDigestList(strings.NewReader(c.list), convert.NewHoldings())
		var le *convert.DigestListError
		if !errors.As(err, &le) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want a DigestListError saying %q", c.list, err, c.want)
		}
	}
}
