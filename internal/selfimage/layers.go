package selfimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"time"

	digest "github.com/opencontainers/go-digest"
)

// A layer: its gzip bytes, the digest of its tar (the config's diff_id),
// and the history line that says what it holds.
type layer struct {
	gz        []byte
	diffID    digest.Digest
	createdBy string
}

// An entry of a layer's tar: a directory when data is nil and it is not a file.
type entry struct {
	name     string
	mode     int64
	uid, gid int
	file     bool
	data     []byte
}

// The users the image knows: root, and the one it runs as.
var (
	passwd = fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:%s:/sbin/nologin\n", UID, UID, WorkDir)
	group  = fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", UID)
)

// baseLayer: what every platform's image holds besides the binary. /tmp
// is where retar decompresses a compressed source (TMPDIR); /work, the
// user's, is where archives are mounted.
func baseLayer(t time.Time) (layer, error) {
	return makeLayer(t, "retar's base: /etc/passwd, /etc/group (nonroot), /tmp, /work", []entry{
		{name: "etc/", mode: 0o755},
		{name: "etc/group", mode: 0o644, file: true, data: []byte(group)},
		{name: "etc/passwd", mode: 0o644, file: true, data: []byte(passwd)},
		{name: "tmp/", mode: 0o1777},
		{name: "work/", mode: 0o755, uid: UID, gid: UID},
	})
}

// binaryLayer: the static binary at /usr/bin/retar.
func binaryLayer(bin []byte, t time.Time) (layer, error) {
	if len(bin) == 0 {
		return layer{}, fmt.Errorf("selfimage: an empty binary")
	}
	return makeLayer(t, "retar: "+Entrypoint, []entry{
		{name: "usr/", mode: 0o755},
		{name: "usr/bin/", mode: 0o755},
		{name: "usr/bin/retar", mode: 0o755, file: true, data: bin},
	})
}

// makeLayer writes entries as a tar (every time t, no user or group
// names) and gzips it (no name or time in the header), so the same entries
// give the same bytes.
func makeLayer(t time.Time, createdBy string, entries []entry) (layer, error) {
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.uid, Gid: e.gid, ModTime: t.UTC(),
			Typeflag: tar.TypeDir, Format: tar.FormatPAX}
		if e.file {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return layer{}, fmt.Errorf("selfimage: layer entry %s: %w", e.name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return layer{}, fmt.Errorf("selfimage: layer entry %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return layer{}, fmt.Errorf("selfimage: layer: %w", err)
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return layer{}, err
	}
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return layer{}, fmt.Errorf("selfimage: gzip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return layer{}, fmt.Errorf("selfimage: gzip: %w", err)
	}
	return layer{gz: gz.Bytes(), diffID: digest.FromBytes(raw.Bytes()), createdBy: createdBy}, nil
}
