package cli

import (
	"os"
	"syscall"
)

// openInput opens a source archive for reading, letting others delete or
// rename it while it is open (FILE_SHARE_DELETE), as a Unix open does;
// os.Open's share mode refuses them. Even so Windows keeps the name of an
// open file, so a conversion onto its source's own name closes the sources
// before it renames the new archive over one (output.sourcesRead).
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
