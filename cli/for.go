package cli

import (
	"context"
	"os"

	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/convert"
)

// adjust sets the options the --for loaders need (check.For.Adjust), with
// a notice for each thing it set.
func (e *env) adjust(loaders *check.For, opts *convert.Options, sources []convert.Source, dst imageRef) error {
	notes, err := loaders.Adjust(opts, sources, dst.Path)
	e.notices(notes)
	return err
}

// suits re-opens a written output and has the --for loaders judge it
// (check.For.Check): an error naming each that will not load it. An output
// written to standard output or through a FIFO cannot be read back.
func (e *env) suits(ctx context.Context, dst imageRef, loaders *check.For) error {
	if len(loaders.IDs()) == 0 || dst.Path == "-" {
		return nil
	}
	if fi, err := os.Stat(dst.Path); err != nil || !fi.Mode().IsRegular() && !fi.IsDir() {
		return nil
	}
	s, err := openSource(ctx, imageRef{Path: dst.Path, Layout: dst.Layout}, nil, e.opts.Hashing.Limits)
	if err != nil {
		return err
	}
	defer s.Close()
	a, err := convert.Open(s.in)
	if err != nil {
		return err
	}
	return loaders.Check(a)
}
