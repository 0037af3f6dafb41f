package cli

import (
	"context"
	"fmt"
	"io/fs"
	"os"

	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/convert"
)

// volumeHelp is convert's help on --volume-size.
const volumeHelp = `--volume-size SIZE writes DST as numbered volumes of at most SIZE bytes
each. K, M, G, T (and KiB, MiB, GiB, TiB) are powers of 1024, KB, MB, GB,
TB powers of 1000, no unit is bytes: 700M, 4.7GB, 100MiB (4G is one byte
over FAT32's largest file: use 4095M there). Each volume is a complete
archive that loads on its own (docker load, ctr images import, podman
load, k3s's agent/images): an image goes whole into one volume, with every
blob it needs, and a blob that images in two volumes share is in both (a
notice says what that repetition costs). The images go into volumes in
the order the sources give them, the next volume beginning when an image
does not fit, so the same sources give the same volumes byte for byte.
DST bundle.tar is written as bundle.001.tar, bundle.002.tar, ... (three
digits at least, so ls and a glob list them in order; every name ends in
.tar); higher-numbered volumes an earlier split left at the same DST are
left as they are, with a notice to leave them out when joining. An image larger than SIZE is an error naming it and its size, and
nothing is written. Volumes are docker-archive or oci-archive files, not
compressed (a volume's size must be known before it is written), never
standard output or a layout directory (to split an oci: layout, write
oci-archive volumes from it). Converting the volumes, in their order, into
one archive gives back the archive the same command writes without
--volume-size, byte for byte: retar convert bundle.*.tar bundle.tar
`

// convertVolumes is convert with --volume-size: the bundle planned as
// volumes, each written beside its place and all renamed into place once
// every one is written.
func (e *env) convertVolumes(ctx context.Context, pos []string) error {
	if e.delta.active() {
		return usagef("--volume-size splits whole archives: apply the delta (--base) into one archive first, then split it; or split, then make a delta of each volume (--since)")
	}
	opts := e.opts
	srcs, dst, err := convertRefs(pos)
	if err != nil {
		return err
	}
	if err := volumeDest(dst); err != nil {
		return err
	}
	if err := completeOptions(&opts, dst); err != nil {
		return err
	}
	// The place of the first volume is judged before any source is read;
	// every volume's, and its lock taken, once they are counted.
	first, err := prepareVolume(dst, 1, 1, sourceDirs(srcs), e.force)
	if err != nil {
		return err
	}
	first.close()
	spills := &tempSpills{}
	defer spills.remove()
	opts.Spill = spills.new
	opts.VerifyAsWritten = true
	sources, opened, err := e.openWatched(ctx, srcs, &opts)
	defer closeAll(opened)
	if err != nil {
		return err
	}
	if err := e.adjust(&e.loaders, &opts, sources, dst); err != nil {
		return err
	}
	return e.splitBundle(ctx, srcs, dst, sources, opts)
}

// splitBundle plans the volumes, writes them and says what it wrote.
func (e *env) splitBundle(ctx context.Context, srcs []imageRef, dst imageRef, sources []convert.Source, opts convert.Options) error {
	prog := e.meter("verifying")
	opts.Hashing.Progress = prog.update
	set, err := convert.BundleVolumes(ctx, sources, opts, e.volumeSize)
	if err != nil {
		prog.finish(err)
		return err
	}
	held := e.noticesHolding(set.Warnings)
	outs := make([]*output, 0, len(set.Volumes))
	defer func() {
		for _, o := range outs {
			o.close()
		}
	}()
	for i := range set.Volumes {
		o, err := prepareVolume(dst, i+1, len(set.Volumes), sourceDirs(srcs), e.force)
		if err != nil {
			prog.finish(err)
			return err
		}
		outs = append(outs, o)
	}
	err = e.writeVolumes(ctx, outs, set)
	prog.finish(err)
	if err != nil {
		return err
	}
	e.notices(append([]string{set.VolumeSummary(e.volumeSize)}, staleVolumes(dst.Path, len(set.Volumes))...))
	conv := check.Conversion{Options: opts}
	for i, p := range set.Volumes {
		vol := imageRef{Path: outs[i].path, Layout: dst.Layout}
		if err := e.judge(ctx, vol, conv, sources, p, held); err != nil {
			return err
		}
		held = nil // said once, of the first volume
	}
	return nil
}

// volumeDest refuses, before anything is read, a DST that cannot be
// volumes: standard output, a layout directory, a compressed archive.
func volumeDest(dst imageRef) error {
	switch compressed, _ := destCompression(dst); {
	case dst.Path == "-":
		return usagef("--volume-size writes several files; DST - is one stream (name a file: DST.001.tar, DST.002.tar, ... are written)")
	case !dst.Layout.IsArchive():
		return usagef("--volume-size writes archives; %s is a directory (use oci-archive:%s to split an OCI layout into volumes)", dst.Layout.Article(), dst.Path)
	case compressed != "":
		return usagef("--volume-size writes plain tars: DST %s would be %s-compressed, and a volume's size must be known before it is written (name DST .tar)", dst.Path, compressed)
	}
	return nil
}

// prepareVolume judges, and locks, the place of volume i of n as
// prepareOutput judges DST: a file there is replaced, a directory is not.
// A volume is a file: a FIFO or a device there is refused.
func prepareVolume(dst imageRef, i, n int, srcDirs []string, force bool) (*output, error) {
	vol := imageRef{Path: volumePath(dst.Path, i, n), Layout: dst.Layout}
	if fi, err := os.Lstat(vol.Path); err == nil && fi.Mode()&(fs.ModeNamedPipe|fs.ModeDevice|fs.ModeCharDevice) != 0 {
		return nil, fmt.Errorf("%s is %s: volumes are files", vol.Path, modeName(fi.Mode()))
	}
	return prepareOutput(vol, srcDirs, force, nil)
}

// writeVolumes writes every volume beside its place, then renames them all
// into place: a failure before the last is written leaves nothing.
func (e *env) writeVolumes(ctx context.Context, outs []*output, set *convert.VolumeSet) (err error) {
	prog := e.meter("writing")
	written := convert.Progress{Phase: "writing"}
	for _, n := range set.Sizes {
		written.TotalBytes += n
	}
	var tmps []string
	defer func() {
		for _, t := range tmps {
			removeTemp(t) // those not renamed into place
		}
		prog.finish(err)
	}()
	for i, p := range set.Volumes {
		tmp, err := outs[i].writeTemp(ctx, p, func(n int64) { written.Bytes += n; prog.update(written) })
		if err != nil {
			return outs[i].fullError(err, p)
		}
		tmps = append(tmps, tmp)
		if fi, err := os.Stat(tmp); err != nil || fi.Size() != set.Sizes[i] {
			return fmt.Errorf("internal: volume %s was planned as %d bytes and written otherwise", outs[i].path, set.Sizes[i])
		}
	}
	for len(tmps) > 0 {
		i := len(set.Volumes) - len(tmps)
		if err := outs[i].commit(tmps[0]); err != nil {
			tmps = tmps[1:]
			return err
		}
		tmps = tmps[1:]
	}
	return nil
}

// staleVolumes says which volumes after the n-th an earlier split left at
// the same DST: a glob joining DST's volumes must leave them out. They are
// the user's files as much as retar's, so they stay where they are.
func staleVolumes(dst string, n int) []string {
	var said []string
	for i := n + 1; ; i++ {
		p := volumePath(dst, i, n)
		fi, err := os.Lstat(p)
		if err != nil || !fi.Mode().IsRegular() {
			return said
		}
		wrote := fmt.Sprintf("%d volumes", n)
		if n == 1 {
			wrote = "1 volume"
		}
		said = append(said, fmt.Sprintf("%s is not this split's (it wrote %s): left as it is; leave it out when joining", p, wrote))
	}
}
