package main

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// realTime is every entry's mtime in a -real layer: the same bytes from
// the same files whenever and wherever they are packed.
var realTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// writeReal writes the docker-archive out (bench-real:1) of one layer per
// directory in dirs, each holding that directory's files under their own
// path ("usr/bin/ls"), with at most limit bytes of file content (0: all).
func writeReal(out string, dirs []string, limit int64) error {
	tmp, err := os.MkdirTemp("", "genimage-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var diffIDs, files []string
	for i, d := range dirs {
		p := fmt.Sprintf("%s/layer%d.tar", tmp, i)
		sum, n, err := writeRealLayer(p, d, limit)
		if err != nil {
			return fmt.Errorf("%s: %w", d, err)
		}
		fmt.Fprintf(os.Stderr, "genimage: %s: %d MB of files\n", d, n>>20)
		diffIDs = append(diffIDs, "sha256:"+sum)
		files = append(files, p)
	}
	return pack(out, diffIDs, files, "bench-real:1", "/bin/sh")
}

// realLayer is a layer tar being written from a directory tree.
type realLayer struct {
	tw    *tar.Writer
	limit int64 // of file content; 0: none
	n     int64 // file content written so far
}

// writeRealLayer packs the tree at dir into the layer tar p and returns
// its sha256 and how many bytes of file content it holds. The walk is in
// lexical order; entries are regular files, directories and symlinks with
// their mode, owned by 0:0, at realTime. What cannot be read, and other
// kinds of file (sockets, devices, fifos), are left out without a word:
// this is a measurement input, not a backup. Once the next file would take
// the layer over the limit, the layer ends.
func writeRealLayer(p, dir string, limit int64) (string, int64, error) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", 0, err
	}
	root, err = filepath.Abs(root)
	if err != nil {
		return "", 0, err
	}
	f, err := os.Create(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	l := &realLayer{tw: tar.NewWriter(io.MultiWriter(f, h)), limit: limit}
	// the directories above root first, as a layer of a real image has them
	name := strings.TrimPrefix(filepath.ToSlash(root), "/")
	var parents []string
	for up := path.Dir(name); up != "." && up != "/"; up = path.Dir(up) {
		parents = append([]string{up}, parents...)
	}
	for _, d := range parents {
		if err := l.tw.WriteHeader(l.header(d+"/", tar.TypeDir, 0o755)); err != nil {
			return "", 0, err
		}
	}
	err = filepath.WalkDir(root, func(fp string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable: left out
		}
		return l.add(fp, strings.TrimPrefix(filepath.ToSlash(fp), "/"), d)
	})
	if err != nil && !errors.Is(err, fs.SkipAll) {
		return "", 0, err
	}
	if err := l.tw.Close(); err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), l.n, f.Close()
}

// header is a tar header for name of typ and mode, owned by 0:0 at realTime.
func (l *realLayer) header(name string, typ byte, mode fs.FileMode) *tar.Header {
	m := int64(mode.Perm())
	if mode&fs.ModeSetuid != 0 {
		m |= 0o4000
	}
	if mode&fs.ModeSetgid != 0 {
		m |= 0o2000
	}
	if mode&fs.ModeSticky != 0 {
		m |= 0o1000
	}
	return &tar.Header{Typeflag: typ, Name: name, Mode: m, ModTime: realTime}
}

// add writes the entry for the file fp, named name in the layer.
func (l *realLayer) add(fp, name string, d fs.DirEntry) error {
	fi, err := d.Info()
	if err != nil {
		return nil
	}
	switch {
	case fi.IsDir():
		return l.tw.WriteHeader(l.header(name+"/", tar.TypeDir, fi.Mode()))
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(fp)
		if err != nil {
			return nil
		}
		hd := l.header(name, tar.TypeSymlink, 0o777)
		hd.Linkname = target
		return l.tw.WriteHeader(hd)
	case fi.Mode().IsRegular():
		return l.addFile(fp, name)
	}
	return nil
}

// addFile writes the regular file fp, unless it cannot be opened; the
// limit reached, it ends the walk.
func (l *realLayer) addFile(fp, name string) error {
	f, err := os.Open(fp)
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	if l.limit > 0 && l.n+fi.Size() > l.limit {
		return fs.SkipAll
	}
	hd := l.header(name, tar.TypeReg, fi.Mode())
	hd.Size = fi.Size()
	if err := l.tw.WriteHeader(hd); err != nil {
		return err
	}
	// a file that shrank while read is an error: its header is written
	if _, err := io.CopyN(l.tw, f, fi.Size()); err != nil {
		return fmt.Errorf("%s: %w", fp, err)
	}
	l.n += fi.Size()
	return nil
}
