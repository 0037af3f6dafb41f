// Package man renders retar's command tree as man pages.
package man

import (
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/retar-dev/retar/cli"
)

// date is the date the pages carry: fixed, so that regenerating unchanged
// help gives unchanged pages (cobra would stamp today's date).
var date = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// Write writes a page per command into dir, which it creates.
func Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root := cli.Command()
	root.DisableAutoGenTag = true
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpCmd()
	preformat(root)
	return doc.GenManTree(root, &doc.GenManHeader{Title: "RETAR", Section: "1", Source: "retar", Manual: "retar manual", Date: &date}, dir)
}

// preformat keeps the help's tables as they are laid out: cobra's doc reads
// Long as markdown, which would flow their indented lines into paragraphs,
// so each run of indented lines becomes a code block.
func preformat(cmd *cobra.Command) {
	var out []string
	inBlock := false
	for _, line := range strings.Split(cmd.Long, "\n") {
		indented := strings.HasPrefix(line, "  ")
		switch {
		case indented && !inBlock:
			out = append(out, "")
		case !indented && inBlock && line != "":
			out = append(out, "")
		}
		inBlock = indented
		if indented {
			line = "    " + line
		}
		out = append(out, line)
	}
	cmd.Long = strings.Join(out, "\n")
	for _, c := range cmd.Commands() {
		preformat(c)
	}
}
