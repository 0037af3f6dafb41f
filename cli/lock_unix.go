//go:build unix

package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// lockDest takes the lock that keeps two retar runs off one destination: a
// file beside it, held with flock, so a run that dies (even by SIGKILL)
// releases it. The file is removed when the lock is released.
func lockDest(dst string) (unlock func(), err error) {
	clean := filepath.Clean(dst)
	p := filepath.Join(filepath.Dir(clean), "."+filepath.Base(clean)+".retar-lock")
	for range 3 {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("%s: cannot take the lock beside it: %w", dst, err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("%s: another retar is writing it; try again when it is done", dst)
			}
			return nil, fmt.Errorf("%s: cannot lock %s: %w", dst, p, err)
		}
		// The holder before us may have removed the file between our open
		// and our lock: then we hold a lock on nothing, and try again.
		fi, err1 := f.Stat()
		pi, err2 := os.Stat(p)
		if err1 == nil && err2 == nil && os.SameFile(fi, pi) {
			registerTemp(p)
			return func() {
				removeTemp(p)
				f.Close()
			}, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("%s: another retar is writing it; try again when it is done", dst)
}

// chownLike gives p the owner of old, when retar runs as root (a user's
// archive replaced by root stays the user's).
func chownLike(p string, old fs.FileInfo) {
	if os.Geteuid() != 0 {
		return
	}
	if st, ok := old.Sys().(*syscall.Stat_t); ok {
		os.Lchown(p, int(st.Uid), int(st.Gid))
	}
}
