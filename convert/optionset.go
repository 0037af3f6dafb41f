package convert

import (
	"fmt"
	"strconv"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Options from their text, as the CLI's flags and the page give them, and
// checked together against the destination's layout before anything is
// read: Set, with the readers of --format and --compress, and Validate,
// which ask the registry; what the options are is options.go's.

// optionNames are the options Set takes, as the CLI spells its flags.
var optionNames = []string{"to", "name", "tag", "platform", "all-platforms", "oci-strict", "keep-absent",
	"format", "attestations", "compress", "compress-level", "max-expansion", "max-expanded"}

// Set sets the option called name from its text, as a flag or the browser
// page gives it: to, name, tag (repeatable), platform (repeatable),
// all-platforms, oci-strict, keep-absent ("true"/"false"), format (oci,
// v2s2), attestations (keep, strip, referrers, docker), compress (keep,
// none, gzip, zstd), compress-level, max-expansion
// (times; 0 lifts it), max-expanded (a size such as 64GiB; 0 lifts it).
func (o *Options) Set(name, value string) error {
	var err error
	switch name {
	case "to":
		l, ok := ParseLayout(value)
		if !ok {
			return fmt.Errorf("unknown layout %q: want %s%.0w", value, layoutNames(), ErrUsage)
		}
		o.To = l
	case "name":
		o.Names = append(o.Names, value)
	case "tag":
		o.Tags = append(o.Tags, value)
	case "platform":
		var p ocispec.Platform
		if p, err = ParsePlatform(value); err == nil {
			o.Platforms = append(o.Platforms, p)
		}
	case "all-platforms":
		o.AllPlatforms, err = parseBool(name, value)
	case "oci-strict":
		o.OCIStrict, err = parseBool(name, value)
	case "keep-absent":
		o.KeepAbsent, err = parseBool(name, value)
	case "format":
		o.Format, err = ParseFormat(value)
	case "attestations":
		o.Attestations, err = ParseAttestations(value)
	case "compress":
		var keep bool
		o.Compress, keep, err = ParseCompression(value)
		o.Recompress, o.KeepZstd = !keep, keep && value != ""
	case "compress-level":
		o.CompressLevel, err = strconv.Atoi(value)
		if err != nil {
			err = fmt.Errorf("invalid compression level %q: want a number%.0w", value, ErrUsage)
		}
	case "max-expansion":
		o.Hashing.Limits.MaxExpansion, err = parseLimit(value, func(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) })
	case "max-expanded":
		o.Hashing.Limits.MaxExpanded, err = parseLimit(value, parseSize)
	default:
		return fmt.Errorf("unknown option %q: want one of %s%.0w", name, strings.Join(optionNames, ", "), ErrUsage)
	}
	return err
}

func parseBool(name, v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s: want true or false, not %q%.0w", name, v, ErrUsage)
	}
	return b, nil
}

// parseLimit reads a limit: 0 lifts it (a negative Limits field).
func parseLimit(v string, parse func(string) (int64, error)) (int64, error) {
	n, err := parse(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid limit %q: want a whole number, 0 for no limit%.0w", v, ErrUsage)
	}
	if n == 0 {
		return -1, nil
	}
	return n, nil
}

// Validate refuses options that do not go together or cannot be met, before
// anything is read.
func (o *Options) Validate() error {
	if _, ok := ParseLayout(string(o.To)); !ok {
		return fmt.Errorf("unknown destination layout %q%.0w", o.To, ErrUsage)
	}
	if o.AllPlatforms && len(o.Platforms) > 0 {
		return fmt.Errorf("--all-platforms and --platform exclude each other%.0w", ErrUsage)
	}
	if err := checkLevel(*o); err != nil {
		return err
	}
	if t := o.ModTime; !t.IsZero() && (t.Unix() < 0 || t.Unix() > MaxModTime) {
		return fmt.Errorf("modification time %d: a tar header holds 0 to %d%.0w", t.Unix(), MaxModTime, ErrUsage)
	}
	if err := o.checkSince(); err != nil {
		return err
	}
	h := o.To.facts(*o)
	for _, s := range append(append([]string(nil), o.Names...), o.Tags...) {
		if _, err := h.parseGiven(s, nil); err != nil {
			return fmt.Errorf("%w%.0w", err, ErrUsage)
		}
	}
	return nil
}

// checkSince refuses --since where the destination cannot be sparse: a
// delta is an OCI layout (oci-archive, oci:), which may lack blobs. A
// docker-archive's manifest.json names a file per layer, and docker load
// reads each one; a dir: layout holds every blob.
func (o *Options) checkSince() error {
	if o.Since == nil || o.To.facts(*o).sparse {
		return nil
	}
	return fmt.Errorf("--since writes a delta, which lacks layers: %s needs every layer; write an oci-archive (or oci:) delta, and retar convert --base on the far side writes %s from it%.0w", o.To.Article(), o.To, ErrUsage)
}

// checkLevel refuses compression levels the encoders would silently clamp
// or take to mean something else (gzip -2 is Huffman-only).
func checkLevel(o Options) error {
	if o.CompressLevel == 0 {
		return nil
	}
	switch {
	case !o.Recompress || o.Compress == Uncompressed:
		return fmt.Errorf("a compression level needs --compress gzip or zstd%.0w", ErrUsage)
	case o.Compress == Gzip && (o.CompressLevel < 1 || o.CompressLevel > 9):
		return fmt.Errorf("gzip levels are 1 to 9, not %d%.0w", o.CompressLevel, ErrUsage)
	case o.Compress == Zstd && (o.CompressLevel < 1 || o.CompressLevel > 22):
		return fmt.Errorf("zstd levels are 1 to 22, not %d%.0w", o.CompressLevel, ErrUsage)
	}
	return nil
}

// ParseFormat reads --format.
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case FormatKeep, FormatOCI, FormatV2S2:
		return Format(s), nil
	}
	return "", fmt.Errorf("invalid format %q: want oci or v2s2%.0w", s, ErrUsage)
}

// ParseCompression reads --compress: keep (""), none, gzip or zstd.
func ParseCompression(s string) (c Compression, keep bool, err error) {
	switch s {
	case "", "keep":
		return 0, true, nil
	case "none":
		return Uncompressed, false, nil
	case "gzip":
		return Gzip, false, nil
	case "zstd":
		return Zstd, false, nil
	}
	return 0, false, fmt.Errorf("invalid compression %q: want keep, none, gzip or zstd%.0w", s, ErrUsage)
}

// ParseAttestations reads --attestations: keep, strip, referrers, docker.
func ParseAttestations(s string) (Attestations, error) {
	switch Attestations(s) {
	case "keep":
		return AttestationsKeep, nil
	case AttestationsKeep, AttestationsStrip, AttestationsReferrers, AttestationsDocker:
		return Attestations(s), nil
	}
	return "", fmt.Errorf("invalid attestations %q: want keep, strip, referrers or docker%.0w", s, ErrUsage)
}
