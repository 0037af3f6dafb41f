// How text that comes from an archive is written into a message: at the
// ground, as errors and the model both print names they read.

package convert

import (
	"strconv"
	"unicode"
)

// printable quotes a name from an archive when it holds characters that
// would break an error's single line or reach a terminal as controls.
func printable(s string) string {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}
