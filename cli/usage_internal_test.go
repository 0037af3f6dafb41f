package cli

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/retar-dev/retar/convert"
)

// TestUsagef: a usage error says its message as formatted, is
// convert.ErrUsage to errors.Is (which Main maps to exit 2), and keeps what
// it wraps.
func TestUsagef(t *testing.T) {
	err := usagef("DST %q: %w", "x", fs.ErrNotExist)
	assert.EqualError(t, err, `DST "x": file does not exist`)
	assert.ErrorIs(t, err, convert.ErrUsage)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.False(t, errors.Is(errors.New("failed"), convert.ErrUsage))

	_, err = parseRef("oci:")
	assert.ErrorIs(t, err, convert.ErrUsage, "a reference retar cannot read is a usage error")
}
