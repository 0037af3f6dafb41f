//go:build !unix

package cli

import (
	"errors"
	"os"
)

func openFIFO(p string) (*os.File, error) {
	return nil, &os.PathError{Op: "open", Path: p, Err: errors.New("FIFOs are not supported here")}
}

func openFIFOWrite(p string) (*os.File, error) { return openFIFO(p) }
