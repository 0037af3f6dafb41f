package check_test

import (
	"os"
	"strings"
	"testing"

	"github.com/retar-dev/retar/check"
)

// The README's table of the messages retar explain knows is the one the
// code makes (check.MessageTable): one row per loader and message.
func TestReadmeMessageTable(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- explain-messages: made by check.MessageTable -->\n", "<!-- /explain-messages -->"
	s := string(b)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q section", begin, end)
	}
	if got, want := s[i+len(begin):j], check.MessageTable(); got != want {
		t.Errorf("README.md's table of explained messages is not check.MessageTable()'s; put this between the markers:\n%s", want)
	}
}
