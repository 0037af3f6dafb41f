package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/retar-dev/retar/convert"
)

// Progress goes to stderr as --progress says: on a terminal (auto) a bar per
// phase with bytes, rate and time left, and a line per large blob while it is
// read or re-encoded; plain prints a line a step, for CI logs; json prints
// JSON lines, for scripts and GUIs; none, and -q, print nothing. Nothing is
// printed on a non-terminal unless asked for.
var progressModes = []string{"auto", "plain", "json", "none"}

// progressFlag is --progress: one of progressModes.
type progressFlag struct{ mode *string }

func (f progressFlag) String() string { return *f.mode }
func (f progressFlag) Type() string   { return "string" }
func (f progressFlag) Set(s string) error {
	for _, m := range progressModes {
		if s == m {
			*f.mode = s
			return nil
		}
	}
	return fmt.Errorf("want %s", strings.Join(progressModes, ", "))
}

// bigBlob is the size from which a blob gets a line of its own on a terminal.
const bigBlob = 32 << 20

// meter shows one pass's progress (the passes of a conversion: verifying,
// re-encoding, writing). update is called from one goroutine at a time;
// finish ends the display, err saying whether the pass failed.
type meter interface {
	update(convert.Progress)
	finish(err error)
}

func (e *env) meter(what string) meter {
	switch {
	case e.quiet || e.progress == "none":
		return nopMeter{}
	case e.progress == "plain":
		return &plainMeter{w: e.stderr, what: what, now: time.Now}
	case e.progress == "json":
		return &jsonMeter{enc: json.NewEncoder(e.stderr), now: time.Now}
	case e.tty:
		return &barMeter{w: e.stderr}
	}
	return nopMeter{}
}

type nopMeter struct{}

func (nopMeter) update(convert.Progress) {}
func (nopMeter) finish(error)            {}

// blobs follows the blobs of a pass through Progress.Blob: the bytes of each
// event belong to the blob it names, and an event that counts one more blob
// finished says that blob is done.
type blobs struct {
	phase       string
	bytes       int64
	done        int
	read        map[*convert.Blob]int64
	phaseChange bool
}

// step takes an event: the blob it is about, how much of it is read, and
// whether it just finished. A new phase starts the counts again.
func (t *blobs) step(p convert.Progress) (b *convert.Blob, read int64, finished bool) {
	t.phaseChange = p.Phase != t.phase || t.read == nil
	if t.phaseChange {
		t.phase, t.bytes, t.done, t.read = p.Phase, 0, 0, map[*convert.Blob]int64{}
	}
	delta := p.Bytes - t.bytes
	t.bytes = p.Bytes
	finished = p.Blobs > t.done
	t.done = p.Blobs
	if p.Blob == nil {
		return nil, 0, false
	}
	t.read[p.Blob] += delta
	return p.Blob, t.read[p.Blob], finished
}

// blobLabel names a blob briefly: its short digest, else its file's name
// (a v1 directory's for its layer.tar), cut short.
func blobLabel(b *convert.Blob) string {
	if d := b.Digest; d != "" && len(d.Encoded()) >= 12 {
		return string(d.Algorithm()) + ":" + d.Encoded()[:12]
	}
	name := path.Base(b.Path)
	if name == "layer.tar" {
		name = path.Base(path.Dir(b.Path))
	}
	if len(name) > 15 {
		name = name[:12] + "..."
	}
	return name
}

// mib formats bytes for the plain lines: 512 B, 3.0 KiB, 600.1 MiB, 4.9 GiB.
func mib(n int64) string {
	f, unit := float64(n), 0
	for f >= 1024 && unit < 4 {
		f, unit = f/1024, unit+1
	}
	if unit == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f %s", f, [...]string{"", "KiB", "MiB", "GiB", "TiB"}[unit])
}

// total is a phase's size for the plain lines: unknown for a stream read
// as it arrives.
func total(n int64) string {
	if n <= 0 {
		return "size unknown until its end"
	}
	return mib(n)
}

// rate is bytes over a duration, for the plain lines.
func rate(n int64, d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return fmt.Sprintf(" (%s/s)", mib(int64(float64(n)/d.Seconds())))
}

// plainMeter prints a line when a phase starts, when each blob is done, every
// ten seconds in between, and when the phase ends.
type plainMeter struct {
	w     io.Writer
	what  string
	now   func() time.Time
	t     blobs
	last  convert.Progress
	start time.Time
	said  time.Time
	open  bool
}

func (m *plainMeter) update(p convert.Progress) {
	if p.Phase == "" {
		p.Phase = m.what
	}
	b, _, finished := m.t.step(p)
	now := m.now()
	if m.t.phaseChange {
		m.end(nil)
		m.open, m.start, m.said = true, now, now
		blobs := ""
		if p.TotalBlobs > 0 {
			blobs = fmt.Sprintf("%d blobs, ", p.TotalBlobs)
		}
		fmt.Fprintf(m.w, "%s: %s%s\n", p.Phase, blobs, total(p.TotalBytes))
	}
	m.last = p
	switch {
	case finished && b != nil:
		fmt.Fprintf(m.w, "%s: %d/%d blobs, %s of %s: %s done\n", p.Phase, p.Blobs, p.TotalBlobs, mib(p.Bytes), mib(p.TotalBytes), blobLabel(b))
	case now.Sub(m.said) >= 10*time.Second && p.TotalBytes <= 0:
		fmt.Fprintf(m.w, "%s: %s%s\n", p.Phase, mib(p.Bytes), rate(p.Bytes, now.Sub(m.start)))
	case now.Sub(m.said) >= 10*time.Second:
		fmt.Fprintf(m.w, "%s: %s of %s%s\n", p.Phase, mib(p.Bytes), mib(p.TotalBytes), rate(p.Bytes, now.Sub(m.start)))
	default:
		return
	}
	m.said = now
}

func (m *plainMeter) end(err error) {
	if !m.open {
		return
	}
	m.open = false
	p := m.last
	if err != nil {
		fmt.Fprintf(m.w, "%s: stopped at %s of %s\n", p.Phase, mib(p.Bytes), mib(p.TotalBytes))
		return
	}
	d := m.now().Sub(m.start)
	fmt.Fprintf(m.w, "%s: done, %s in %.1fs%s\n", p.Phase, mib(p.Bytes), d.Seconds(), rate(p.Bytes, d))
}

func (m *plainMeter) finish(err error) { m.end(err) }

// progressLine is one line of --progress=json.
type progressLine struct {
	SchemaVersion int `json:"schemaVersion"` // convert.JSONSchemaVersion

	Phase      string     `json:"phase"`
	Bytes      int64      `json:"bytes"`
	TotalBytes int64      `json:"totalBytes"`
	Blobs      int        `json:"blobs"`
	TotalBlobs int        `json:"totalBlobs"`
	Blob       *blobState `json:"blob,omitempty"`
	Done       bool       `json:"done,omitempty"`  // the phase is over
	Error      bool       `json:"error,omitempty"` // and it failed
}

// blobState is the blob a line is about, when it is one.
type blobState struct {
	Path   string `json:"path"`
	Digest string `json:"digest,omitempty"`
	Bytes  int64  `json:"bytes"`
	Size   int64  `json:"size"`
	Done   bool   `json:"done,omitempty"`
}

// jsonMeter prints a JSON line at most ten times a second, and always when a
// phase starts, a blob is done, and a phase ends.
type jsonMeter struct {
	enc  *json.Encoder
	now  func() time.Time
	t    blobs
	last progressLine
	said time.Time
	open bool
}

func (m *jsonMeter) update(p convert.Progress) {
	b, read, finished := m.t.step(p)
	if m.t.phaseChange {
		m.end(nil)
		m.open = true
	}
	line := progressLine{SchemaVersion: convert.JSONSchemaVersion, Phase: p.Phase, Bytes: p.Bytes, TotalBytes: p.TotalBytes, Blobs: p.Blobs, TotalBlobs: p.TotalBlobs}
	if b != nil {
		line.Blob = &blobState{Path: b.Path, Digest: b.Digest.String(), Bytes: read, Size: b.Size, Done: finished}
	}
	m.last = line
	now := m.now()
	if !m.t.phaseChange && !finished && now.Sub(m.said) < 100*time.Millisecond {
		return
	}
	m.said = now
	m.enc.Encode(line) //nolint:errcheck // progress is best effort
}

func (m *jsonMeter) end(err error) {
	if !m.open {
		return
	}
	m.open = false
	line := m.last
	line.Blob, line.Done, line.Error = nil, true, err != nil
	m.enc.Encode(line) //nolint:errcheck
}

func (m *jsonMeter) finish(err error) { m.end(err) }

// barMeter draws mpb bars on a terminal: one for the phase (bytes, rate,
// time left, blobs), one for each large blob while it is read.
type barMeter struct {
	w        io.Writer
	forceTTY bool // tests: draw on a buffer
	p        *mpb.Progress
	t        blobs
	bar      *mpb.Bar
	blobBars map[*convert.Blob]*mpb.Bar
	blobs    atomic.Int64 // done<<32 | total, for the phase bar's decorator
}

func (m *barMeter) update(p convert.Progress) {
	b, read, finished := m.t.step(p)
	if m.p == nil {
		width := 32 // of a bar; the terminal's width bounds the line
		if m.forceTTY {
			width = 120 // of the line, where no terminal says
		}
		m.p = mpb.New(mpb.WithOutput(m.w), mpb.WithWidth(width), mpb.WithRefreshRate(150*time.Millisecond),
			mpb.ContainerOptional(mpb.ForceTTY(), m.forceTTY), mpb.ContainerOptional(mpb.WithAutoRefresh(), m.forceTTY))
	}
	if m.t.phaseChange {
		m.endPhase(nil)
		// A total set later does not complete the bar when the bytes reach it:
		// the blob count of the last event is still to come.
		m.bar = m.p.AddBar(0,
			mpb.PrependDecorators(
				decor.Name(p.Phase, decor.WC{C: decor.DindentRight | decor.DextraSpace, W: 11}),
				decor.CountersKibiByte("% .1f / % .1f", decor.WC{C: decor.DindentRight | decor.DextraSpace, W: 21}),
			),
			mpb.AppendDecorators(
				decor.Percentage(decor.WC{W: 5}),
				decor.Any(m.blobCount),
				decor.OnComplete(decor.AverageSpeed(decor.SizeB1024(0), "% .1f", decor.WC{W: 12}), ""),
				decor.OnComplete(decor.AverageETA(decor.ET_STYLE_GO, decor.WC{W: 6}), " done"),
			),
		)
		m.bar.SetTotal(p.TotalBytes, false)
		m.blobBars = map[*convert.Blob]*mpb.Bar{}
	}
	m.blobs.Store(int64(p.Blobs)<<32 | int64(p.TotalBlobs))
	m.bar.SetCurrent(p.Bytes)
	if b == nil || b.Size < bigBlob {
		return
	}
	bb := m.blobBars[b]
	if bb == nil && !finished {
		bb = m.p.AddBar(b.Size, mpb.BarRemoveOnComplete(),
			mpb.PrependDecorators(
				decor.Name("  "+blobLabel(b), decor.WC{C: decor.DindentRight | decor.DextraSpace, W: 17}),
				decor.CountersKibiByte("% .1f / % .1f", decor.WC{C: decor.DindentRight | decor.DextraSpace, W: 21}),
			),
			mpb.AppendDecorators(decor.Percentage(decor.WC{W: 5}), decor.AverageSpeed(decor.SizeB1024(0), "% .1f", decor.WC{W: 12})),
		)
		m.blobBars[b] = bb
	}
	if bb == nil {
		return
	}
	bb.SetCurrent(read)
	if finished {
		bb.SetTotal(-1, true)
		delete(m.blobBars, b)
	}
}

func (m *barMeter) blobCount(decor.Statistics) string {
	v := m.blobs.Load()
	if total := v & (1<<32 - 1); total > 0 {
		return fmt.Sprintf(" %d/%d blobs", v>>32, total)
	}
	return ""
}

// endPhase completes the phase's bar, or drops it when the pass failed, and
// drops the blob bars left.
func (m *barMeter) endPhase(err error) {
	for _, bb := range m.blobBars {
		bb.Abort(true)
	}
	m.blobBars = nil
	if m.bar == nil {
		return
	}
	if err != nil {
		m.bar.Abort(true)
	} else {
		m.bar.SetTotal(-1, true)
	}
	m.bar = nil
}

func (m *barMeter) finish(err error) {
	if m.p == nil {
		return
	}
	m.endPhase(err)
	m.p.Wait()
	m.p = nil
}
