package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/retar-dev/retar/cli"
	"github.com/retar-dev/retar/internal/imagetest"
)

// exampleFixtures writes, in dir, the files the examples name: each an image
// of the kind its example expects.
func exampleFixtures(t *testing.T, dir string) {
	t.Helper()
	at := func(p string) string { return filepath.Join(dir, p) }
	img := func(name, env string, opts ...imagetest.Option) imagetest.Image {
		return imagetest.New(t, append([]imagetest.Option{imagetest.Names(name), imagetest.Env(env)}, opts...)...)
	}
	testImage(t).DockerArchive(t).WriteFile(t, at("image.tar"))
	imagetest.New(t, imagetest.Names(), imagetest.Env("FROM=skopeo")).DockerArchive(t).WriteFile(t, at("skopeo.tar"))
	imagetest.Images{img("example.com/one:1", "N=1"), img("example.com/two:1", "N=2")}.DockerArchive(t).WriteFile(t, at("multi.tar"))
	multiarch := func(name string) imagetest.Image {
		return img(name, "NAME="+name, imagetest.Platforms("linux/amd64", "linux/arm64"))
	}
	multiarch("example.com/multiarch:1").OCIArchive(t).WriteFile(t, at("multiarch.tar"))
	multiarch("example.com/a:1").OCIArchive(t).WriteFile(t, at("a.tar"))
	multiarch("example.com/b:1").OCIArchive(t).WriteFile(t, at("b.tar"))
	img("example.com/app:1", "APP=1").DockerArchive(t).WriteFile(t, at("app.tar"))
	img("example.com/db:1", "DB=1").DockerArchive(t).WriteFile(t, at("db.tar"))
	imagetest.Images{img("example.com/app:1", "APP=1"), img("example.com/db:1", "DB=1")}.Hybrid(t).WriteFile(t, at("bundle.tar"))
	img("app:1", "LAYOUT=1").OCILayout(t).WriteDir(t, at("layout"))
	img("proxy:2", "PROXY=2").OCILayout(t).WriteDir(t, at("proxy-layout"))
	testImage(t).Dir(t).WriteDir(t, at("image"))
	for i, n := range []string{"web", "api"} { // 600 KiB each, for --volume-size
		layer := imagetest.FileLayer(t, noise(uint64(10+i), 600<<10))
		img("example.com/"+n+":1", "IMG="+n, imagetest.LayerTars(layer)).DockerArchive(t).WriteFile(t, at(n+".tar"))
	}
}

// exampleLines are the command lines of an Example or a README block: each
// indented "retar ..." line (prose is not), its trailing comment dropped,
// split into words as a shell does with quotes (a --format template).
func exampleLines(text string) [][]string {
	var out [][]string
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(l, "  ") {
			continue
		}
		l = strings.TrimSpace(l)
		if i := strings.Index(l, " #"); i >= 0 {
			l = l[:i]
		}
		if f := shellWords(l); len(f) > 1 && f[0] == "retar" {
			out = append(out, f[1:])
		}
	}
	return out
}

// shellWords splits a line at blanks outside quotes; the quotes, single or
// double, are dropped, what they hold kept as it is.
func shellWords(l string) []string {
	var words []string
	var word strings.Builder
	in, quote := false, rune(0)
	for _, r := range l {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			word.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, word.String())
				word.Reset()
			}
			in = false
		default:
			word.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, word.String())
	}
	return words
}

// runExamples runs lines in order in a new directory holding the fixtures,
// each one as a user would type it: each must succeed.
func runExamples(t *testing.T, lines [][]string) {
	t.Helper()
	dir := t.TempDir()
	exampleFixtures(t, dir)
	t.Chdir(dir)
	for _, args := range lines {
		// diff's status 1 is its finding that A and B differ, not a failure.
		if code, _, stderr := run(t, append(args, "-q")...); code != 0 && !(code == 1 && args[0] == "diff" && stderr == "") {
			t.Errorf("retar %s: exit %d: %s", strings.Join(args, " "), code, stderr)
		}
	}
}

// Every example every command's --help shows runs as shown.
func TestHelpExamplesRun(t *testing.T) {
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		if lines := exampleLines(c.Example); len(lines) > 0 {
			n++
			t.Run(c.Name(), func(t *testing.T) { runExamples(t, lines) })
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(cli.Command())
	if n < 6 {
		t.Errorf("examples of %d commands found: the walk misses some", n)
	}
}

// Every command line in README.md's examples runs as shown; the synopsis
// (placeholders in capitals, [optional] parts) and lines for a shell (a
// redirection or a pipe) are not examples.
func TestReadmeExamplesRun(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]string
	for _, args := range exampleLines(string(b)) {
		s := strings.Join(args, " ")
		if strings.ContainsAny(s, "[]|<>$`") || hasPlaceholder(args) {
			continue
		}
		lines = append(lines, args)
	}
	if len(lines) < 5 {
		t.Fatalf("%d README examples found: %q", len(lines), lines)
	}
	runExamples(t, lines)
}

func hasPlaceholder(args []string) bool {
	for _, a := range args {
		if len(a) >= 3 && strings.ToUpper(a) == a && strings.ToLower(a) != a {
			return true
		}
	}
	return false
}
