// Command floor measures the CPU floor of a conversion.
//
// floor -copy-to DEST INPUT: of a conversion that only copies an archive
// and verifies what it wrote: hashing every byte of it (SHA-256) plus
// copying it once (copy_file_range into a new file beside DEST), the CPU
// time of that work divided over the cores, so other work on the machine
// does not move it. It prints three times in seconds: floor, and the CPU
// time of hashing and of copying.
//
// floor -reencode gzip|none|zstd [-level N] INPUT: of a conversion that
// re-encodes the layers of the docker-archive or oci-archive INPUT: the
// CPU time that hashing each source layer (verifying it), decoding it,
// hashing the decoded bytes (its diff_id), encoding them as retar does and
// hashing the result take alone, with the same libraries on the same bytes
// and nothing written (reencode.go), divided over the cores. It prints two
// times in seconds: floor and CPU.
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"
)

func main() {
	dest := flag.String("copy-to", "", "file to copy the input to (removed after)")
	target := flag.String("reencode", "", "gzip, none or zstd: the floor of re-encoding the input's layers so")
	level := flag.Int("level", 0, "with -reencode: the compression level, as retar's --compress-level (0: the default)")
	flag.Parse()
	if flag.NArg() != 1 || (*dest == "") == (*target == "") {
		fmt.Fprintln(os.Stderr, "usage: floor -copy-to FILE INPUT | floor -reencode gzip|none|zstd [-level N] INPUT")
		os.Exit(2)
	}
	if *target != "" {
		if *target != "gzip" && *target != "none" && *target != "zstd" {
			fmt.Fprintf(os.Stderr, "floor: -reencode %q: want gzip, none or zstd\n", *target)
			os.Exit(2)
		}
		cpu, err := reencodeFloor(flag.Arg(0), *target, *level)
		if err != nil {
			fail(err)
		}
		floor := cpu / time.Duration(runtime.GOMAXPROCS(0))
		fmt.Printf("%.3f %.3f\n", floor.Seconds(), cpu.Seconds())
		return
	}
	h, err := hashTime(flag.Arg(0))
	if err != nil {
		fail(err)
	}
	c, err := copyTime(flag.Arg(0), *dest)
	if err != nil {
		fail(err)
	}
	floor := (h + c) / time.Duration(runtime.GOMAXPROCS(0))
	fmt.Printf("%.3f %.3f %.3f\n", floor.Seconds(), h.Seconds(), c.Seconds())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "floor:", err)
	os.Exit(1)
}

// hashTime hashes the file in as many equal ranges as there are cores, at
// once, and says the CPU time that took.
func hashTime(p string) (time.Duration, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	n := int64(runtime.GOMAXPROCS(0))
	part := (fi.Size() + n - 1) / n
	start := cpuTime()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := sha256.New()
			off := i * part
			_, errs[i] = io.CopyBuffer(h, io.NewSectionReader(f, off, min(part, fi.Size()-off)), make([]byte, 1<<20))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	return cpuTime() - start, nil
}

// copyTime copies the file once as retar's writer does (the kernel's
// copy_file_range, through (*os.File).ReadFrom), and says the CPU time that
// took.
func copyTime(p, dest string) (time.Duration, error) {
	in, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.Create(dest)
	if err != nil {
		return 0, err
	}
	defer os.Remove(dest)
	start := cpuTime()
	if _, err := out.ReadFrom(in); err != nil {
		out.Close()
		return 0, err
	}
	if err := out.Close(); err != nil {
		return 0, err
	}
	return cpuTime() - start, nil
}
