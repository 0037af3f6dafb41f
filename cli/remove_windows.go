package cli

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/sys/windows"
)

// removeTree removes p, a file or a directory tree, as os.RemoveAll does.
// os.RemoveAll deletes what is in a directory with a POSIX-style delete
// (FileDispositionInformationEx), which some file systems refuse with
// "Incorrect function" rather than a status it falls back on (Wine 8, some
// file system drivers): then the tree is removed an entry at a time, the
// deepest first, with DeleteFile and RemoveDirectory (os.Remove).
func removeTree(p string) error {
	err := os.RemoveAll(p)
	if !errors.Is(err, windows.ERROR_INVALID_FUNCTION) {
		return err
	}
	var paths []string
	filepath.WalkDir(p, func(q string, _ fs.DirEntry, werr error) error { //nolint:errcheck // what it misses, os.Remove reports
		if werr == nil {
			paths = append(paths, q)
		}
		return nil
	})
	slices.Reverse(paths) // a directory's entries before it
	err = nil
	for _, q := range paths {
		if rerr := os.Remove(q); rerr != nil && err == nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = rerr
		}
	}
	return err
}
