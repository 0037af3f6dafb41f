package man

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docs/man is what make man writes from today's help: a change to a
// command's help or flags needs make man.
func TestCommittedPagesAreCurrent(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, Write(dir))
	want, err := os.ReadDir(dir)
	require.NoError(t, err)
	committed := filepath.Join("..", "..", "..", "..", "docs", "man")
	have, err := os.ReadDir(committed)
	require.NoError(t, err, "run make man")
	var wantNames, haveNames []string
	for _, e := range want {
		wantNames = append(wantNames, e.Name())
	}
	for _, e := range have {
		haveNames = append(haveNames, e.Name())
	}
	require.Equal(t, wantNames, haveNames, "docs/man is out of date: run make man")
	for _, name := range wantNames {
		w, _ := os.ReadFile(filepath.Join(dir, name))
		h, _ := os.ReadFile(filepath.Join(committed, name))
		assert.Equal(t, string(w), string(h), "docs/man/%s is out of date: run make man", name)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "retar-convert.1"))
	assert.Contains(t, string(page), "What is at DST")
	assert.Contains(t, string(page), `\fB--tag\fP`)
}
