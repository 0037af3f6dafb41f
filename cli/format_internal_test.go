package cli

import (
	"bytes"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Numbers reach the template as integers where whole, so that sizes past a
// million print as the JSON has them, not as 1.2345678e+07, and compare
// with the template's integers.
func TestTemplateNumbers(t *testing.T) {
	var o formatOutput
	cmd := &cobra.Command{Use: "x"}
	formatFlag(cmd, &o)
	require.NoError(t, cmd.Flags().Set("format", `{{.size}} {{.ratio}} {{index .list 0}} {{if gt .size 1000}}big{{end}} {{json .}}`))
	require.NoError(t, o.parse(cmd))
	var out bytes.Buffer
	require.NoError(t, o.write(&out, map[string]any{"size": int64(12345678), "ratio": 0.5, "list": []int64{1 << 40}, "html": "<&>"}, ""))
	assert.Equal(t, `12345678 0.5 1099511627776 big {"html":"<&>","list":[1099511627776],"ratio":0.5,"size":12345678}`+"\n", out.String())
}
