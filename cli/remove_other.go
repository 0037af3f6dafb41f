//go:build !windows

package cli

import "os"

// removeTree removes p, a file or a directory tree.
func removeTree(p string) error { return os.RemoveAll(p) }
