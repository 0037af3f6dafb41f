// Command hashpipe is the floor of a one-pass conversion: it copies its
// standard input to its standard output through a 1 MiB buffer, hashing
// every byte with Go's crypto/sha256 on the way, and prints the digest on
// standard error. `cat in.tar | hashpipe | cat >/dev/null` is what
// `cat in.tar | retar convert - - | cat >/dev/null` is measured against:
// the same pipes, every byte read, hashed and written once.
package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
)

func main() {
	h := sha256.New()
	buf := make([]byte, 1<<20)
	if _, err := io.CopyBuffer(io.MultiWriter(h, os.Stdout), os.Stdin, buf); err != nil {
		fmt.Fprintln(os.Stderr, "hashpipe:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "sha256:%x\n", h.Sum(nil))
}
