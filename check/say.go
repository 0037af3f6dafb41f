// What retar says to a user where the command line and the page say the
// same thing: one table, in the command line's words (its flags, "retar
// convert", an image picked as SRC:@N) and in the page's (its fields,
// marked [[field:Label]] for the page to link; {where} for where its form
// is, "below" or "above"; the conversion is the page's own). cli/words.go
// and wasm/errors.go take an input that is no image archive, or one cut
// short, from here; check's fixes take their words from here, and each
// problem carries its page words (Problem.Page) beside the command line's.

package check

import (
	"fmt"
	"regexp"
	"strings"
)

// Words are one message in the command line's words and in the page's.
type Words struct {
	CLI  string `json:"cli"`
	Page string `json:"page"`
}

// readers says what retar reads, after an input that is none of it.
const readers = "retar reads what docker save, podman save, skopeo copy, ctr export and buildx write (.tar, .tar.gz, .tar.zst), or an OCI or dir: layout directory"

// NotAnImageArchive says an input (name) is no image archive, and why: "it
// is not a tar file", "it is gzip-compressed, but what it holds is not a
// tar file"; the command line's why may add the core's detail.
func NotAnImageArchive(name, why, detail string) Words {
	w := Words{CLI: fmt.Sprintf("%s is not an image archive: %s. %s", name, why, readers),
		Page: fmt.Sprintf("%s is not an image archive: %s. %s.", name, why, readers)}
	if detail != "" {
		w.CLI = fmt.Sprintf("%s is not an image archive: %s (%s). %s", name, why, detail, readers)
	}
	return w
}

// nextForCutShort is what to do about an input that ends too soon.
const nextForCutShort = "the download or copy was probably incomplete: get it again, or check the disk it came from"

// CutShort says an input (name) ends before its last file does: on the
// command line, after the error that says where, "it was cut short: ...".
func CutShort(name string) Words {
	return Words{CLI: "it was cut short: " + nextForCutShort,
		Page: fmt.Sprintf("%s is cut short: it ends before its last file does. %s.", name, upper(nextForCutShort))}
}

func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// fixWords are each fix's words, by its advice (a variant after a colon):
// what it does on its own (title), after the problem in check (text),
// right after a conversion, of the options to convert with again (again),
// and on the page (page). %s in a rename's words is the file name.
var fixWords = map[string]struct{ title, text, again, page string }{
	"name": {"name the image", "give one with retar convert -t NAME", "give one with -t NAME",
		"fill in [[name:Name]] {where}"},
	"name:several": {"name the images, one at a time", "give each one with retar convert -t NAME SRC:@N, an image at a time", "give each one with -t NAME, converting SRC:@N an image at a time",
		"pick each image in [[pick:Image]] and fill in [[name:Name]] {where}, one at a time"},
	"full-name": {"give the image a full name", "give a full name with retar convert -t NAME", "give a full name with -t NAME",
		"fill in a full name in [[name:Name]] {where}"},
	"full-name:several": {"give the images full names, one at a time", "give each a full name with retar convert -t NAME SRC:@N, an image at a time", "give each a full name with -t NAME, converting SRC:@N an image at a time",
		"pick each image in [[pick:Image]] and fill in a full name in [[name:Name]] {where}, one at a time"},
	"manifest-json": {"write docker's manifest.json beside the OCI index", "retar convert it to an oci-archive, which carries one", "an oci-archive without --oci-strict carries one",
		"convert it to an oci-archive here, which carries one"},
	"archive-docker-archive": {"write it as a docker-archive", "tar it, or retar convert it to a docker-archive", "convert it to a docker-archive",
		"convert it to a docker-archive here"},
	"archive-docker-archive:named": {"write it as a docker-archive, with a name", "retar convert it to a docker-archive, giving it a name with -t NAME", "convert it to a docker-archive, giving it a name with -t NAME",
		"convert it to a docker-archive here, filling in [[name:Name]] {where}"},
	"archive-oci-archive": {"write it as an oci-archive", "tar it, or retar convert it to an oci-archive", "convert it to an oci-archive",
		"convert it to an oci-archive here"},
	"archive-oci-archive:named": {"write it as an oci-archive, with a name", "retar convert it to an oci-archive, giving it a name with -t NAME", "convert it to an oci-archive, giving it a name with -t NAME",
		"convert it to an oci-archive here, filling in [[name:Name]] {where}"},
	"rebuild": {"rebuild the image as docker save writes it today", "retar convert rebuilds the image", "a conversion rebuilds the image",
		"converting it here rebuilds the image"},
	"decompress": {"write it as a plain tar", "decompress it, or retar convert it", "name DST without .gz or .zst",
		"decompress it, or convert it here (the result is a plain tar)"},
	"gzip-layers": {"re-encode the zstd layers to gzip (the image ID stays)", "retar convert --compress gzip re-encodes them to gzip (the image ID stays)", "--compress gzip re-encodes them (the image ID stays)",
		"converting it here with gzip in [[compress:Layer compression]] re-encodes them (the image ID stays)"},
	"rename": {"copy it under a name k3s picks up", "copy it as %s", "copy it as %s",
		"copy it as %s"},
	"leave-absent": {"leave out the index entries without their manifests", "retar convert leaves them out", "a conversion without --keep-absent leaves them out",
		"converting it here leaves them out"},
	"unname-referrers": {"write signatures and attestations unnamed, as referrers", "retar convert writes them unnamed, as referrers (--attestations strip leaves them out)", "--attestations strip leaves them out",
		"converting it here writes them unnamed, as referrers"},
	"image-alone": {"write the image alone, as a docker-archive", "a docker-archive of it (retar convert) holds the image alone", "a docker-archive holds the image alone",
		"a docker-archive of it made here holds the image alone"},
	"media-types": {"write each layer under its right media type", "retar convert writes the right media type", "a conversion writes the right media type",
		"converting it here writes the right media type"},
	"oci-family": {"write the manifest as OCI", "retar convert writes it as OCI", "--format oci writes it as OCI",
		"converting it here writes it as OCI"},
	"full-names": {"write full names", "retar convert writes full names (docker.io/library/...)", "a conversion writes full names",
		"converting it here writes full names (docker.io/library/...)"},
	"oci-archive": {"write an oci-archive with docker's manifest.json", "retar convert it to an oci-archive", "an oci-archive without --oci-strict lists them in manifest.json",
		"convert it to an oci-archive here"},
}

// worded gives a fix the words of its advice (variant: "" or after a
// colon; args for a rename's file name).
func (x *Fix) worded(variant string, args ...any) *Fix {
	key := x.Advice
	if variant != "" {
		key += ":" + variant
	}
	w, ok := fixWords[key]
	if !ok {
		panic("check: no words for the fix " + key)
	}
	say := func(s string) string {
		if len(args) > 0 && strings.Contains(s, "%") { // a title names no file
			return fmt.Sprintf(s, args...)
		}
		return s
	}
	x.Title, x.Text, x.Again, x.Page = say(w.title), say(w.text), say(w.again), say(w.page)
	return x
}

// pageRules say what a problem's text says of a loader's own options (ctr's
// --all-platforms) and of retar's picks (:@N) in the page's words: the page
// shows no flag.
var pageRules = []struct {
	re *regexp.Regexp
	to string
}{
	{regexp.MustCompile(`^--all-platforms fails on 2\.0`), "importing every platform (ctr's all-platforms option) fails on 2.0"},
	{regexp.MustCompile(`([:,;]) --all-platforms fails`), "$1 importing every platform fails"},
	{regexp.MustCompile(`imports with --all-platforms`), "imports every platform"},
	{regexp.MustCompile(`picked with :@N or :NAME`), "picked by its number or its name"},
}

// pageText is a problem's text in the page's words.
func pageText(s string) string {
	for _, r := range pageRules {
		s = r.re.ReplaceAllString(s, r.to)
	}
	return s
}

// pageWords is a problem and its fix in the page's words.
func (p Problem) pageWords() string {
	s := pageText(p.Text)
	if p.Fix != nil && p.Fix.Page != "" {
		s += "; " + p.Fix.Page
	}
	return s
}
