package check

import "testing"

// TestLoaderTables: every table keyed by loader id names loaders that
// exist, and loaderNeeds and importerNaming name every loader they must (a
// loader missing from loaderNeeds would need nothing of an output; one on
// containerd's importer missing from importerNaming has no naming rules).
func TestLoaderTables(t *testing.T) {
	ids := map[string]bool{}
	for _, l := range loaders {
		ids[l.id] = true
	}
	known := func(table, id string) {
		if !ids[id] {
			t.Errorf("%s: %q is no loader", table, id)
		}
	}
	for id := range loaderNeeds {
		known("loaderNeeds", id)
	}
	for id := range archiveCompression {
		known("archiveCompression", id)
	}
	for id := range importerNaming {
		known("importerNaming", id)
	}
	for g, members := range groups {
		for _, id := range members {
			known("groups["+g+"]", id)
		}
	}
	for a, id := range aliases {
		known("aliases["+a+"]", id)
	}
	for id := range ids {
		if _, ok := loaderNeeds[id]; !ok {
			t.Errorf("loaderNeeds: no entry for %q", id)
		}
	}
	for _, id := range []string{"docker-containerd", "ctr-1.6", "ctr-2.0", "ctr-2.1", "ctr-2.3", "ctr-2.4", "kind", "k3s", "nerdctl"} {
		if _, ok := importerNaming[id]; !ok {
			t.Errorf("importerNaming: no entry for %q, whose verdict asks containerdNames", id)
		}
	}
}
