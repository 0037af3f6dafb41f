//go:build unix

package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bashComplete sources `retar completion bash` in bash and completes line
// as bash would on a Tab: the line split into words at spaces, colons and
// equals signs (COMP_WORDBREAKS), the script's function called, COMPREPLY
// printed. bash-completion is used where it is installed; otherwise the
// one function of it the script needs is stood in for.
func bashComplete(t *testing.T, dir, line string) []string {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	bin := retarBinary(t)
	script := filepath.Join(t.TempDir(), "retar.bash")
	out, err := exec.Command(bin, "completion", "bash").Output()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(script, out, 0o644))
	driver := `
if [[ -r /usr/share/bash-completion/bash_completion ]]; then
	source /usr/share/bash-completion/bash_completion
else
	_get_comp_words_by_ref() {
		local line=${COMP_LINE:0:COMP_POINT}
		read -ra words <<<"$line"
		[[ $line == *" " ]] && words+=("")
		cword=$((${#words[@]} - 1)); cur=${words[cword]}; prev=${words[cword-1]}
	}
fi
compopt() { :; }
source "$1"
COMP_LINE=$2; COMP_POINT=${#COMP_LINE}
COMP_WORDS=(); w=""
for ((i = 0; i < ${#COMP_LINE}; i++)); do
	c=${COMP_LINE:i:1}
	if [[ $c == " " ]]; then [[ -n $w ]] && COMP_WORDS+=("$w"); w=""
	elif [[ $c == ":" || $c == "=" ]]; then [[ -n $w ]] && COMP_WORDS+=("$w"); COMP_WORDS+=("$c"); w=""
	else w+=$c; fi
done
COMP_WORDS+=("$w"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
complete -p retar >/dev/null || { echo "retar has no completion" >&2; exit 1; }
__start_retar
printf '%s\n' "${COMPREPLY[@]}"
`
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", driver, "driver", script, bin+" "+line)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	got, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	var words []string
	for _, w := range strings.Split(strings.TrimSpace(string(got)), "\n") {
		if w != "" {
			words = append(words, w)
		}
	}
	return words
}

// The bash script loads and completes a transport, and a path after one
// (bash replaces the word after the colon, so that is what comes back).
func TestBashCompletion(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "image.tar"), nil, 0o644)
	os.Mkdir(filepath.Join(dir, "layout"), 0o755)
	assert.Equal(t, []string{"oci-archive:"}, bashComplete(t, dir, "convert oci-a"))
	assert.Equal(t, []string{"image.tar"}, bashComplete(t, dir, "convert docker-archive:im"))
	assert.Equal(t, []string{"layout/"}, bashComplete(t, dir, "convert image.tar dir:l"))
	assert.Equal(t, []string{"convert"}, bashComplete(t, dir, "conv"))
	assert.Equal(t, []string{"--all-platforms"}, bashComplete(t, dir, "convert --all-p"))
}
