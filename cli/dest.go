package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/retar-dev/retar/convert"
)

// destPolicy is what retar does with what is already at a destination. It is
// the one place this is decided, and --help and the README say the same.
const destPolicy = `What is at DST:
  nothing           created (its parent directory must exist)
  a file            replaced atomically (archives), keeping its mode; the new
                    archive is written beside it and renamed over it
  a symbolic link   the link is replaced; what it points to is left alone
  a directory       oci: and dir: replace it only when it is empty or holds
                    nothing but a layout of that kind (oci-layout, index.json,
                    blobs/ALG/HEX; or version, manifest.json, HEX blobs,
                    HEX.manifest.json, signature-N); otherwise retar refuses,
                    naming the first file that is not part of one. --force
                    replaces the directory and everything in it (never /,
                    the home directory, or one holding the working
                    directory). An archive is never written over a directory.
  a FIFO or a       the archive is written through it, streamed, as with
  character device  DST - (a FIFO needs a reader already); oci: and dir: are
                    refused. Terminals, block devices and sockets are refused.
  -                 the archive goes to standard output (not a terminal)
Nothing is written until every digest is checked; a failed or interrupted
run leaves nothing at DST and nothing beside it. A second retar writing the
same DST at the same time fails at once. DST may not be inside a SRC
directory: the input is never modified.
`

// output is a destination checked against the policy, ready to write.
type output struct {
	path   string
	layout convert.Layout
	stream io.Writer // written through: stdout, a FIFO, a character device
	file   *os.File  // stream's file, when it is one
	closeF bool      // file is ours to close
	old    fs.FileInfo
	unlock func()
	// closeSources, when set, closes the sources once the output is
	// written and verified, before it is renamed into place: a source may
	// have the destination's name, and Windows keeps the name of a file
	// that is open.
	closeSources func()
	// compress is how the archive is compressed as it is written, as
	// DST's name says: "gzip", "zstd", or "" for none.
	compress string
}

// prepareOutput checks dst against the policy before anything is read, and
// takes the lock that keeps a second retar off it. srcDirs are the sources
// that are directories.
func prepareOutput(dst imageRef, srcDirs []string, force bool, stdout io.Writer) (*output, error) {
	o := &output{path: dst.Path, layout: dst.Layout, unlock: func() {}}
	var err error
	if o.compress, err = destCompression(dst); err != nil {
		return nil, err
	}
	if dst.Path == "-" {
		return o, o.toStdout(dst, stdout)
	}
	if err := outsideSources(dst.Path, srcDirs); err != nil {
		return nil, err
	}
	fi, err := os.Lstat(dst.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		parent := filepath.Dir(filepath.Clean(dst.Path))
		if pfi, err := os.Stat(parent); err != nil || !pfi.IsDir() {
			return nil, fmt.Errorf("%s: its directory %s does not exist", dst.Path, parent)
		}
	case err != nil:
		return nil, err
	case fi.Mode()&fs.ModeNamedPipe != 0 || fi.Mode()&fs.ModeCharDevice != 0:
		if !dst.Layout.IsArchive() {
			return nil, fmt.Errorf("%s is %s; %s: layout is a directory", dst.Path, modeName(fi.Mode()), dst.Layout.Article())
		}
		return o, o.openStream(fi)
	}
	unlock, err := lockDest(dst.Path)
	if err != nil {
		return nil, err
	}
	// What is at DST is judged under the lock: a retar that held it may
	// have written DST since the look above, and what it wrote is what is
	// replaced.
	if err := o.judgeLocked(force); err != nil {
		unlock()
		return nil, err
	}
	o.unlock = unlock
	clearStale(dst.Path)
	return o, nil
}

// judgeLocked judges what is at the destination, the lock held: nothing,
// or what replaces accepts.
func (o *output) judgeLocked(force bool) error {
	o.old = nil
	fi, err := os.Lstat(o.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	}
	return o.replaces(fi, force)
}

// tempPrefix begins the names of the temporary outputs retar writes beside
// dst (".NAME.retar-*.tmp", and "….tmp.old" while a directory is swapped).
func tempPrefix(dst string) string {
	return "." + filepath.Base(filepath.Clean(dst)) + ".retar-"
}

// clearStale removes what a retar killed while writing dst left beside it.
// Called with dst's lock held: no other retar is writing those.
func clearStale(dst string) {
	dir, prefix := filepath.Dir(filepath.Clean(dst)), tempPrefix(dst)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, prefix) && (strings.HasSuffix(n, ".tmp") || strings.HasSuffix(n, ".tmp.old")) {
			removeTree(filepath.Join(dir, n)) //nolint:errcheck // best effort: it is junk
		}
	}
}

// toStdout sends an archive to standard output, never to a terminal.
func (o *output) toStdout(dst imageRef, stdout io.Writer) error {
	if !dst.Layout.IsArchive() {
		return usagef("DST %s: %s: layout is a directory and cannot go to standard output; use %s", dst, dst.Layout.Article(), refsOfKind(true, "-"))
	}
	if f, ok := stdout.(*os.File); ok {
		if isTerminal(f) {
			return usagef("DST -: standard output is a terminal; redirect it to a file or a pipe")
		}
		o.file = f
	}
	o.stream = stdout
	return nil
}

// refsOfKind names p in each layout the registry has that is an archive, or
// a directory, for messages: "docker-archive:- or oci-archive:-".
func refsOfKind(archive bool, p string) string {
	var refs []string
	for _, l := range convert.Layouts() {
		if l.IsArchive() == archive {
			refs = append(refs, string(l)+":"+p)
		}
	}
	if len(refs) < 2 {
		return strings.Join(refs, "")
	}
	return strings.Join(refs[:len(refs)-1], ", ") + " or " + refs[len(refs)-1]
}

// replaces judges what is at the destination, to be replaced: a link, a
// file (archives), a directory (layouts, by the policy).
func (o *output) replaces(fi fs.FileInfo, force bool) error {
	archive := o.layout.IsArchive()
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		// The link is replaced; its target is not touched.
	case fi.Mode().IsRegular():
		if !archive {
			return fmt.Errorf("%s exists and is a file; %s: layout is a directory", o.path, o.layout.Article())
		}
		o.old = fi
	case fi.IsDir():
		if archive {
			return fmt.Errorf("%s is a directory; %s is a file (name a file, or use %s for a layout directory)", o.path, o.layout.Article(), refsOfKind(false, o.path))
		}
		if err := notPrecious(o.path); err != nil {
			return err
		}
		if !force {
			if err := replaceableDir(o.path, o.layout); err != nil {
				return err
			}
		}
		o.old = fi
	default:
		return fmt.Errorf("%s is %s: retar writes archives into files, FIFOs and character devices only", o.path, modeName(fi.Mode()))
	}
	return nil
}

// openStream opens a FIFO or a character device to write the archive through.
func (o *output) openStream(fi fs.FileInfo) error {
	var f *os.File
	var err error
	if fi.Mode()&fs.ModeNamedPipe != 0 {
		f, err = openFIFOWrite(o.path)
	} else {
		f, err = os.OpenFile(o.path, os.O_WRONLY, 0)
	}
	if err != nil {
		return err
	}
	if isTerminal(f) {
		f.Close()
		return fmt.Errorf("%s is a terminal; an archive does not go to a terminal", o.path)
	}
	o.stream, o.file, o.closeF = f, f, true
	return nil
}

// outsideSources refuses a destination inside a source directory: writing
// there would change the input. A destination that is a source directory
// itself is replaced as a whole once read, which is allowed.
func outsideSources(dst string, srcDirs []string) error {
	d, err := realPath(dst)
	if err != nil {
		return nil // judged when written
	}
	for _, s := range srcDirs {
		sp, err := realPath(s)
		if err != nil {
			continue
		}
		if strings.HasPrefix(d, sp+string(filepath.Separator)) {
			return fmt.Errorf("%s is inside the source %s: retar never writes into its input", dst, s)
		}
	}
	return nil
}

// realPath is p absolute with its directory's links resolved; p itself may
// not exist yet.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.Base(abs)), nil
}

// notPrecious refuses, even with --force, to replace the root, the home
// directory or a directory the working directory is in: a mistyped DST must
// not cost a user their files.
func notPrecious(dst string) error {
	d, err := filepath.EvalSymlinks(dst)
	if err != nil {
		return nil
	}
	if d, err = filepath.Abs(d); err != nil {
		return nil
	}
	if d == filepath.Dir(d) {
		return fmt.Errorf("%s is the root directory: retar will not replace it", dst)
	}
	if home, err := os.UserHomeDir(); err == nil {
		if h, err := filepath.EvalSymlinks(home); err == nil && h == d {
			return fmt.Errorf("%s is the home directory: retar will not replace it", dst)
		}
	}
	if wd, err := os.Getwd(); err == nil {
		if w, err := filepath.EvalSymlinks(wd); err == nil && (w == d || strings.HasPrefix(w, d+string(filepath.Separator))) {
			return fmt.Errorf("%s holds the working directory: retar will not replace it (name the layout directory itself)", dst)
		}
	}
	return nil
}

// replaceableDir accepts an empty directory or one holding nothing but a
// layout of kind l, and otherwise names the first entry that is not part of
// one.
func replaceableDir(dir string, l convert.Layout) error {
	foreign, err := foreignEntry(dir, l)
	if err != nil {
		return err
	}
	if foreign != "" {
		return fmt.Errorf("%s is not empty and not %s layout (%s is not part of one): refusing to replace it; --force replaces the directory and everything in it",
			dir, l.Article(), filepath.Join(dir, foreign))
	}
	return nil
}

// foreignEntry returns the first entry below dir, in name order, that a
// layout of kind l does not hold (the layout says, Layout.Owns), or "" when
// every entry belongs to one.
func foreignEntry(dir string, l convert.Layout) (string, error) {
	return foreignBelow(dir, "", l)
}

func foreignBelow(dir, rel string, l convert.Layout) (string, error) {
	ents, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return "", err
	}
	for _, e := range ents {
		name := path.Join(rel, e.Name())
		if !l.Owns(name, e.IsDir()) {
			return filepath.FromSlash(name), nil
		}
		if e.IsDir() {
			if f, err := foreignBelow(dir, name, l); err != nil || f != "" {
				return f, err
			}
		}
	}
	return "", nil
}

func (o *output) close() {
	if o.closeF {
		o.file.Close()
	}
	o.unlock()
}
