package convert

import (
	"fmt"
	"io"
	"sort"
	"sync/atomic"

	"github.com/opencontainers/go-digest"
)

// streamFile is a tar stream as ReadStream kept it: its headers and the
// entries held in memory, the entries that waited in a spill, and holes
// where an entry went to the output as it passed and was not kept. Its
// offsets are the stream's own, so tarfs indexes it as it would the whole
// archive in a file, and a message naming an offset names the stream's.
type streamFile struct {
	source string
	segs   []segment // in order of offset, without gaps
	size   int64
	spill  io.ReaderAt
	// sealed: tarfs has indexed the headers. Until then a hole reads as
	// zeros (the indexer reads ahead of each header); from then on a read
	// in a hole is an error naming the entry.
	sealed atomic.Bool
	// scanned: every hole is an entry a scan looked at (ScanStream).
	scanned bool
}

// segment is a run of the stream: bytes kept in memory, bytes in the spill
// from spillOff, or a hole.
type segment struct {
	off, n   int64
	data     []byte
	spillOff int64
	inSpill  bool
	hole     bool
	name     string // a hole's entry, for messages
}

func (f *streamFile) add(s segment) {
	if s.n > 0 {
		f.segs = append(f.segs, s)
		f.size = s.off + s.n
	}
}

func (f *streamFile) addData(off int64, data []byte) {
	f.add(segment{off: off, n: int64(len(data)), data: data})
}

func (f *streamFile) addSpill(off, n, spillOff int64) {
	f.add(segment{off: off, n: n, spillOff: spillOff, inSpill: true})
}

func (f *streamFile) addHole(off, n int64, name string) {
	f.add(segment{off: off, n: n, hole: true, name: name})
}

// ReadAt reads the stream as it was, where it was kept.
func (f *streamFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("%s: read before the start", f.source)
	}
	n := 0
	for n < len(p) && off < f.size {
		i := sort.Search(len(f.segs), func(i int) bool { return f.segs[i].off+f.segs[i].n > off })
		s := &f.segs[i]
		rel := off - s.off
		k := min(int64(len(p)-n), s.n-rel)
		dst := p[n : n+int(k)]
		switch {
		case s.data != nil:
			copy(dst, s.data[rel:rel+k])
		case s.inSpill:
			if _, err := f.spill.ReadAt(dst, s.spillOff+rel); err != nil {
				return n, fmt.Errorf("%s: reading back what waited in the spill: %w", f.source, err)
			}
		case f.sealed.Load():
			return n, &PassedError{Source: f.source, Entry: s.name, Scanned: f.scanned}
		default:
			clear(dst)
		}
		n += int(k)
		off += k
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// PassedError is a read of an entry of a stream that went to the output as
// it passed and was not kept: the conversion, as it turned out once the
// stream's JSON was read, needs its bytes again.
type PassedError struct {
	Source, Entry string
	// Scanned: the stream was read to be looked at (ScanStream), and the
	// command needs a blob's bytes, which no scan keeps.
	Scanned bool
}

func (e *PassedError) Error() string {
	if e.Scanned {
		return fmt.Sprintf("%s: %s was checked as it passed and not kept, and this needs its bytes; save the stream to a file and name that",
			e.Source, printable(e.Entry))
	}
	return fmt.Sprintf("%s: %s went to the output as it passed, and the conversion needs its bytes again, which only the JSON at the stream's end showed; convert it from a file (or save the stream to one first)",
		e.Source, printable(e.Entry))
}

// passed is what a stream's entry was, as it passed: its digest and
// compression, checked or to be checked against what the source's JSON
// says of it once that is read.
type passed struct {
	name     string // the cleaned path in the stream
	off      int64  // of its data in the stream
	size     int64
	got      digest.Digest
	comp     Compression
	out      string   // the output entry it was written as; "" if it waited
	inOutput bool     // the plan writes it (reconcile)
	decoded  *scanned // what a scan's decoding found, for a compressed entry
}
