package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/retar-dev/retar/convert"
)

// version and commit are stamped by release builds (make dist:
// -ldflags "-X github.com/retar-dev/retar/cli.version=... -X ...cli.commit=...");
// otherwise they come from the build info: the module version `go install
// ...@VERSION` records, and the VCS commit of a build in a checkout.
var version, commit string

// versionInfo is what retar version prints.
type versionInfo struct {
	SchemaVersion int `json:"schemaVersion"` // convert.JSONSchemaVersion

	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Time     string `json:"commitTime,omitempty"`
	Modified bool   `json:"modified,omitempty"` // built from a tree with uncommitted changes
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// buildVersion reads the stamped values, then the build info.
func buildVersion() versionInfo {
	v := versionInfo{SchemaVersion: convert.JSONSchemaVersion, Version: version, Commit: commit, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
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
	var format formatOutput
	cmd := &cobra.Command{
		Use:   "version [--json | --format TEMPLATE]",
		Short: "Print retar's version, commit and Go version",
		Long: `Print the version retar was built as (a release's tag, or the module version
go install recorded), the commit it was built from, and the Go version.
--json prints them as JSON (docs/schema/version.schema.json describes it).

` + formatHelp,
		Example: `  retar version
  retar version --json
  retar version --format '{{.version}}'
  retar version --format '{{.version}} {{with index . "commit"}}{{.}}{{end}}'`,
		Args: arguments(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := format.parse(cmd); err != nil {
				return err
			}
			v := buildVersion()
			if asJSON || format.set() {
				return format.write(e.stdout, v, "  ")
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
	formatFlag(cmd, &format)
	return cmd
}
