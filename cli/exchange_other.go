//go:build !linux

package cli

import "errors"

// exchange is not available: the caller renames in two steps.
func exchange(a, b string) error { return errors.New("no atomic exchange here") }
