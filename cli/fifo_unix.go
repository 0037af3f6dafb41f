//go:build unix

package cli

import (
	"os"
	"syscall"
)

// openFIFO opens a FIFO for reading without waiting for a writer: with none,
// reads end at once (an empty input) instead of hanging.
func openFIFO(p string) (*os.File, error) { return openFIFONow(p, syscall.O_RDONLY) }

// openFIFOWrite opens a FIFO for writing if a reader has it open, and fails
// at once otherwise, instead of waiting for one forever.
func openFIFOWrite(p string) (*os.File, error) { return openFIFONow(p, syscall.O_WRONLY) }

// openFIFONow opens p without blocking in open (a FIFO's open waits for the
// other end), then makes its reads and writes blocking again.
func openFIFONow(p string, mode int) (*os.File, error) {
	fd, err := syscall.Open(p, mode|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err == syscall.ENXIO { // opened for writing, no reader
		return nil, &os.PathError{Op: "open", Path: p, Err: errNoReader}
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: p, Err: err}
	}
	if err := syscall.SetNonblock(fd, false); err != nil {
		syscall.Close(fd)
		return nil, &os.PathError{Op: "open", Path: p, Err: err}
	}
	return os.NewFile(uintptr(fd), p), nil
}
