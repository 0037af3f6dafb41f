package convert

import "context"

// Convert plans the conversion of a source into the layout opts.To: it picks
// images and platforms, sets names, writes whatever manifests must change, and
// verifies every blob the output will hold. Nothing is written yet.
func (a *Archive) Convert(ctx context.Context, opts Options) (*Plan, error) {
	return Bundle(ctx, []Source{{Archive: a, Pick: opts.Pick}}, opts)
}

// Bundle plans one output from several sources: every picked image with all
// its names, blobs the images share stored once. A name two sources give to
// different images is an error naming both. Several sources into a
// docker-archive make the hybrid (an OCI layout with a docker manifest.json
// entry per image), which docker, containerd and podman all load.
//
// A conversion is the stages of stages(), in that order, over one model.
func Bundle(ctx context.Context, sources []Source, opts Options) (*Plan, error) {
	c, err := newConversion(sources, opts)
	if err != nil {
		return nil, err
	}
	for _, s := range stages() {
		if err := s.run(c, ctx); err != nil {
			return nil, err
		}
	}
	c.plan.Warnings = uniqueStrings(c.plan.Warnings)
	return c.plan, nil
}

// stage is one step of a conversion, named for the tests, which run the
// stages up to one and then that one alone.
type stage struct {
	name string
	run  func(*conversion, context.Context) error
}

// stages are the stages of a conversion, in the order Bundle runs them: those
// that choose and name the images in stages.go, those that make the output
// in outputstages.go.
func stages() []stage {
	return []stage{
		{"select", (*conversion).selectImages},     // the images each source's pick names
		{"resolve", (*conversion).resolveImages},   // docker-archive images get their manifest (layers re-encoded first)
		{"name", (*conversion).nameImages},         // DST's name replaces, -t adds
		{"pick", (*conversion).pickPlatforms},      // one manifest where the destination holds one
		{"merge", (*conversion).mergeImages},       // one image picked twice is one image
		{"reencode", (*conversion).reencodeLayers}, // layers into the wanted compression
		{"rewrite", (*conversion).rewriteImages},   // manifests and indexes as the destination needs them
		{"verify", (*conversion).verifyBlobs},      // every blob written is hashed, once
		{"write", (*conversion).writeOutput},       // the destination's layout, as a plan
	}
}

// uniqueStrings keeps the first of each string, in order: a notice about a
// blob two images share is said once.
func uniqueStrings(ss []string) []string { return uniqueBy(ss, func(s string) string { return s }) }
