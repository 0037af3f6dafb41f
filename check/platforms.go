// The host platform and the others: which manifests a loader takes, what
// it says of an archive with nothing for the host, and what ctr's
// --all-platforms does with it.

package check

import (
	"fmt"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/retar-dev/retar/convert"
)

// matches says whether a loader unpacks platform p: the host's, or every
// one (all: ctr --all-platforms, kind).
func (f facts) matches(p *ocispec.Platform, all bool) bool {
	return all || p == nil || convert.MatchPlatform(p, f.host)
}

// onHost keeps the platforms (as convert.PlatformString writes them, with
// what may follow: a variant, ", an attestation") that are the host's.
func (f facts) onHost(platforms []string) []string {
	host := convert.PlatformString(&f.host)
	var out []string
	for _, p := range platforms {
		if p == host || strings.HasPrefix(p, host+"/") || strings.HasPrefix(p, host+",") {
			out = append(out, p)
		}
	}
	return out
}

// hostNote: an image with nothing for the host platform loads, and does
// not run.
func hostNote(v *Verdict, f facts) {
	if len(f.noHost) > 0 && v.Loads {
		v.note(Problem{Fact: FactNoHost, Text: "no image for the host platform (" + strings.Join(f.noHost, "; ") + "): it loads but does not run here"})
	}
}

// ctrAllPlatforms says what ctr's --all-platforms does with the archive
// (docker's containerd store, which goes through ctr's rules, has no such
// flag).
func ctrAllPlatforms(f facts, v *Verdict) {
	switch v.Consumer {
	case "ctr-2.0":
		v.note(Problem{Fact: FactLoaderOption, Text: "--all-platforms fails on 2.0 with " + quoteMsg(noUnpackPlatforms) + " (any archive): import without it, or with --local"})
	case "docker-containerd":
	default:
		if len(f.absent) > 0 {
			v.note(absentManifests(f, "a plain import works, --all-platforms fails with \"content digest ...: not found\"", ""))
		} else {
			v.Command += "   (--all-platforms keeps every platform)"
		}
	}
}

// forPlatforms: of an index of several platforms (none picked), containerd
// 2.0 imports the host's (its --all-platforms fails), kind every one.
func forPlatforms(s *adjusting) error {
	o := s.o
	host, all := s.needs[needHostPlatform], s.needs[needAllPlatforms]
	if !s.multi || len(o.Platforms) > 0 || o.AllPlatforms {
		return nil
	}
	switch {
	case len(host) > 0 && len(all) > 0:
		return fmt.Errorf("--for %s: no output suits both: %s imports one platform (its --all-platforms fails), %s imports every platform of the index", s.f.String(), strings.Join(host, ","), strings.Join(all, ","))
	case len(host) > 0 && s.hostIn:
		if err := o.Set("platform", convert.PlatformString(&o.Host)); err != nil {
			return err
		}
		s.note(host, "the host's platform (%s) taken from the index, so a plain import needs no --all-platforms", convert.PlatformString(&o.Host))
	case len(all) > 0 && s.preview().OneManifest():
		if err := o.Set("all-platforms", "true"); err != nil {
			return err
		}
		s.note(all, "every platform present kept (it imports with --all-platforms)")
	}
	return nil
}
