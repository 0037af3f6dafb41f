package convert

import (
	"fmt"
	"hash"
	"io"

	"github.com/opencontainers/go-digest"
)

// Every way of hashing a blob, from the source or back from the output, ends
// here: contentSum hashes the bytes, checkContent holds the result against
// what the blob is known by; readMeta, which reads a small document whole,
// checks it so.

// contentSum hashes a blob's bytes as they come and holds the result
// against what the blob is known by: its digest (or the diff_id it was
// taken at) and, for a plain layer, its diff_id. The one place these checks
// are made, whether the bytes come from the source or back from the output.
type contentSum struct {
	a    *Archive
	b    *Blob
	alg  digest.Algorithm
	hash hash.Hash
	raw  hash.Hash // the diff_id's algorithm, when a plain layer's differs
	head []byte    // the first bytes: the compression
	n    int64
}

func newContentSum(a *Archive, b *Blob, h Hashing) *contentSum {
	s := &contentSum{a: a, b: b, alg: b.algorithm()}
	s.hash = s.alg.Hash()
	if h.New != nil {
		s.hash = h.New(s.alg)
	}
	if b.diffID != "" && b.diffID.Algorithm() != s.alg && b.diffID.Algorithm().Available() {
		s.raw = b.diffID.Algorithm().Hash()
	}
	return s
}

func (s *contentSum) Write(p []byte) (int, error) {
	if len(s.head) < 4 {
		s.head = append(s.head, p[:min(len(p), 4-len(s.head))]...)
	}
	s.hash.Write(p)
	if s.raw != nil {
		s.raw.Write(p)
	}
	s.n += int64(len(p))
	return len(p), nil
}

// check holds what was hashed against the blob, recording nothing: got is
// the digest of the bytes. diff is the digest of the decompressed bytes
// where the caller decompressed them ("" otherwise: a plain layer is its
// own diff).
func (s *contentSum) check(diff digest.Digest) (got digest.Digest, err error) {
	got = digest.NewDigest(s.alg, s.hash)
	if diff == "" && s.raw != nil {
		diff = digest.NewDigest(s.b.diffID.Algorithm(), s.raw)
		if detectCompression(s.head) != Uncompressed {
			diff = ""
		}
	}
	if err := s.a.checkContent(s.b, s.n, got, detectCompression(s.head), diff); err != nil {
		return "", err
	}
	return got, nil
}

// checkContent holds n bytes that hash to got, compressed as c, against
// blob b: its size, its digest (or the diff_id it was taken at) and, for a
// plain layer, its diff_id; diff is the digest of the decompressed bytes
// where they were decompressed ("" otherwise: a plain layer is its own
// diff). It records nothing. Every way of hashing a blob ends here.
func (a *Archive) checkContent(b *Blob, n int64, got digest.Digest, c Compression, diff digest.Digest) error {
	switch {
	case n < b.Size:
		return &LayoutError{Source: a.sourceOf(b), Path: b.Path, Reason: fmt.Sprintf("truncated: fewer than %d bytes", b.Size)}
	case n > b.Size:
		return &LayoutError{Source: a.sourceOf(b), Path: b.Path, Reason: fmt.Sprintf("more than its %d bytes", b.Size)}
	}
	if b.Digest != "" && got != b.Digest {
		what := ""
		if b.claimedDiff {
			what = "diff_id" // the digest claimed was the config's diff_id
		}
		return &DigestError{Source: a.sourceOf(b), Blob: b.Path, What: what, Want: b.Digest, Got: got}
	}
	if b.diffID == "" {
		return nil
	}
	if diff == "" {
		if c != Uncompressed {
			return nil // checked only by decompressing (verify --deep)
		}
		diff = got
	}
	if diff != b.diffID {
		return &DigestError{Source: a.sourceOf(b), Blob: b.Path, What: "diff_id", Want: b.diffID, Got: diff}
	}
	return nil
}

// readFile reads the source's file p whole, within limit, as readMeta
// does; b is nil (and no error) when the source has no such file.
func (a *Archive) readFile(p string, limit int64) (b *Blob, data []byte, err error) {
	if b, err = a.file(p); err != nil || b == nil {
		return nil, nil, err
	}
	if data, err = a.readMeta(b, limit); err != nil {
		return nil, nil, err
	}
	return b, data, nil
}

// readMeta reads a small blob whole, within limit, and checks its digest.
func (a *Archive) readMeta(b *Blob, limit int64) ([]byte, error) {
	if b.data != nil {
		return b.data, nil
	}
	if b.Size > limit {
		return nil, &LayoutError{Source: a.Source, Path: b.Path, Err: ErrLimit,
			Reason: fmt.Sprintf("%d bytes, over the %d MiB limit for metadata", b.Size, limit>>20)}
	}
	f, err := b.open()
	if err != nil {
		return nil, &LayoutError{Source: a.Source, Path: b.Path, Reason: err.Error(), Err: err}
	}
	defer f.Close()
	data := make([]byte, b.Size)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, a.errorf(b.Path, "read: %v", err)
	}
	got := b.algorithm().FromBytes(data)
	if err := a.checkContent(b, b.Size, got, Uncompressed, got); err != nil {
		return nil, err
	}
	b.checked(got)
	return data, nil
}
