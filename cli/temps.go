package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// Every temporary file and directory retar makes (decompressed inputs in
// TMPDIR, re-encoded layers, the output being written beside its
// destination) is registered here as it is made and removed by whoever made
// it; a second interrupt removes all that are left before exiting, however
// stuck the work is.
var temps = struct {
	sync.Mutex
	paths map[string]bool
}{paths: map[string]bool{}}

func registerTemp(p string) {
	temps.Lock()
	temps.paths[p] = true
	temps.Unlock()
}

// removeTemp removes p (a file or a directory tree) and forgets it.
func removeTemp(p string) {
	removeTree(p)
	temps.Lock()
	delete(temps.paths, p)
	temps.Unlock()
}

// forgetTemp forgets p, which is no longer temporary (renamed into place).
func forgetTemp(p string) {
	temps.Lock()
	delete(temps.paths, p)
	temps.Unlock()
}

func removeAllTemps() {
	temps.Lock()
	defer temps.Unlock()
	for p := range temps.paths {
		removeTree(p)
		delete(temps.paths, p)
	}
}

// graceAfterSignal is how long the work has, after a signal, to stop at its
// next read or write before retar cleans up and exits regardless.
const graceAfterSignal = 2 * time.Second

// errInterrupted is the error of a run a signal stopped.
type errInterrupted struct{ sig os.Signal }

func (e errInterrupted) Error() string {
	return fmt.Sprintf("stopped by %s: nothing was written, temporary files are removed", e.sig)
}

// withSignals returns a context that SIGINT or SIGTERM cancels: the work
// stops at its next read or write, and the deferred clean-ups run. A second
// signal removes the temporary files at once and exits. stop releases the
// handler; signaled says which signal came, if one did.
func withSignals(stderr io.Writer) (ctx context.Context, stop func(), signaled func() os.Signal) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	// A reader that closes the pipe early is an error retar reports (a
	// write fails with EPIPE), not a signal that ends it without a word.
	signal.Ignore(syscall.SIGPIPE)
	var mu sync.Mutex
	var got os.Signal
	var grace *time.Timer
	done := make(chan struct{})
	// Stop now: what is left is removed, whatever the work is blocked in
	// (a read from a pipe that stalled does not see the context).
	hard := func(s os.Signal) {
		removeAllTemps()
		fmt.Fprintf(stderr, "retar: %v\n", errInterrupted{s})
		os.Exit(exitFail)
	}
	go func() {
		for {
			select {
			case s := <-ch:
				mu.Lock()
				first := got == nil
				if first {
					got = s
					grace = time.AfterFunc(graceAfterSignal, func() { hard(s) })
				}
				mu.Unlock()
				if first {
					cancel()
					continue
				}
				hard(s)
			case <-done:
				return
			}
		}
	}()
	stop = func() {
		signal.Stop(ch)
		close(done)
		cancel()
		mu.Lock()
		if grace != nil {
			grace.Stop()
		}
		mu.Unlock()
	}
	signaled = func() os.Signal {
		mu.Lock()
		defer mu.Unlock()
		return got
	}
	return ctx, stop, signaled
}
