package cli

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
)

// volumeSizeUnits are the units --volume-size takes: K, M, G, T and KiB,
// MiB, GiB, TiB are powers of 1024, as --max-expanded's and as ls -h and
// df -h count; KB, MB, GB, TB are powers of 1000, as media are labelled
// (a "4.7GB" DVD holds 4.7 GB). Longest first, so MiB is not read as M.
var volumeSizeUnits = []struct {
	suffix string
	mult   float64
}{
	{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"TIB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40},
	{"B", 1},
}

// volumeSizeRule is what --volume-size's help and errors say of sizes.
const volumeSizeRule = "K, M, G, T (and KiB, MiB, GiB, TiB) are powers of 1024, KB, MB, GB, TB powers of 1000; no unit is bytes"

// parseVolumeSize reads a volume size: 700M, 4G, 100MiB, 4.7GB, 1048576.
func parseVolumeSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := 1.0
	for _, u := range volumeSizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	n := math.Floor(f * mult)
	if err != nil || math.IsNaN(f) || n < 1 || n > 1<<62 {
		return 0, usagef("--volume-size %q: want a size such as 700M, 4G, 100MiB or 4.7GB (%s)", s, volumeSizeRule)
	}
	return int64(n), nil
}

// volumeSizeValue is --volume-size as a flag.
type volumeSizeValue struct{ n *int64 }

func (v volumeSizeValue) Set(s string) error {
	n, err := parseVolumeSize(s)
	if err != nil {
		return err
	}
	*v.n = n
	return nil
}

func (v volumeSizeValue) String() string { return "" } // no default: without it, one archive
func (v volumeSizeValue) Type() string   { return "SIZE" }

// volumePath names volume i (from 1) of n of the archive dst: the number
// goes before .tar, which every volume's name ends with (k3s picks up
// agent/images files by that suffix), three digits at least, so that ls and
// a shell's glob list the volumes in their order: bundle.tar becomes
// bundle.001.tar, bundle.002.tar, ...; a DST not named .tar gets .tar after
// the number (bundle becomes bundle.001.tar).
func volumePath(dst string, i, n int) string {
	width := max(3, len(strconv.Itoa(n)))
	dir, base := filepath.Split(dst)
	base = strings.TrimSuffix(base, ".tar")
	return dir + fmt.Sprintf("%s.%0*d.tar", base, width, i)
}
