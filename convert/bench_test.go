package convert_test

// Benchmarks on a generated 200 MB layer (half pseudo-random bytes, half
// repeated text), and on four 50 MB layers, written once per process as
// docker-archives in a temporary directory and read back through os.File,
// as the CLI reads them. They run only with -bench:
//
//	go test -run='^$' -bench=. -benchtime=3x ./convert/

import (
	"archive/tar"
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/opencontainers/go-digest"
	"github.com/retar-dev/retar/convert"
)

const benchLayerData = 200 << 20 // bytes of file content in the layer

// benchInputs are the generated archives: one with the layer uncompressed,
// one with it gzip-compressed.
type benchInputs struct {
	dir        string
	plain, gz  string
	layerBytes int64 // the uncompressed layer tar
	err        error
}

var (
	benchOnce sync.Once
	benchIn   benchInputs

	layeredOnce sync.Once
	layeredIn   benchInputs // plain only: four layers
)

// TestMain removes the generated archives once every test and benchmark of
// the package has run; normal test runs generate nothing.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, in := range []benchInputs{benchIn, layeredIn} {
		if in.dir != "" {
			os.RemoveAll(in.dir)
		}
	}
	os.Exit(code)
}

func benchArchives(b *testing.B) benchInputs {
	b.Helper()
	benchOnce.Do(func() {
		start := time.Now()
		benchIn.dir, benchIn.err = os.MkdirTemp("", "retar-bench-*")
		if benchIn.err != nil {
			return
		}
		benchIn.plain = filepath.Join(benchIn.dir, "plain.tar")
		benchIn.gz = filepath.Join(benchIn.dir, "gzip.tar")
		benchIn.err = benchGenerate(&benchIn)
		if benchIn.err == nil {
			b.Logf("generated the 200 MB layer archives in %s (%.1fs)", benchIn.dir, time.Since(start).Seconds())
		}
	})
	if benchIn.err != nil {
		b.Fatalf("generate the benchmark archives: %v", benchIn.err)
	}
	return benchIn
}

// benchLayered is a docker-archive of four layers of 50 MB of file content
// each, generated once per process.
func benchLayered(b *testing.B) benchInputs {
	b.Helper()
	layeredOnce.Do(func() {
		layeredIn.dir, layeredIn.err = os.MkdirTemp("", "retar-bench-*")
		if layeredIn.err != nil {
			return
		}
		layeredIn.plain = filepath.Join(layeredIn.dir, "layers.tar")
		var layers []benchMember
		var diffIDs []digest.Digest
		for i := range 4 {
			l := benchMember{name: fmt.Sprintf("layer%d.tar", i), path: filepath.Join(layeredIn.dir, fmt.Sprintf("layer%d.tar", i))}
			d, err := benchWriteLayer(l.path, 50<<20, byte(i))
			if err != nil {
				layeredIn.err = err
				return
			}
			layers, diffIDs = append(layers, l), append(diffIDs, d)
		}
		layeredIn.err = benchArchive(layeredIn.plain, layers, benchConfig(diffIDs))
		for _, l := range layers {
			os.Remove(l.path)
		}
	})
	if layeredIn.err != nil {
		b.Fatalf("generate the benchmark archive: %v", layeredIn.err)
	}
	return layeredIn
}

// benchWriteLayer writes a layer tar of one file of size bytes to p, and
// returns its digest (its diff_id).
func benchWriteLayer(p string, size int64, seed byte) (digest.Digest, error) {
	lf, err := os.Create(p)
	if err != nil {
		return "", err
	}
	defer lf.Close()
	h := digest.SHA256.Digester()
	bw := bufio.NewWriterSize(io.MultiWriter(lf, h.Hash()), 1<<20)
	if err := benchLayer(bw, size, seed); err != nil {
		return "", err
	}
	if err := bw.Flush(); err != nil {
		return "", err
	}
	return h.Digest(), lf.Close()
}

// benchConfig is an image config with these diff_ids.
func benchConfig(diffIDs []digest.Digest) []byte {
	cfg, _ := json.Marshal(map[string]any{"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
		"config": map[string]any{"Env": []string{"PATH=/bin"}}, "rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs}})
	return cfg
}

// benchContent streams a layer's file: the first half pseudo-random (a
// fixed seed), the second half one line of text over and over.
type benchContent struct {
	rng  *rand.ChaCha8
	left int64
	half int64
	text []byte
	off  int
}

func (c *benchContent) Read(p []byte) (int, error) {
	if c.left == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), c.left)]
	if c.left > c.half {
		p = p[:min(int64(len(p)), c.left-c.half)]
		c.rng.Read(p)
	} else {
		for i := range p {
			p[i] = c.text[c.off]
			c.off = (c.off + 1) % len(c.text)
		}
	}
	c.left -= int64(len(p))
	return len(p), nil
}

// benchLayer writes a layer tar (one file of size bytes) to w.
func benchLayer(w io.Writer, size int64, seed byte) error {
	tw := tar.NewWriter(w)
	if err := tw.WriteHeader(&tar.Header{Name: "data/blob.bin", Mode: 0o644, Size: size, ModTime: time.Unix(1700000000, 0), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	src := &benchContent{rng: rand.NewChaCha8([32]byte{'r', 'e', 't', 'a', 'r', seed}), left: size, half: size / 2,
		text: []byte("retar benchmark layer: the same line of text, over and over again, compressible.\n")}
	if _, err := io.CopyBuffer(tw, src, make([]byte, 1<<20)); err != nil {
		return err
	}
	return tw.Close()
}

// benchGenerate writes the layer once to a file (hashing it for its
// diff_id), gzips it, and wraps each in a docker-archive.
func benchGenerate(in *benchInputs) error {
	layerPath := filepath.Join(in.dir, "layer.tar")
	gzPath := layerPath + ".gz"
	diffID, err := benchWriteLayer(layerPath, benchLayerData, 0)
	if err != nil {
		return err
	}
	gf, err := os.Create(gzPath)
	if err != nil {
		return err
	}
	lr, err := os.Open(layerPath)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(gf)
	if _, err := io.Copy(zw, lr); err != nil {
		return err
	}
	lr.Close()
	if err := zw.Close(); err != nil {
		return err
	}
	if err := gf.Close(); err != nil {
		return err
	}
	cfg := benchConfig([]digest.Digest{diffID})
	if err := benchArchive(in.plain, []benchMember{{"layer.tar", layerPath}}, cfg); err != nil {
		return err
	}
	if err := benchArchive(in.gz, []benchMember{{"layer.tar.gz", gzPath}}, cfg); err != nil {
		return err
	}
	fi, err := os.Stat(layerPath)
	if err != nil {
		return err
	}
	in.layerBytes = fi.Size()
	os.Remove(layerPath)
	os.Remove(gzPath)
	return nil
}

// benchMember is a file to put in an archive under a name.
type benchMember struct{ name, path string }

// benchArchive writes a docker-archive holding the layer files.
func benchArchive(out string, layers []benchMember, cfg []byte) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	tw := tar.NewWriter(bw)
	mt := time.Unix(1700000000, 0)
	var names []string
	for _, l := range layers {
		if err := benchCopyIn(tw, l, mt); err != nil {
			return err
		}
		names = append(names, l.name)
	}
	cfgName := digest.FromBytes(cfg).Encoded() + ".json"
	mj, _ := json.Marshal([]map[string]any{{"Config": cfgName, "RepoTags": []string{"example.com/retar/bench:1"}, "Layers": names}})
	for _, e := range []struct {
		name string
		body []byte
	}{{cfgName, cfg}, {"manifest.json", mj}} {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), ModTime: mt, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write(e.body); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// benchCopyIn writes the file l into tw.
func benchCopyIn(tw *tar.Writer, l benchMember, mt time.Time) error {
	lf, err := os.Open(l.path)
	if err != nil {
		return err
	}
	defer lf.Close()
	fi, err := lf.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: l.name, Mode: 0o644, Size: fi.Size(), ModTime: mt, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err = io.Copy(tw, lf)
	return err
}

// benchOpen opens an archive file as the CLI does.
func benchOpen(b *testing.B, p string) (*convert.Archive, func()) {
	b.Helper()
	f, err := os.Open(p)
	if err != nil {
		b.Fatal(err)
	}
	fi, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	a, err := convert.Open(convert.Input{Name: filepath.Base(p), Archive: f, Size: fi.Size()})
	if err != nil {
		b.Fatal(err)
	}
	return a, func() { f.Close() }
}

func benchSize(b *testing.B, p string) int64 {
	b.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}

// BenchmarkVerify: Open + Verify of the archive (bytes/s of the archive);
// the gzip one is decompressed to check its diff_id.
func BenchmarkVerify(b *testing.B) {
	in := benchArchives(b)
	for _, c := range []struct{ name, path string }{{"none", in.plain}, {"gzip", in.gz}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(benchSize(b, c.path))
			for range b.N {
				a, done := benchOpen(b, c.path)
				if _, err := a.Verify(context.Background(), convert.Hashing{}); err != nil {
					b.Fatal(err)
				}
				done()
			}
		})
	}
}

// BenchmarkConvertKeep: docker-archive -> oci-archive with layers as they
// are, written to io.Discard (bytes/s of the archive).
func BenchmarkConvertKeep(b *testing.B) {
	in := benchArchives(b)
	for _, c := range []struct{ name, path string }{{"none", in.plain}, {"gzip", in.gz}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(benchSize(b, c.path))
			for range b.N {
				a, done := benchOpen(b, c.path)
				p, err := a.Convert(context.Background(), convert.Options{To: convert.OCIArchive})
				if err != nil {
					b.Fatal(err)
				}
				if err := p.WriteTar(convert.WriterSink{Writer: io.Discard}); err != nil {
					b.Fatal(err)
				}
				done()
			}
		})
	}
}

// benchFileSpill is a temp-file spill, as the CLI's.
type benchFileSpill struct {
	f *os.File
	w *bufio.Writer
}

func (s *benchFileSpill) Write(p []byte) (int, error) { return s.w.Write(p) }
func (s *benchFileSpill) Done() (io.ReaderAt, error)  { return s.f, s.w.Flush() }

// BenchmarkRecompress: docker-archive -> oci-archive re-encoding the layer
// into a temp-file spill, written to io.Discard; bytes/s of the uncompressed
// layer. gzip and zstd start from the uncompressed layer, none and
// gzip-to-zstd from the gzip one.
func BenchmarkRecompress(b *testing.B) {
	in := benchArchives(b)
	for _, c := range []struct {
		name string
		src  string
		to   convert.Compression
	}{
		{"gzip", in.plain, convert.Gzip},
		{"zstd", in.plain, convert.Zstd},
		{"none", in.gz, convert.Uncompressed},
		{"gzip-to-zstd", in.gz, convert.Zstd},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(in.layerBytes)
			var written int64
			for range b.N {
				var spills []*os.File
				spill := func() (convert.Spill, error) {
					f, err := os.CreateTemp(in.dir, "spill-*")
					if err != nil {
						return nil, err
					}
					spills = append(spills, f)
					return &benchFileSpill{f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
				}
				a, done := benchOpen(b, c.src)
				p, err := a.Convert(context.Background(), convert.Options{To: convert.OCIArchive,
					Recompress: true, Compress: c.to, Spill: spill})
				if err != nil {
					b.Fatal(err)
				}
				cw := &benchCounter{}
				if err := p.WriteTar(convert.WriterSink{Writer: cw}); err != nil {
					b.Fatal(err)
				}
				written = cw.n
				done()
				for _, f := range spills {
					f.Close()
					os.Remove(f.Name())
				}
				if len(spills) != 1 {
					b.Fatalf("%d layers re-encoded, want 1", len(spills))
				}
			}
			b.ReportMetric(float64(written)/float64(in.layerBytes), "out/in")
		})
	}
}

type benchCounter struct{ n int64 }

func (c *benchCounter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// BenchmarkCopyVerified: the four-layer docker-archive -> oci-archive in a
// temporary file, each blob hashed from the very bytes written
// (VerifyAsWritten), as the CLI writes; bytes/s of the archive.
// "read-back": the writer copies blob after blob (through a buffer) and
// the hashers read back behind it; "placed": the writer sets each blob's
// range aside and the hashers, the largest blob first, read it, hash it
// and write the same buffers to its place.
func BenchmarkCopyVerified(b *testing.B) {
	in := benchLayered(b)
	for _, placed := range []bool{false, true} {
		name := "read-back"
		if placed {
			name = "placed"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(benchSize(b, in.plain))
			for range b.N {
				a, done := benchOpen(b, in.plain)
				p, err := a.Convert(context.Background(), convert.Options{To: convert.OCIArchive, VerifyAsWritten: true})
				if err != nil {
					b.Fatal(err)
				}
				f, err := os.CreateTemp(in.dir, "out-*")
				if err != nil {
					b.Fatal(err)
				}
				var s convert.Sink = &benchOutput{f: f}
				if placed {
					s = &benchPlaced{benchOutput{f: f}}
				}
				if err := p.WriteTar(s); err != nil {
					b.Fatal(err)
				}
				f.Close()
				os.Remove(f.Name())
				done()
			}
		})
	}
}

// benchOutput is a temporary output file read back (a ReadBackSink),
// copied into through a buffer.
type benchOutput struct {
	f  *os.File
	at int64
}

func (o *benchOutput) Write(p []byte) (int, error) {
	n, err := o.f.WriteAt(p, o.at)
	o.at += int64(n)
	return n, err
}

func (o *benchOutput) CopyRange(r io.ReaderAt, off, n int64) error {
	c, err := io.CopyBuffer(io.NewOffsetWriter(o.f, o.at), io.NewSectionReader(r, off, n), make([]byte, 1<<20))
	if err == nil && c != n {
		err = io.ErrUnexpectedEOF
	}
	o.at += c
	return err
}

func (o *benchOutput) ReadBack() (io.ReaderAt, int64, func()) { return o.f, o.at, func() {} }

// benchPlaced is a benchOutput whose blobs the hashers write at their
// places (a PlacedSink).
type benchPlaced struct{ benchOutput }

func (o *benchPlaced) Place(n int64) (io.WriterAt, int64, func(), error) {
	at := o.at
	o.at += n
	return o.f, at, func() {}, nil
}
