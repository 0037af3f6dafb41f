package cli

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version and commit are stamped by release builds (make dist:
// -ldflags "-X github.com/retar-dev/retar/cli.version=... -X ...cli.commit=...");
// otherwise they come from the build info: the module version `go install
// ...@VERSION` records, and the VCS commit of a build in a checkout.
var version, commit string

// versionInfo is what retar version prints.
type versionInfo struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Time     string `json:"commitTime,omitempty"`
	Modified bool   `json:"modified,omitempty"` // built from a tree with uncommitted changes
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// buildVersion reads the stamped values, then the build info.
func buildVersion() versionInfo {
	v := versionInfo{Version: version, Commit: commit, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if v.Commit == "" {
					v.Commit = s.Value
				}
			case "vcs.time":
				v.Time = s.Value
			case "vcs.modified":
				v.Modified = v.Modified || s.Value == "true"
			}
		}
	}
	if v.Version == "" {
		v.Version = "devel"
	}
	v.Modified = v.Modified || strings.HasSuffix(v.Version, "-dirty") || strings.HasSuffix(v.Version, "+dirty")
	return v
}

func (e *env) versionCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print retar's version, commit and Go version",
		Long: `Print the version retar was built as (a release's tag, or the module version
go install recorded), the commit it was built from, and the Go version.`,
		Example: "  retar version\n  retar version --json",
		Args:    arguments(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := buildVersion()
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			}
			fmt.Fprintf(e.stdout, "retar %s\n", v.Version)
			if v.Commit != "" {
				mod := ""
				if v.Modified {
					mod = " (modified)"
				}
				fmt.Fprintf(e.stdout, "commit: %s%s\n", v.Commit, mod)
			}
			fmt.Fprintf(e.stdout, "go: %s %s\n", v.Go, v.Platform)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print it as JSON")
	return cmd
}
