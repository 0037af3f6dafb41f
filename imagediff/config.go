package imagediff

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/retar-dev/retar/convert"
)

// configFields compares two image configs field by field: env and labels
// key by key, history entry by entry, the rest as values.
func configFields(a, b *convert.Config) []FieldChange {
	var out []FieldChange
	add := func(field string, old, new any) {
		out = append(out, FieldChange{Field: field, Old: old, New: new})
	}
	scalar := func(field, old, new string) {
		if old != new {
			add(field, orNil(old), orNil(new))
		}
	}
	scalar("created", timeString(a.Created), timeString(b.Created))
	scalar("author", a.Author, b.Author)
	scalar("architecture", a.Architecture, b.Architecture)
	scalar("os", a.OS, b.OS)
	scalar("variant", a.Variant, b.Variant)
	scalar("os.version", a.OSVersion, b.OSVersion)
	ca, cb := a.Config, b.Config
	scalar("user", ca.User, cb.User)
	scalar("workdir", ca.WorkingDir, cb.WorkingDir)
	scalar("stopsignal", ca.StopSignal, cb.StopSignal)
	if !slices.Equal(ca.Entrypoint, cb.Entrypoint) {
		add("entrypoint", listOrNil(ca.Entrypoint), listOrNil(cb.Entrypoint))
	}
	if !slices.Equal(ca.Cmd, cb.Cmd) {
		add("cmd", listOrNil(ca.Cmd), listOrNil(cb.Cmd))
	}
	out = append(out, keyed("env", envMap(ca.Env), envMap(cb.Env))...)
	out = append(out, keyed("labels", ca.Labels, cb.Labels)...)
	out = append(out, keyed("exposedPorts", setMap(ca.ExposedPorts), setMap(cb.ExposedPorts))...)
	out = append(out, keyed("volumes", setMap(ca.Volumes), setMap(cb.Volumes))...)
	out = append(out, history(a, b)...)
	scalar("docker_version", a.DockerVersion, b.DockerVersion)
	return out
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func listOrNil(s []string) any {
	if s == nil {
		return nil
	}
	return s
}

func timeString(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// keyed compares two maps key by key, in key order.
func keyed(field string, a, b map[string]string) []FieldChange {
	keys := slices.Sorted(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []FieldChange
	for _, k := range keys {
		va, inA := a[k]
		vb, inB := b[k]
		if inA && inB && va == vb {
			continue
		}
		fc := FieldChange{Field: field, Key: k}
		if inA {
			fc.Old = va
		}
		if inB {
			fc.New = vb
		}
		out = append(out, fc)
	}
	return out
}

// envMap keys an environment by variable name; a later value of a name
// wins, as it does in a container.
func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

func setMap(s map[string]struct{}) map[string]string {
	m := map[string]string{}
	for k := range s {
		m[k] = "yes"
	}
	return m
}

// history compares history entries by position: an entry is what created
// it, and whether it made a layer.
func history(a, b *convert.Config) []FieldChange {
	var out []FieldChange
	ha, hb := a.History, b.History
	for i := range max(len(ha), len(hb)) {
		var old, new any
		if i < len(ha) {
			old = historyLine(ha[i].CreatedBy, ha[i].EmptyLayer, ha[i].Comment)
		}
		if i < len(hb) {
			new = historyLine(hb[i].CreatedBy, hb[i].EmptyLayer, hb[i].Comment)
		}
		if old != new {
			out = append(out, FieldChange{Field: "history", Key: fmt.Sprint(i), Old: old, New: new})
		}
	}
	return out
}

func historyLine(createdBy string, empty bool, comment string) string {
	s := strings.Join(strings.Fields(createdBy), " ")
	if comment != "" {
		s += " (" + comment + ")"
	}
	if empty {
		s += " [no layer]"
	}
	if s == "" {
		s = "(no created_by)"
	}
	return s
}
