package cli

import (
	"os"
	"syscall"
)

// openInput opens a source archive for reading, letting others delete or
// rename over it while it is open (FILE_SHARE_DELETE), as a Unix open
// does: converting a file onto itself renames the new archive over the
// source it is still reading, which Windows refuses for a file opened
// without that share mode (os.Open's).
func openInput(p string) (*os.File, error) {
	name, err := syscall.UTF16PtrFromString(p)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: p, Err: err}
	}
	h, err := syscall.CreateFile(name, syscall.GENERIC_READ,
		syscall.FILE_SHARE_READ|syscall.FILE_SHARE_WRITE|syscall.FILE_SHARE_DELETE,
		nil, syscall.OPEN_EXISTING, syscall.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: p, Err: err}
	}
	return os.NewFile(uintptr(h), p), nil
}
