// The loaders check judges, in the order retar check prints them, and the
// names --for takes for them: ids, groups and aliases.

package check

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/retar-dev/retar/convert"
)

// A loader is one verdict: its id, title, where its rules come from (the
// loader measured by make interop, "" for its code) and its rules.
type loader struct {
	id, title, measured string
	rules               func(f facts, v Verdict) Verdict
}

// loaders are the verdicts, in the order retar check prints them.
var loaders = []loader{
	{"docker-24", "docker ≤ 24", "docker 20.10.24 (Debian 12), make interop", func(f facts, v Verdict) Verdict { return dockerClassic(f, v, 20) }},
	{"docker-25", "docker 25–28 (classic image store)", "", func(f facts, v Verdict) Verdict { return dockerClassic(f, v, 25) }},
	{"docker-29-classic", "docker 29+ (classic image store, kept on upgraded hosts)", "docker 29.8.1, make interop", func(f facts, v Verdict) Verdict { return dockerClassic(f, v, 29) }},
	{"docker-containerd", "docker 25–28 with the containerd image store", "", dockerContainerd},
	{"docker-29-containerd", "docker 29+ (containerd image store, the default)", "docker 29.8.1, make interop", docker29Containerd},
	{"ctr-1.6", "containerd 1.6/1.7: ctr images import", "containerd 1.6.20, make interop", ctr},
	{"ctr-2.0", "containerd 2.0: ctr images import", "containerd 2.0.0, make interop", ctr},
	{"ctr-2.1", "containerd 2.1/2.2: ctr images import", "containerd 2.1.4 (a few archives), make interop", ctr},
	{"ctr-2.3", "containerd 2.3: ctr images import", "containerd 2.3.7, make interop", ctr},
	{"ctr-2.4", "containerd 2.4: ctr images import", "containerd 2.4.2, make interop", ctr},
	{"kind", "kind load image-archive", "kind v0.33.0's import on containerd 2.3.4, make interop", kind},
	{"k3s", "k3s/rke2 air-gap import (agent/images)", "k3s's import (interop/k3s) on containerd 2.3.4, make interop", k3s},
	{"nerdctl", "nerdctl load", "", nerdctl},
	{"podman", "podman load", "podman 4.3.1, make interop", podman},
	{"skopeo", "skopeo copy", "", skopeo},
}

// groupOrder is the order --help and completion list the groups in.
var groupOrder = []string{"docker", "containerd", "ctr"}

// groups are the names --for takes for several loaders at once.
var groups = map[string][]string{
	"docker":     {"docker-24", "docker-25", "docker-29-classic", "docker-containerd", "docker-29-containerd"},
	"containerd": {"ctr-1.6", "ctr-2.0", "ctr-2.1", "ctr-2.3", "ctr-2.4", "kind", "k3s", "nerdctl"},
	"ctr":        {"ctr-1.6", "ctr-2.0", "ctr-2.1", "ctr-2.3", "ctr-2.4"},
}

// aliases are other names of one loader, as users call them.
var aliases = map[string]string{
	"docker-20": "docker-24",
	"docker-28": "docker-25", "docker-29": "docker-29-containerd",
	"ctr-1.7": "ctr-1.6", "ctr-2.2": "ctr-2.1",
	"containerd-1.6": "ctr-1.6", "containerd-1.7": "ctr-1.6", "containerd-2.0": "ctr-2.0",
	"containerd-2.1": "ctr-2.1", "containerd-2.2": "ctr-2.1", "containerd-2.3": "ctr-2.3", "containerd-2.4": "ctr-2.4",
	"rke2": "k3s",
}

// expand is the ids a --for name stands for: a group's, an alias's, an id.
func expand(name string) ([]string, error) {
	if ids, ok := groups[name]; ok {
		return ids, nil
	}
	if id, ok := aliases[name]; ok {
		return []string{id}, nil
	}
	for _, l := range loaders {
		if l.id == name {
			return []string{name}, nil
		}
	}
	return nil, fmt.Errorf("unknown loader %q: want one of %s%.0w", name, loaderNames(), convert.ErrUsage)
}

func loaderNames() string { return strings.Join(LoaderIDs(), ", ") }

// LoaderIDs are the ids --for takes, groups first, for completion.
func LoaderIDs() []string {
	ids := slices.Clone(groupOrder)
	for _, l := range loaders {
		ids = append(ids, l.id)
	}
	return ids
}

// IDs lists the ids --for takes, one loader a line with its title and
// basis, then the groups and aliases, for --help.
func IDs() string {
	var b strings.Builder
	for _, l := range loaders {
		basis := "not measured: from its code"
		if l.measured != "" {
			basis = "measured"
		}
		fmt.Fprintf(&b, "  %-21s %s (%s)\n", l.id, l.title, basis)
	}
	for _, g := range groupOrder {
		fmt.Fprintf(&b, "  %-21s %s\n", g, strings.Join(groups[g], ", "))
	}
	var as []string
	for a, id := range aliases {
		as = append(as, a+"="+id)
	}
	sort.Strings(as)
	fmt.Fprintf(&b, "  also: %s\n", strings.Join(as, ", "))
	return b.String()
}
