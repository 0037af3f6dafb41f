package convert

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/opencontainers/go-digest"
)

// A list of digests says what one side of an air gap holds, for --since:
// retar digests' text (a digest a line, "diff_id DIGEST" for a layer known
// by its uncompressed digest), its --json (DigestsDoc), ctr content ls -q,
// or ctr content ls whole (its DIGEST header and further columns skipped);
// # comments are skipped.

// DigestsDoc is what retar digests --json prints, and a list read back.
type DigestsDoc struct {
	SchemaVersion int             `json:"schemaVersion"`
	Blobs         []HeldBlob      `json:"blobs"`
	DiffIDs       []digest.Digest `json:"diffIDs"`
}

// IsDigestList tells a list of digests from an archive by its first bytes
// (512 are enough): empty (the side holds nothing), or text that starts
// with a digest, "diff_id", ctr's DIGEST header or a JSON object.
func IsDigestList(head []byte) bool {
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) == 0 {
		return true
	}
	for _, p := range []string{"{", "sha256:", "sha384:", "sha512:", "diff_id ", "DIGEST"} {
		if bytes.HasPrefix(head, []byte(p)) {
			return true
		}
	}
	return false
}

// DigestListError says where a list of digests is not one. Its message
// does not name the list; the caller does.
type DigestListError struct {
	Line    int    // the line that is not a digest; 0 in the JSON form
	Field   string // what is not a digest ("": the list as a whole is wrong)
	JSON    bool   // the JSON is not what retar digests --json prints
	Version int    // that JSON's schemaVersion, when not one retar reads
	Err     error
}

func (e *DigestListError) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("line %d: %q is not a digest (%v)", e.Line, e.Field, e.Err)
	case e.Field != "":
		return fmt.Sprintf("%q is not a digest (%v)", e.Field, e.Err)
	case e.Version != 0:
		return fmt.Sprintf("schemaVersion %d; retar reads %d", e.Version, digestsSchema)
	case e.JSON:
		return fmt.Sprintf("not the JSON retar digests prints: %v", e.Err)
	}
	return e.Err.Error()
}

func (e *DigestListError) Unwrap() error { return e.Err }

// Prefix is what goes before the message to name the list it is of:
// "NAME " before "line N: ...", else "NAME: ".
func (e *DigestListError) Prefix(name string) string {
	if e.Line > 0 {
		return name + " "
	}
	return name + ": "
}

// digestsSchema is the schemaVersion of DigestsDoc.
const digestsSchema = 1

// ReadDigestList adds what the list r names to h; a line or entry that is
// not a digest is a *DigestListError.
func ReadDigestList(r io.Reader, h *Holdings) error {
	br := bufio.NewReader(r)
	if b, _ := br.Peek(1); len(b) == 1 && b[0] == '{' {
		return readDigestsDoc(br, h)
	}
	sc := bufio.NewScanner(br)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		diff := len(fields) > 1 && fields[0] == "diff_id"
		if diff {
			fields = fields[1:]
		}
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") || line == 1 && fields[0] == "DIGEST" {
			continue
		}
		d, err := digest.Parse(fields[0])
		if err != nil {
			return &DigestListError{Line: line, Field: fields[0], Err: err}
		}
		if diff {
			h.AddDiffID(d)
		} else {
			h.AddDigest(d)
		}
	}
	if err := sc.Err(); err != nil {
		return &DigestListError{Err: err}
	}
	return nil
}

// readDigestsDoc reads what retar digests --json prints.
func readDigestsDoc(r io.Reader, h *Holdings) error {
	var doc DigestsDoc
	if err := json.NewDecoder(io.LimitReader(r, 256<<20)).Decode(&doc); err != nil {
		return &DigestListError{JSON: true, Err: err}
	}
	if doc.SchemaVersion != digestsSchema {
		return &DigestListError{JSON: true, Version: doc.SchemaVersion, Err: fmt.Errorf("schemaVersion %d", doc.SchemaVersion)}
	}
	for _, b := range doc.Blobs {
		if err := b.Digest.Validate(); err != nil {
			return &DigestListError{Field: string(b.Digest), Err: err}
		}
		h.AddDigest(b.Digest)
	}
	for _, d := range doc.DiffIDs {
		if err := d.Validate(); err != nil {
			return &DigestListError{Field: string(d), Err: err}
		}
		h.AddDiffID(d)
	}
	return nil
}

// Doc is h as retar digests --json prints it.
func (h *Holdings) Doc() DigestsDoc {
	doc := DigestsDoc{SchemaVersion: digestsSchema, Blobs: h.Blobs(), DiffIDs: h.DiffIDs()}
	if doc.Blobs == nil {
		doc.Blobs = []HeldBlob{}
	}
	if doc.DiffIDs == nil {
		doc.DiffIDs = []digest.Digest{}
	}
	return doc
}
