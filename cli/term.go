package cli

import (
	"errors"
	"os"

	"golang.org/x/term"
)

// isTerminal reports whether f is a terminal, where an archive must not go.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

var errNoReader = errors.New("a FIFO with no reader: start the reader first")
