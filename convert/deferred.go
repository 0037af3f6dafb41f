package convert

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
)

// With Options.VerifyAsWritten, the blobs a plan copies from its sources are
// hashed while the plan is written instead of before Bundle returns: hashers
// on every core work through the blobs in the order the plan writes them
// while the writer copies (copy_file_range) into its temporary file, and
// Plan.Verified, which WriteTar ends with, waits for the last digest. Each
// byte is still verified exactly once, and a writer that writes to a
// temporary file and renames it once WriteTar (or Verified) returns nil
// (the CLI) stays atomic: nothing reaches the destination unverified. What
// overlaps is the copying with the hashing, so a job that only copies takes
// about the longer of the two rather than their sum.

// deferredHashes are the blobs a plan verifies as it is written.
type deferredHashes struct {
	ctx   context.Context
	h     Hashing
	of    map[*Blob]*Archive // the source each blob is in
	order []*Blob            // in the order the plan writes them

	once   sync.Once
	cancel context.CancelFunc
	done   []chan struct{}
	errs   []error      // errs[i] is set before done[i] is closed
	first  atomic.Value // the first failure: what every wait reports after it
	next   atomic.Int64
}

// add records blob b of source a to be verified as it is written.
func (d *deferredHashes) add(a *Archive, b *Blob) {
	if d.of == nil {
		d.of = map[*Blob]*Archive{}
	}
	d.of[b] = a
}

// orderBy fixes the hashing order to the order the entries write the blobs;
// blobs no entry writes are not hashed at all (nothing copies them).
func (d *deferredHashes) orderBy(entries []Entry) {
	seen := map[*Blob]bool{}
	for _, e := range entries {
		if b := e.blob; b != nil && d.of[b] != nil && !seen[b] {
			seen[b] = true
			d.order = append(d.order, b)
		}
	}
	d.done = make([]chan struct{}, len(d.order))
	for i := range d.done {
		d.done[i] = make(chan struct{})
	}
	d.errs = make([]error, len(d.order))
}

// start runs the hashers, once, at the first blob written.
func (d *deferredHashes) start() {
	d.once.Do(func() {
		par := d.h.Parallel
		if par <= 0 {
			par = runtime.GOMAXPROCS(0)
		}
		var ctx context.Context
		ctx, d.cancel = context.WithCancel(d.ctx)
		meter := newProgressMeter(d.h.Progress, "verifying", d.order)
		for range min(par, len(d.order)) {
			go d.hasher(ctx, meter)
		}
	})
}

func (d *deferredHashes) hasher(ctx context.Context, meter *progressMeter) {
	buf := make([]byte, copyBuffer)
	for {
		i := int(d.next.Add(1)) - 1
		if i >= len(d.order) {
			return
		}
		b := d.order[i]
		err := ctx.Err()
		if err == nil {
			err = safely(func() error {
				return d.of[b].hashBlob(ctx, b, d.h, buf, func(n int64) { meter.add(b, n, false) })
			})
		}
		meter.add(b, 0, true)
		if err != nil && !errors.Is(err, context.Canceled) {
			d.first.CompareAndSwap(nil, errBox{err})
			d.cancel() // the rest need not be hashed: the plan fails
		}
		d.errs[i] = err
		close(d.done[i])
	}
}

type errBox struct{ error }

// failed starts the hashers if need be and says, without waiting, whether a
// blob has failed to verify: the writer stops early then.
func (d *deferredHashes) failed() error {
	if d == nil {
		return nil
	}
	d.start()
	if f, ok := d.first.Load().(errBox); ok {
		return f.error
	}
	return nil
}

// all waits for every blob's digest and returns the first failure.
func (d *deferredHashes) all() error {
	if d == nil {
		return nil
	}
	d.start()
	for i := range d.order {
		select {
		case <-d.done[i]:
		case <-d.ctx.Done():
			return d.ctx.Err()
		}
		if err := d.errs[i]; err != nil {
			if f, ok := d.first.Load().(errBox); ok && errors.Is(err, context.Canceled) {
				return f.error // cancelled because another blob failed: say which
			}
			return err
		}
	}
	return nil
}
