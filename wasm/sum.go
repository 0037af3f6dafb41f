//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"io"
	"syscall/js"

	"github.com/opencontainers/go-digest"
)

// sumInWorkers is the core's Hashing.Sum when the page has a pool of
// hashing Workers (worker.js sets retarSumRange and retarSumWorkers): a
// blob that is a range of a dropped File (or of a File of a dropped
// folder) is hashed there, by reading the File where it lies; its bytes
// never pass through Go. The core still decides what to hash and checks
// every sum.
//
//	retarSumRange(blob, offset, length, 'sha256', onBytes(n)) → Promise<hex digest>
func sumInWorkers() (func(context.Context, io.ReaderAt, int64, int64, digest.Algorithm, func(int64)) (digest.Digest, bool, error), int) {
	sum := js.Global().Get("retarSumRange")
	if sum.Type() != js.TypeFunction {
		return nil, 0
	}
	par := 2
	if v := js.Global().Get("retarSumWorkers"); v.Type() == js.TypeNumber && v.Int() > 0 {
		par = v.Int()
	}
	return func(ctx context.Context, r io.ReaderAt, off, n int64, alg digest.Algorithm, progress func(int64)) (digest.Digest, bool, error) {
		br, ok := r.(*blobReader)
		if !ok || alg != digest.SHA256 {
			return "", false, nil
		}
		if err := ctx.Err(); err != nil {
			return "", true, err
		}
		onBytes := js.FuncOf(func(_ js.Value, a []js.Value) any {
			if len(a) > 0 && progress != nil {
				progress(int64(a[0].Float()))
			}
			return nil
		})
		defer onBytes.Release()
		v, err := await(sum.Invoke(br.blob, float64(off), float64(n), "sha256", onBytes))
		if err != nil {
			return "", true, fmt.Errorf("reading bytes %d-%d: %v", off, off+n, err)
		}
		d := digest.NewDigestFromEncoded(alg, v.String())
		if err := d.Validate(); err != nil {
			return "", true, fmt.Errorf("hashing bytes %d-%d: the Worker returned %q", off, off+n, v.String())
		}
		return d, true, nil
	}, par
}

// Section says where a dropped folder's File lies: all of it, so the core
// hands it to Sum like a range of an archive.
func (f *dirFile) Section() (io.ReaderAt, int64, int64) { return f.r, 0, f.r.size }
