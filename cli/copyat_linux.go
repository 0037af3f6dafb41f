package cli

import (
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// kernelCopyAt copies n bytes of src from off to dst at at with
// copy_file_range, given both offsets: the bytes move in the kernel and
// neither file's own offset moves, so several copies may run into one file
// at once. handled is false, with nothing copied, where the kernel cannot
// copy between these two files; the caller copies through memory then.
func kernelCopyAt(dst *os.File, at int64, src *os.File, off, n int64) (copied int64, handled bool, err error) {
	dc, err := dst.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	sc, err := src.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	var cerr error
	// Control holds each file open for the call: one closed meanwhile
	// fails the call, and its descriptor is not reused under it.
	err = dc.Control(func(dfd uintptr) {
		err := sc.Control(func(sfd uintptr) {
			for copied < n {
				k, err := unix.CopyFileRange(int(sfd), &off, int(dfd), &at, int(min(n-copied, 1<<30)), 0)
				switch {
				case errors.Is(err, unix.EINTR):
					continue
				case err != nil:
					cerr = err
					return
				case k == 0:
					cerr = io.ErrUnexpectedEOF // the source is shorter than it was
					return
				}
				copied += int64(k)
			}
		})
		if cerr == nil {
			cerr = err
		}
	})
	if err != nil {
		return copied, true, err
	}
	if copied == 0 && cerr != nil {
		switch {
		case errors.Is(cerr, unix.ENOSYS), errors.Is(cerr, unix.EXDEV), errors.Is(cerr, unix.EINVAL),
			errors.Is(cerr, unix.EOPNOTSUPP), errors.Is(cerr, unix.EPERM), errors.Is(cerr, unix.EIO):
			return 0, false, nil // as (*os.File).ReadFrom: copied through memory instead
		}
	}
	if cerr != nil {
		cerr = &os.PathError{Op: "copy_file_range", Path: dst.Name(), Err: cerr}
	}
	return copied, true, cerr
}
