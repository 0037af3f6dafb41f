//go:build !unix

package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// lockDest takes the lock that keeps two retar runs off one destination: a
// file beside it, created exclusively and removed when done.
func lockDest(dst string) (unlock func(), err error) {
	clean := filepath.Clean(dst)
	p := filepath.Join(filepath.Dir(clean), "."+filepath.Base(clean)+".retar-lock")
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%s: another retar is writing it (or one was killed: remove %s)", dst, p)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: cannot take the lock beside it: %w", dst, err)
	}
	registerTemp(p)
	return func() {
		f.Close()
		removeTemp(p)
	}, nil
}

func chownLike(string, fs.FileInfo) {}
