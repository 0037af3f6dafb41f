//go:build js && wasm

package main

import (
	"errors"
	"fmt"
	"strings"
	"syscall/js"

	"github.com/retar-dev/retar/convert"
)

// The page's options object, read as the CLI reads its flags: through
// convert.Options.Set, with the same limits and the same refusals.

// stringArray reads a JS array of strings, trimmed, empty ones dropped.
func stringArray(v js.Value) []string {
	var out []string
	if v.Type() != js.TypeObject {
		return nil
	}
	for i := range v.Length() {
		if s := strings.TrimSpace(v.Index(i).String()); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func str(opts js.Value, key string) string {
	if opts.Type() != js.TypeObject {
		return ""
	}
	if v := opts.Get(key); v.Type() == js.TypeString {
		return v.String()
	}
	return ""
}

// jsOptions maps the JS API's option keys to the option names the core's
// one parser takes (the CLI's flags), so the page accepts and refuses what
// the command line does.
var jsOptions = [][2]string{
	{"to", "to"}, {"name", "name"}, {"tags", "tag"}, {"platforms", "platform"}, {"allPlatforms", "all-platforms"},
	{"ociStrict", "oci-strict"}, {"keepAbsent", "keep-absent"}, {"format", "format"}, {"attestations", "attestations"}, {"compress", "compress"},
	{"compressLevel", "compress-level"}, {"maxExpansion", "max-expansion"}, {"maxExpanded", "max-expanded"},
}

// optionsOf reads the JS options object through convert.Options.Set: a
// string, number or boolean per key, an array for tags and platforms; empty
// strings and null leave an option unset.
func optionsOf(opts js.Value) (convert.Options, error) {
	var o convert.Options
	if opts.Type() != js.TypeObject {
		return o, fmt.Errorf("no options: pass {to: ...}")
	}
	if err := setOptions(&o, opts, jsOptions); err != nil {
		return o, err
	}
	if o.To == "" {
		var names []string
		for _, l := range convert.Layouts() {
			names = append(names, string(l))
		}
		return o, fmt.Errorf("to: want one of %s", strings.Join(names, ", "))
	}
	o.Pick, o.Host = str(opts, "pick"), host(opts)
	if err := deltaOptions(&o, opts); err != nil {
		return o, err
	}
	if err := o.Validate(); err != nil {
		return o, nameAtFault(o, err)
	}
	return o, nil
}

// nameAtFault says which name Validate refused, and so which option holds
// it (name or tags): the one that, validated alone by the core's own rule
// for the layout, is refused with the same words.
func nameAtFault(o convert.Options, err error) error {
	for _, f := range []struct {
		key   string
		names []string
	}{{"name", o.Names}, {"tags", o.Tags}} {
		for _, s := range f.names {
			one := convert.Options{To: o.To, Names: []string{s}}
			if e := one.Validate(); e != nil && e.Error() == err.Error() {
				return badName(f.key, s, err)
			}
		}
	}
	return err
}

// optionAtFault finds, in what a conversion refused, the option the user
// would change: the platform, or the image picked (the Platform and Image
// fields of the page), and says so in the page's words.
func optionAtFault(err error, a *convert.Archive, o convert.Options, name string) error {
	if name == "" {
		name = "The source"
	}
	switch {
	case errors.Is(err, convert.ErrNoPlatform):
		want := convert.PlatformString(&o.Host) + " (the default)"
		if len(o.Platforms) > 0 {
			var ps []string
			for _, p := range o.Platforms {
				ps = append(ps, convert.PlatformString(&p))
			}
			want = strings.Join(ps, " or ")
		}
		return &fieldError{Field: "platforms", Err: err, Summary: fmt.Sprintf("%s has no image for %s: pick a platform it has in Platform.", name, want)}
	case errors.Is(err, convert.ErrNoSuchImage) || errors.Is(err, convert.ErrAmbiguous):
		return &fieldError{Field: "pick", Err: err, Summary: fmt.Sprintf("%s has no such image: pick one of its images in Image.", name)}
	case errors.Is(err, convert.ErrUsage) && o.Pick == "" && len(a.Images) > 1 && (convert.NewPreview(o, a.Layout).OneImage() || len(o.Names)+len(o.Tags) > 0):
		why := "a name given in Name or Extra names is for one image"
		if convert.NewPreview(o, a.Layout).OneImage() {
			why = "a " + string(o.To) + " layout holds one image"
		}
		return &fieldError{Field: "pick", Err: err, Summary: fmt.Sprintf("%s holds %d images, and %s: pick one in Image.", name, len(a.Images), why)}
	}
	return err
}

// limitOptions are the options of every call that decompresses: open,
// inspect and check take them as convert does.
var limitOptions = [][2]string{{"maxExpansion", "max-expansion"}, {"maxExpanded", "max-expanded"}}

// limitsOf reads maxExpansion and maxExpanded as optionsOf does; unset,
// they are the CLI's defaults (convert.DefaultLimits).
func limitsOf(opts js.Value) (convert.Limits, error) {
	var o convert.Options
	if opts.Type() != js.TypeObject {
		return o.Hashing.Limits, nil
	}
	err := setOptions(&o, opts, limitOptions)
	return o.Hashing.Limits, err
}

// setOptions sets the keys of opts named in keys through convert.Options.Set.
func setOptions(o *convert.Options, opts js.Value, keys [][2]string) error {
	for _, kv := range keys {
		key, name := kv[0], kv[1]
		v := opts.Get(key)
		var values []string
		switch v.Type() {
		case js.TypeString:
			values = []string{v.String()}
		case js.TypeBoolean:
			values = []string{fmt.Sprint(v.Bool())}
		case js.TypeNumber:
			values = []string{fmt.Sprint(v.Float())}
		case js.TypeObject:
			values = stringArray(v)
		}
		for _, s := range values {
			if strings.TrimSpace(s) == "" {
				continue
			}
			if err := o.Set(name, s); err != nil {
				return &fieldError{Field: key, Value: s, Err: fmt.Errorf("%s: %w", key, err)}
			}
		}
	}
	return nil
}
