// Who: loaders named in words, several at once ("docker 25–28 with the
// containerd store, containerd 1.6–2.4 and k3s"), for the lines and
// blocks that say one thing of several loaders.

package check

import (
	"slices"
	"strings"
)

// shortNames name each loader in a list.
var shortNames = map[string]string{
	"docker-24":            "docker ≤ 24",
	"docker-25":            "docker 25–28",
	"docker-29-classic":    "docker 29+ with the classic store",
	"docker-containerd":    "docker 25–28 with the containerd store",
	"docker-29-containerd": "docker 29+",
	"kind":                 "kind",
	"k3s":                  "k3s",
	"nerdctl":              "nerdctl",
	"podman":               "podman",
	"skopeo":               "skopeo",
}

// ctrVersions are ctr's loaders in order, with the first and last
// containerd version each stands for.
var ctrVersions = []struct{ id, first, last string }{
	{"ctr-1.6", "1.6", "1.7"}, {"ctr-2.0", "2.0", "2.0"}, {"ctr-2.1", "2.1", "2.2"}, {"ctr-2.3", "2.3", "2.3"}, {"ctr-2.4", "2.4", "2.4"},
}

// dockerSets name docker's loaders taken together, largest first.
var dockerSets = []struct {
	ids  []string
	name string
}{
	{[]string{"docker-24", "docker-25", "docker-29-classic", "docker-containerd", "docker-29-containerd"}, "docker"},
	{[]string{"docker-24", "docker-25", "docker-29-classic", "docker-29-containerd"}, "docker (but 25–28 with the containerd store)"},
	{[]string{"docker-24", "docker-25", "docker-containerd", "docker-29-containerd"}, "docker (but 29+ with the classic store)"},
	{[]string{"docker-25", "docker-29-classic", "docker-containerd", "docker-29-containerd"}, "docker 25+"},
	{[]string{"docker-24", "docker-25", "docker-29-classic", "docker-containerd"}, "docker (but 29+ with its default store)"},
	{[]string{"docker-24", "docker-25", "docker-29-classic"}, "docker's classic store"},
	{[]string{"docker-containerd", "docker-29-containerd"}, "docker's containerd store"},
	{[]string{"docker-24", "docker-25"}, "docker ≤ 28"},
	{[]string{"docker-25", "docker-containerd"}, "docker 25–28 in either store"},
	{[]string{"docker-29-classic", "docker-29-containerd"}, "docker 29+ in either store"},
}

// family is the family a loader's name is collapsed with: docker's,
// containerd's ctr, or the loader alone.
func family(id string) string {
	switch {
	case strings.HasPrefix(id, "docker-"):
		return "docker"
	case strings.HasPrefix(id, "ctr-"):
		return "ctr"
	}
	return id
}

// Who names the loaders ids in words, each family where its first
// loader stands in ids: docker's variants and ctr's versions collapsed
// ("docker's classic store", "containerd 1.6–2.4").
func Who(ids []string) string {
	var order []string
	byFamily := map[string][]string{}
	for _, id := range ids {
		fam := family(id)
		if _, ok := byFamily[fam]; !ok {
			order = append(order, fam)
		}
		if !slices.Contains(byFamily[fam], id) {
			byFamily[fam] = append(byFamily[fam], id)
		}
	}
	var parts []string
	for _, fam := range order {
		switch fam {
		case "docker":
			parts = append(parts, dockerWords(byFamily[fam])...)
		case "ctr":
			parts = append(parts, ctrWords(byFamily[fam]))
		default:
			parts = append(parts, shortName(fam))
		}
	}
	return And(parts)
}

// shortName is a loader's name in a list: its short name, or its title.
func shortName(id string) string {
	if n, ok := shortNames[id]; ok {
		return n
	}
	for _, l := range loaders {
		if l.id == id {
			return l.title
		}
	}
	return id
}

// dockerWords names docker's loaders: the largest set they make up,
// then each other one.
func dockerWords(ids []string) []string {
	rest := slices.Clone(ids)
	var out []string
	for _, s := range dockerSets {
		if len(rest) >= len(s.ids) && containsAll(rest, s.ids) {
			out = append(out, s.name)
			rest = slices.DeleteFunc(rest, func(id string) bool { return slices.Contains(s.ids, id) })
		}
	}
	for _, id := range rest {
		out = append(out, shortName(id))
	}
	return out
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// ctrWords names ctr's loaders by their containerd versions, runs of
// consecutive ones as a range: "containerd 1.6–2.0 and 2.4".
func ctrWords(ids []string) string {
	var runs []string
	for i := 0; i < len(ctrVersions); i++ {
		if !slices.Contains(ids, ctrVersions[i].id) {
			continue
		}
		j := i
		for j+1 < len(ctrVersions) && slices.Contains(ids, ctrVersions[j+1].id) {
			j++
		}
		switch first, last := ctrVersions[i], ctrVersions[j]; {
		case i < j:
			runs = append(runs, first.first+"–"+last.last)
		case first.first == first.last:
			runs = append(runs, first.first)
		default:
			runs = append(runs, first.first+"/"+first.last)
		}
		i = j
	}
	return "containerd " + And(runs)
}

// And joins words as a list is said: "a", "a and b", "a, b and c".
func And(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
