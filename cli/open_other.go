//go:build !windows

package cli

import "os"

// openInput opens a source archive for reading.
func openInput(p string) (*os.File, error) { return os.Open(p) }
