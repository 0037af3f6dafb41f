//go:build !unix

package main

import (
	"errors"
	"time"
)

// cpuTime: the floor is measured where getrusage is (make bench runs on
// Linux); elsewhere it says so and stops.
func cpuTime() time.Duration {
	fail(errors.New("measures CPU time with getrusage, which this system lacks"))
	return 0
}
