// Command genimage writes a docker-archive of generated layers for benchmarks:
// each layer is a tar of one file, half pseudo-random bytes (incompressible)
// and half repetitive text (compressible), so compression has real work.
//
// -layers N splits -size into N equal layers; -layers real sizes them as
// real images mostly are: a dozen small layers of 1 to 60 MiB and the rest
// in two big ones, so a measurement sees both kinds.
package main

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
)

// changed is the layer -change gives other bytes, or -1.
var changed int

func main() {
	size := flag.Int("size", 1024, "total size of the layers in MB")
	layers := flag.String("layers", "2", "number of equal layers, or real: small layers of 1-60 MiB and two big ones")
	out := flag.String("o", "bench.tar", "output docker-archive")
	flag.IntVar(&changed, "change", -1, "layer N (from 0) gets other bytes and the image is named bench:2: an update of the same image, for deltas")
	flag.Parse()
	sizes, err := layerSizes(int64(*size)<<20, *layers)
	if err == nil {
		err = write(*out, sizes)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "genimage:", err)
		os.Exit(1)
	}
}

// smallLayers are the small layers of -layers real, in MiB (259 in all),
// in the order images often have them: a base, then packages and code.
var smallLayers = []int64{25, 1, 8, 60, 2, 12, 42, 3, 18, 5, 50, 33}

// layerSizes splits total bytes into layers: n equal ones, or "real": the
// small layers (scaled down to half of total when total is under twice
// their sum), then two thirds and one third of the rest.
func layerSizes(total int64, layers string) ([]int64, error) {
	if layers != "real" {
		n, err := strconv.Atoi(layers)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-layers %q: want a number of layers, or real", layers)
		}
		sizes := make([]int64, n)
		for i := range sizes {
			sizes[i] = total / int64(n)
		}
		return sizes, nil
	}
	var small int64
	for _, s := range smallLayers {
		small += s << 20
	}
	scale := 1.0
	if 2*small > total {
		scale = float64(total) / float64(2*small)
	}
	var sizes []int64
	var used int64
	for _, s := range smallLayers {
		n := max(int64(float64(s<<20)*scale), 4096)
		sizes = append(sizes, n)
		used += n
	}
	rest := total - used
	return append(sizes, rest*2/3, rest-rest*2/3), nil
}

func write(out string, sizes []int64) error {
	dir, err := os.MkdirTemp("", "genimage-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	diffIDs, files, err := writeLayers(dir, sizes)
	if err != nil {
		return err
	}
	cfg, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"config": map[string]any{"Cmd": []string{"/data0"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	sum := sha256.Sum256(cfg)
	cfgName := hex.EncodeToString(sum[:]) + ".json"
	tag := "bench:1"
	if changed >= 0 {
		tag = "bench:2"
	}
	var layerNames []string
	for _, d := range diffIDs {
		layerNames = append(layerNames, strings.TrimPrefix(d, "sha256:")+".tar")
	}
	manifest, _ := json.Marshal([]map[string]any{{"Config": cfgName, "RepoTags": []string{tag}, "Layers": layerNames}})
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	add := func(name string, r io.Reader, size int64) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size}); err != nil {
			return err
		}
		_, err := io.Copy(tw, r)
		return err
	}
	if err := add("manifest.json", strings.NewReader(string(manifest)), int64(len(manifest))); err != nil {
		return err
	}
	if err := add(cfgName, strings.NewReader(string(cfg)), int64(len(cfg))); err != nil {
		return err
	}
	for i, p := range files {
		lf, err := os.Open(p)
		if err != nil {
			return err
		}
		fi, _ := lf.Stat()
		err = add(layerNames[i], lf, fi.Size())
		lf.Close()
		if err != nil {
			return err
		}
	}
	return tw.Close()
}

// writeLayers writes a layer tar of each size into dir (the changed one,
// with -change, from another seed) and returns their diff_ids and paths.
func writeLayers(dir string, sizes []int64) (diffIDs, files []string, err error) {
	for i, size := range sizes {
		p := fmt.Sprintf("%s/layer%d.tar", dir, i)
		seed := uint64(i)
		if i == changed {
			seed += 1 << 20
		}
		d, err := writeLayer(p, size, seed)
		if err != nil {
			return nil, nil, err
		}
		diffIDs = append(diffIDs, "sha256:"+d)
		files = append(files, p)
	}
	return diffIDs, files, nil
}

// writeLayer writes a layer tar of one file of size bytes and returns its sha256.
func writeLayer(path string, size int64, seed uint64) (string, error) {
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	tw := tar.NewWriter(io.MultiWriter(f, h))
	if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("data%d", seed), Mode: 0o644, Size: size}); err != nil {
		return "", err
	}
	rng := rand.New(rand.NewPCG(seed, 42))
	buf := make([]byte, 1<<20)
	text := []byte(strings.Repeat("retar benchmark line: the quick brown fox jumps over the lazy dog 0123456789\n", 1<<20/64+1))[:1<<20]
	for off, chunk := int64(0), 0; off < size; off, chunk = off+int64(len(buf)), chunk+1 {
		b := buf
		if chunk%2 == 0 {
			for i := 0; i+8 <= len(b); i += 8 {
				v := rng.Uint64()
				for j := range 8 {
					b[i+j] = byte(v >> (8 * j))
				}
			}
		} else {
			b = text
		}
		if rest := size - off; rest < int64(len(b)) {
			b = b[:rest]
		}
		if _, err := tw.Write(b); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
