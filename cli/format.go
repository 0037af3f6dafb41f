package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/template"

	"github.com/spf13/cobra"
)

// formatHelp is what --format takes, in the help of each command that has it.
const formatHelp = `--format TEMPLATE prints the command's JSON (what --json prints; inspect's
own output) through a Go template (text/template, as docker and skopeo take
one). Its data is the JSON decoded: keys are spelled as in the JSON, case
and all, and numbers are numbers. A key the JSON lacks is an error; keys the
JSON leaves out when empty are read with index, which gives nothing for an
absent key: {{with index . "commit"}}{{.}}{{end}}. Besides text/template's
functions: json (a value as compact JSON), join LIST SEP, split STRING SEP,
upper, lower. A newline ends the output unless the template ends with one.
--format json prints the JSON itself. A template that does not parse or
names a key the JSON lacks, and --format with --json, --raw or --config,
are usage errors (exit 2; nothing is printed).
`

// formatOutput is --format: the template a command's JSON goes through.
type formatOutput struct {
	text string             // as typed; "" when not given
	tmpl *template.Template // parsed; nil for "json"
	cmd  string             // the command's name, for the errors
}

// formatFlag adds --format to cmd.
func formatFlag(cmd *cobra.Command, o *formatOutput) {
	cmd.Flags().StringVar(&o.text, "format", "", "print the JSON through a Go template: keys as in the JSON (json: the JSON)")
	cmd.RegisterFlagCompletionFunc("format", fixedValues("json")) //nolint:errcheck
}

// set says whether --format was given: the command prints its JSON
// document, not its text.
func (o *formatOutput) set() bool { return o.text != "" }

// parse reads the template before the command opens anything, so that a bad
// one is a usage error that costs nothing. --format and the flags that
// choose another output (--json, inspect's --raw and --config) exclude each
// other: the template's data is the JSON, so both at once say nothing more.
func (o *formatOutput) parse(cmd *cobra.Command) error {
	if !o.set() {
		return nil
	}
	o.cmd = cmd.Name()
	for _, other := range []string{"json", "raw", "config"} {
		if f := cmd.Flags().Lookup(other); f != nil && f.Changed {
			return usagef("--format and --%s: use one (--format's data is the JSON the command prints) (retar %s --help)", other, cmd.Name())
		}
	}
	if o.text == "json" {
		return nil
	}
	t, err := template.New("--format").Option("missingkey=error").Funcs(templateFuncs).Parse(o.text)
	if err != nil {
		return usagef("%s (retar %s --help)", templateError(err), cmd.Name())
	}
	o.tmpl = t
	return nil
}

// write prints v: through the template, or as JSON indented by indent.
func (o *formatOutput) write(w io.Writer, v any, indent string) error {
	if o.tmpl == nil {
		enc := json.NewEncoder(w)
		enc.SetIndent("", indent)
		return enc.Encode(v)
	}
	data, err := templateData(v)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := o.tmpl.Execute(&out, data); err != nil {
		return usagef("%s (keys as in the JSON: retar %s --help)", templateError(err), o.cmd)
	}
	if !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
		out.WriteByte('\n')
	}
	_, err = w.Write(out.Bytes())
	return err
}

// templateError is text/template's error without its "template: " prefix:
// "--format:1: function "jsn" not defined".
func templateError(err error) string {
	return strings.TrimPrefix(err.Error(), "template: ")
}

// templateData is v as its JSON decodes: maps with the JSON's keys, lists,
// strings, booleans, and numbers as int64 (float64 where not whole), so that
// {{.Size}} prints 1234567 and not 1.234567e+06, and eq and lt compare them.
func templateData(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var data any
	if err := dec.Decode(&data); err != nil {
		return nil, err
	}
	return numbers(data), nil
}

// numbers turns the json.Numbers in a decoded value into int64 or float64.
func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	}
	return v
}

// templateFuncs are the functions a --format template has beside
// text/template's own, as docker's templates have them.
var templateFuncs = template.FuncMap{
	"json":  templateJSON,
	"join":  templateJoin,
	"split": strings.Split,
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
}

// templateJSON is a value as compact JSON; <, > and & left as they are.
func templateJSON(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// templateJoin joins a list's items (a JSON array, or split's strings) with
// sep; null, a list the JSON leaves empty, joins to "".
func templateJoin(list any, sep string) (string, error) {
	var items []string
	switch l := list.(type) {
	case nil:
	case []string:
		items = l
	case []any:
		for _, e := range l {
			if s, ok := e.(string); ok {
				items = append(items, s)
			} else {
				items = append(items, fmt.Sprint(e))
			}
		}
	default:
		return "", fmt.Errorf("join: %T is not a list", list)
	}
	return strings.Join(items, sep), nil
}
