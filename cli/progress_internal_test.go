package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retar-dev/retar/convert"
)

// events is a pass over two blobs, the large one read in two steps, as the
// core reports it: the bytes of each call belong to its Blob, and a call
// that counts one more of Blobs says that blob is done.
func events() []convert.Progress {
	big := &convert.Blob{Path: "blobs/sha256/" + strings.Repeat("ab", 32), Size: 64 << 20, Digest: digest.Digest("sha256:" + strings.Repeat("ab", 32))}
	small := &convert.Blob{Path: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.tar", Size: 1 << 10}
	total := big.Size + small.Size
	p := func(bytes int64, blobs int, b *convert.Blob) convert.Progress {
		return convert.Progress{Phase: "verifying", Bytes: bytes, TotalBytes: total, Blobs: blobs, TotalBlobs: 2, Blob: b}
	}
	return []convert.Progress{
		p(32<<20, 0, big),
		p(32<<20+1<<10, 0, small),
		p(32<<20+1<<10, 1, small),
		p(total, 1, big),
		p(total, 2, big),
	}
}

func TestBlobsFollowsEachBlob(t *testing.T) {
	var tr blobs
	type step struct {
		read     int64
		finished bool
	}
	var got []step
	for _, e := range events() {
		_, read, finished := tr.step(e)
		got = append(got, step{read, finished})
	}
	assert.Equal(t, []step{{32 << 20, false}, {1 << 10, false}, {1 << 10, true}, {64 << 20, false}, {64 << 20, true}}, got)
}

func TestJSONMeter(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Unix(0, 0)
	m := &jsonMeter{enc: json.NewEncoder(&buf), now: func() time.Time { clock = clock.Add(time.Second); return clock }}
	for _, e := range events() {
		m.update(e)
	}
	m.finish(nil)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 6)
	var last progressLine
	require.NoError(t, json.Unmarshal([]byte(lines[5]), &last))
	assert.Equal(t, progressLine{SchemaVersion: 1, Phase: "verifying", Bytes: 64<<20 + 1<<10, TotalBytes: 64<<20 + 1<<10, Blobs: 2, TotalBlobs: 2, Done: true}, last)
	var blobDone progressLine
	require.NoError(t, json.Unmarshal([]byte(lines[4]), &blobDone))
	assert.Equal(t, &blobState{Path: "blobs/sha256/" + strings.Repeat("ab", 32), Digest: "sha256:" + strings.Repeat("ab", 32), Bytes: 64 << 20, Size: 64 << 20, Done: true}, blobDone.Blob)

	buf.Reset()
	m = &jsonMeter{enc: json.NewEncoder(&buf), now: time.Now}
	m.update(events()[0])
	m.finish(errors.New("failed"))
	assert.Contains(t, buf.String(), `"error":true`)
}

func TestPlainMeter(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Unix(0, 0)
	m := &plainMeter{w: &buf, what: "verifying", now: func() time.Time { clock = clock.Add(time.Second); return clock }}
	for _, e := range events() {
		m.update(e)
	}
	m.finish(nil)
	assert.Equal(t, `verifying: 2 blobs, 64.0 MiB
verifying: 1/2 blobs, 32.0 MiB of 64.0 MiB: 0123456789ab... done
verifying: 2/2 blobs, 64.0 MiB of 64.0 MiB: sha256:abababababab done
verifying: done, 64.0 MiB in 5.0s (12.8 MiB/s)
`, buf.String())
}

// On a terminal: a bar for the phase with bytes, rate and blobs, and a line
// for the large blob while it is read.
func TestBarMeter(t *testing.T) {
	var buf bytes.Buffer
	m := &barMeter{w: &buf, forceTTY: true}
	evs := events()
	m.update(evs[0])
	time.Sleep(400 * time.Millisecond) // a refresh or two, mid-pass
	for _, e := range evs[1:] {
		m.update(e)
	}
	m.finish(nil)
	out := buf.String()
	assert.Contains(t, out, "verifying")
	assert.Contains(t, out, "sha256:abababababab", "the large blob's line")
	assert.Contains(t, out, "32.0 MiB / 64.0 MiB")
	assert.Contains(t, out, "2/2 blobs")
	assert.Contains(t, out, "done")
}

func TestMib(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 600 << 20: "600.0 MiB", 5 << 30: "5.0 GiB"} {
		assert.Equal(t, want, mib(n))
	}
}
