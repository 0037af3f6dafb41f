package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/convert"
)

// optionFlags binds convert's flags to the core's one parser of options:
// each flag's text goes to convert.Options.Set, as the browser's options do.
func optionFlags(cmd *cobra.Command, o *convert.Options) {
	fs := cmd.Flags()
	fs.VarP(optionValue(o, "tag", "stringArray"), "tag", "t", "add a name (repeatable)")
	fs.Var(optionValue(o, "tag", "stringArray"), "additional-tag", "alias of --tag")
	fs.Var(optionValue(o, "platform", "stringArray"), "platform", "take os/arch[/variant] from a multi-platform image (repeatable)")
	boolOption(fs, o, "oci-strict", "oci-archive: leave out the docker manifest.json that lets docker load it")
	boolOption(fs, o, "all-platforms", "keep every platform of a multi-platform image (docker-archive, dir)")
	boolOption(fs, o, "keep-absent", "keep index entries whose manifests the source lacks (default: leave them out, with a notice)")
	fs.Var(optionValue(o, "format", "string"), "format", "manifest format of the output: oci or v2s2 (default: keep the source's)")
	fs.Var(optionValue(o, "attestations", "string"), "attestations", "attestations, signatures and SBOMs: keep, strip, referrers (BuildKit's attestation manifests become OCI 1.1 referrers) or docker (in-toto referrers go back into the index) (default: keep)")
	fs.Var(optionValue(o, "compress", "string"), "compress", "layer compression: keep, gzip, zstd or none (default: keep, but zstd becomes gzip in a docker-archive; keep says keep it)")
	fs.Var(optionValue(o, "compress-level", "int"), "compress-level", "compression level (gzip 1-9, zstd 1-22; default: the encoder's)")
	limitFlags(cmd, o)
	cmd.RegisterFlagCompletionFunc("format", fixedValues("oci", "v2s2"))                                //nolint:errcheck
	cmd.RegisterFlagCompletionFunc("compress", fixedValues("keep", "gzip", "zstd", "none"))             //nolint:errcheck
	cmd.RegisterFlagCompletionFunc("attestations", fixedValues("keep", "strip", "referrers", "docker")) //nolint:errcheck
	cmd.RegisterFlagCompletionFunc("compress-level", noValues)                                          //nolint:errcheck
	for _, name := range []string{"tag", "additional-tag"} {
		cmd.RegisterFlagCompletionFunc(name, noValues) //nolint:errcheck
	}
	cmd.RegisterFlagCompletionFunc("platform", completePlatforms) //nolint:errcheck
}

// limitFlags are the expansion limits, for every command that reads a source.
func limitFlags(cmd *cobra.Command, o *convert.Options) {
	fs := cmd.Flags()
	fs.Var(optionValue(o, "max-expansion", "RATIO"), "max-expansion", fmt.Sprintf("refuse a compressed archive or layer that expands past RATIO times its size, once past %d GiB (default %d; 0: no limit)",
		convert.ExpansionFloor>>30, convert.DefaultLimits.MaxExpansion))
	fs.Var(optionValue(o, "max-expanded", "SIZE"), "max-expanded", fmt.Sprintf("refuse a compressed archive or layer that expands past SIZE (default %dGiB; 0: no limit)",
		convert.DefaultLimits.MaxExpanded>>30))
	cmd.RegisterFlagCompletionFunc("max-expansion", noValues) //nolint:errcheck
	cmd.RegisterFlagCompletionFunc("max-expanded", noValues)  //nolint:errcheck
}

// option is a flag whose text goes to convert.Options.Set under its name.
type option struct {
	o          *convert.Options
	name, kind string
	last       string
}

func optionValue(o *convert.Options, name, kind string) *option {
	return &option{o: o, name: name, kind: kind}
}

func (v *option) Set(s string) error {
	v.last = s
	return v.o.Set(v.name, s)
}
func (v *option) String() string { return "" } // no default shown: the usage says it
func (v *option) Type() string   { return v.kind }

// boolOption is a switch (--oci-strict, --oci-strict=false) set by name.
func boolOption(fs *pflag.FlagSet, o *convert.Options, name, usage string) {
	fs.Var(optionValue(o, name, "bool"), name, usage)
	fs.Lookup(name).NoOptDefVal = "true"
	fs.Lookup(name).DefValue = "false"
}

// loadersValue is --for as a flag: check.For parses the list.
type loadersValue struct{ *check.For }

func (loadersValue) Type() string { return "LOADERS" }
