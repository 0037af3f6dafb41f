package cli

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/retar-dev/retar/convert"
)

// write writes the plan to the destination prepareOutput judged, as the
// policy says: an archive streamed, or written beside the destination and
// renamed over it; a layout written into a directory beside it and swapped
// in.
func (o *output) write(ctx context.Context, p *convert.Plan, progress func(int64)) error {
	var sent int64
	counted := func(n int64) { sent += n; progress(n) }
	switch {
	case o.stream != nil && o.compress != "":
		return o.streamError(writeCompressed(ctx, p, o.compress, o.stream, counted), sent)
	case o.stream != nil && o.file != nil:
		return o.streamError(p.WriteTar(&fileSink{ctx: ctx, f: o.file, progress: counted}), sent)
	case o.stream != nil:
		return o.streamError(p.WriteTar(&writerSink{ctx: ctx, w: o.stream, progress: counted}), sent)
	case o.layout.IsArchive():
		return o.fullError(o.writeArchive(ctx, p, progress), p)
	}
	return o.fullError(o.writeDir(ctx, p, progress), p)
}

// placesBlobs says the plan is written to a file whose ranges it can place
// (a temporary archive beside the destination: tempSink).
func (o *output) placesBlobs() bool {
	return o.stream == nil && o.compress == "" && o.layout.IsArchive()
}

// streamSink is the sink of a stream destination (standard output, a FIFO,
// a character device) for a conversion that writes to it as its source
// passes (convert.ReadStream): written through, counted for progress.
func (o *output) streamSink(ctx context.Context, progress func(int64)) convert.Sink {
	if o.file != nil {
		return &fileSink{ctx: ctx, f: o.file, progress: progress}
	}
	return &writerSink{ctx: ctx, w: o.stream, progress: progress}
}

// fullError says a full device in the user's terms: which output, how much
// it needs, and that nothing was replaced.
func (o *output) fullError(err error, p *convert.Plan) error {
	if !errors.Is(err, syscall.ENOSPC) && !errors.Is(err, syscall.EDQUOT) {
		return err
	}
	return fmt.Errorf("%s: no space left where it goes (it needs about %d MB there); nothing was written or replaced, so free some space or choose another destination", o.path, (p.TarSize()+1<<20-1)>>20)
}

// streamError says, of a stream whose reader went away, what it got.
func (o *output) streamError(err error, sent int64) error {
	if errors.Is(err, syscall.EPIPE) {
		return fmt.Errorf("%s: its reader closed it after %d bytes, before the archive's end: what it read is incomplete", o.name(), sent)
	}
	return err
}

func (o *output) name() string {
	if o.path == "" || o.path == "-" {
		return "standard output"
	}
	return o.path
}

// keepMode gives a new file or directory the mode (and, as root, the owner)
// of the one it replaces; a new archive is 0644, a new layout 0755.
func (o *output) keepMode(p string, dflt fs.FileMode) error {
	mode := dflt
	if o.old != nil && (o.old.Mode().IsRegular() || o.old.IsDir()) {
		mode = o.old.Mode().Perm()
		chownLike(p, o.old)
	}
	return os.Chmod(p, mode)
}

// writeArchive writes the plan to a temporary file beside the destination and
// renames it into place; on any failure nothing is left.
func (o *output) writeArchive(ctx context.Context, p *convert.Plan, progress func(int64)) error {
	tmp, err := o.writeTemp(ctx, p, progress)
	if err != nil {
		return err
	}
	return o.commit(tmp)
}

// writeTemp writes the plan to a temporary file beside the destination,
// complete and closed, to be renamed into place by commit (or removed with
// removeTemp); on a failure nothing is left.
func (o *output) writeTemp(ctx context.Context, p *convert.Plan, progress func(int64)) (_ string, err error) {
	tmp, err := os.CreateTemp(filepath.Dir(o.path), tempPrefix(o.path)+"*.tmp")
	if err != nil {
		return "", err
	}
	registerTemp(tmp.Name())
	defer func() {
		if err != nil {
			tmp.Close()
			removeTemp(tmp.Name())
		}
	}()
	if o.compress != "" {
		err = writeCompressed(ctx, p, o.compress, tmp, progress)
	} else {
		err = p.WriteTar(&tempSink{fileSink: fileSink{ctx: ctx, f: tmp, progress: progress}})
	}
	if err != nil {
		return "", err
	}
	if err = o.keepMode(tmp.Name(), 0o644); err != nil {
		return "", err
	}
	if err = tmp.Close(); err != nil {
		return "", err
	}
	return tmp.Name(), ctx.Err()
}

// commit renames a temporary file writeTemp wrote into place; on a failure
// it removes it.
func (o *output) commit(tmp string) error {
	o.sourcesRead()
	if err := os.Rename(tmp, o.path); err != nil {
		removeTemp(tmp)
		return err
	}
	forgetTemp(tmp)
	return nil
}

// writeDir writes the plan into a temporary directory beside the destination
// and swaps it into place (atomically where the system can), then removes
// what it replaced.
func (o *output) writeDir(ctx context.Context, p *convert.Plan, progress func(int64)) (err error) {
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(o.path)), tempPrefix(o.path)+"*.tmp")
	if err != nil {
		return err
	}
	registerTemp(tmp)
	defer func() {
		if err != nil {
			removeTemp(tmp)
		}
	}()
	if err = writeEntries(ctx, p, tmp, progress); err != nil {
		return err
	}
	if err = o.keepMode(tmp, 0o755); err != nil {
		return err
	}
	if err = ctx.Err(); err != nil {
		return err
	}
	o.sourcesRead()
	return o.swapIn(tmp)
}

// sourcesRead closes the sources, every byte taken from them verified, so
// that the output can take the name of one: a file open keeps its name on
// Windows (even opened with FILE_SHARE_DELETE, for a rename that is not
// POSIX-style), and a layout directory open (os.Root) cannot be moved.
func (o *output) sourcesRead() {
	if o.closeSources != nil {
		o.closeSources()
	}
}

// writeEntries writes the plan's entries under dir.
func writeEntries(ctx context.Context, p *convert.Plan, dir string, progress func(int64)) error {
	for i := range p.Entries {
		e := &p.Entries[i]
		target := filepath.Join(dir, filepath.FromSlash(e.Name))
		var err error
		switch e.Type {
		case tar.TypeDir:
			err = os.MkdirAll(target, 0o755)
		case tar.TypeSymlink:
			err = os.Symlink(e.Linkname, target)
		default:
			err = writeFile(ctx, p, e, target, progress)
		}
		if err != nil {
			return err
		}
	}
	return p.Verified() // every blob copied checked before the directory goes in place
}

// swapIn puts the written directory tmp at the destination: renamed there if
// nothing is, else swapped with what is (atomically where the system can)
// and what was there removed.
func (o *output) swapIn(tmp string) error {
	fi, err := os.Lstat(o.path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(tmp, o.path); err != nil {
			return err
		}
		forgetTemp(tmp)
		return nil
	}
	// What is there must be what was judged replaceable before reading:
	// something that appeared since is not retar's to delete.
	if err != nil || o.old == nil && fi.Mode()&fs.ModeSymlink == 0 || o.old != nil && !os.SameFile(fi, o.old) {
		return fmt.Errorf("%s appeared or changed while converting; nothing was replaced", o.path)
	}
	if exchange(tmp, o.path) == nil {
		removeTemp(tmp)
		return nil
	}
	old := tmp + ".old"
	registerTemp(old)
	if err := os.Rename(o.path, old); err != nil {
		forgetTemp(old)
		return err
	}
	if err := os.Rename(tmp, o.path); err != nil {
		os.Rename(old, o.path)
		forgetTemp(old)
		return err
	}
	forgetTemp(tmp)
	removeTemp(old)
	return nil
}

func writeFile(ctx context.Context, p *convert.Plan, e *convert.Entry, target string, progress func(int64)) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	if linked(e, target) {
		(&fileSink{progress: progress}).count(e.Size) // beside the hashers' placed writes
		return nil
	}
	// The plan's hashers write a blob into it once WriteContent returns,
	// and close it (release) once it is written.
	f, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	var once sync.Once
	closeF := func() { once.Do(func() { f.Close() }) }
	s := &tempSink{fileSink: fileSink{ctx: ctx, f: f, progress: progress}, release: closeF}
	if err := p.WriteContent(e, s); err != nil {
		closeF()
		return err
	}
	if s.lent {
		return nil // closed once verified
	}
	return f.Close()
}

// linked gives a layer retar made (re-encoded into a spill beside the
// destination, hashed as it was written) the target's name as well, where
// the file system allows: its bytes are then written once. Otherwise it is
// copied, as any blob is.
func linked(e *convert.Entry, target string) bool {
	f, ok := e.Made().(*os.File)
	if !ok {
		return false
	}
	if fi, err := f.Stat(); err != nil || fi.Size() != e.Size || f.Chmod(0o644) != nil {
		return false
	}
	return os.Link(f.Name(), target) == nil
}

// writerSink writes to any writer (standard output in tests).
type writerSink struct {
	ctx      context.Context
	w        io.Writer
	progress func(int64)
}

func (s *writerSink) Write(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := s.w.Write(p)
	s.progress(int64(n))
	return n, err
}

func (s *writerSink) CopyRange(r io.ReaderAt, off, n int64) error {
	c, err := io.CopyBuffer(s, io.NewSectionReader(r, off, n), make([]byte, 1<<20))
	if err == nil && c != n {
		err = io.ErrUnexpectedEOF
	}
	return err
}
