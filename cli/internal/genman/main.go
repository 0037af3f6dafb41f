// Command genman writes retar's man pages (retar.1, retar-convert.1, ...)
// from the command tree, with cobra's doc package: make man runs it into
// docs/man. The pages carry a fixed date, so the same help text gives the
// same bytes.
package main

import (
	"fmt"
	"os"

	"github.com/retar-dev/retar/cli/internal/genman/man"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: genman DIR")
		os.Exit(2)
	}
	if err := man.Write(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "genman:", err)
		os.Exit(1)
	}
}
