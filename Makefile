# retar: `make demo` converts the bundled example; `make test` runs every test.
GO ?= go
export PATH := $(shell $(GO) env GOROOT 2>/dev/null)/bin:$(PATH)

.PHONY: bench gobench all build demo test vet fmt-check unit wasm-check cross-check man dist dist-check golden-update inputs consumer-check interop fuzz clean

all: build

build:
	$(GO) build -o retar ./cli/retar

# The demo: skopeo wrote examples/skopeo-unnamed.tar without a name, so
# `ctr images import` would register nothing from it. retar names it, writes
# an oci-archive that docker, containerd and podman all load, and shows it.
demo: build
	@mkdir -p demo-out
	./retar convert examples/skopeo-unnamed.tar oci-archive:demo-out/fixed.tar:quay.io/retar/example:1
	./retar verify demo-out/fixed.tar
	./retar inspect oci-archive:demo-out/fixed.tar

test: fmt-check vet unit wasm-check cross-check

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# The TestScale tests time passes that must stay linear; under the race
# detector time says nothing, so they skip there and run again without it.
# TestTransformSweep leaves its largest inputs out under -race: they run here.
unit:
	$(GO) test -race -count=1 ./...
	$(GO) test -count=1 -run '^TestScale' ./...
	$(GO) test -count=1 -run '^TestTransformSweep$$' ./golden

# The core must build for the browser, and the wasm package's tests run
# under Node where it is installed (make e2e runs them always).
wasm-check:
	GOOS=js GOARCH=wasm $(GO) build ./convert/... ./wasm
	@if command -v node >/dev/null; then \
		GOOS=js GOARCH=wasm $(GO) test -count=1 -exec="$$($(GO) env GOROOT)/lib/wasm/go_js_wasm_exec" ./wasm; \
	else echo "wasm-check: no node here: the wasm package's tests run in make e2e"; fi

# The release platforms other than Linux build and vet (tests included): the
# path parsing's Windows forms are unit-tested as pure functions in make unit.
cross-check:
	GOOS=windows GOARCH=amd64 $(GO) vet ./...
	GOOS=darwin GOARCH=arm64 $(GO) vet ./...
	for p in windows/amd64 darwin/amd64 darwin/arm64 linux/arm64; do \
		CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -o /dev/null ./cli/retar || exit 1; done

# Man pages from the commands' help (cobra's doc package), committed in
# docs/man; a test fails when they are out of date.
man:
	rm -rf docs/man
	$(GO) run ./cli/internal/genman docs/man

# Release builds: static binaries for each platform, the page as a
# tarball, the .deb, .rpm and .apk for linux/amd64 and linux/arm64
# (scripts/packages.sh, nfpm pinned in scripts/tools), retar's own image as
# an oci-archive for both (scripts/selfimage), with SHA256SUMS. Reproducible:
# the same source gives the same bytes (make dist-check builds twice, the
# second time from a copy of the tree elsewhere with an empty build cache,
# and compares). The version, commit and every file's time are stamped from
# git (VERSION, COMMIT, SOURCE_DATE_EPOCH to override, e.g. from a tarball).
DIST ?= dist
PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
DIST_LDFLAGS = -s -w -X github.com/retar-dev/retar/cli.version=$(VERSION) -X github.com/retar-dev/retar/cli.commit=$(COMMIT)
dist:
	GOFLAGS=-buildvcs=false $(MAKE) --no-print-directory site
	rm -rf $(DIST) && mkdir -p $(DIST)
	for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		echo "dist: retar-$$os-$$arch$$ext"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -buildvcs=false -ldflags '$(DIST_LDFLAGS)' \
			-o $(DIST)/retar-$$os-$$arch$$ext ./cli/retar || exit 1; done
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --mode=u=rwX,go=rX --format=gnu \
		--transform 's,^dist,retar-site,' -C site -cf - dist | gzip -n -9 > $(DIST)/retar-site.tar.gz
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) bash scripts/packages.sh $(DIST) $(VERSION)
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(GO) run -buildvcs=false ./scripts/selfimage -o $(DIST)/retar-image.tar \
		-version $(VERSION) -revision $(COMMIT) -name retar:$(VERSION) -name retar:latest \
		linux/amd64=$(DIST)/retar-linux-amd64 linux/arm64=$(DIST)/retar-linux-arm64
	@echo "dist: retar-image.tar"
	cd $(DIST) && LC_ALL=C sha256sum retar-* > SHA256SUMS
	@cd $(DIST) && ls -l && cat SHA256SUMS

dist-check:
	bash scripts/dist-check.sh

# Rewrite golden outputs after a deliberate change; review with git diff.
golden-update:
	$(GO) test ./golden -update

# Regenerate golden/testdata/real with skopeo, umoci, docker, ctr, podman (root).
inputs:
	bash golden/testdata/mkinputs.sh

# Convert real archives with retar and load them in docker, containerd, podman (root).
consumer-check:
	bash scripts/consumer-check.sh

# make test's big brother (root; installs what it needs with apt): images built
# with umoci, written by skopeo, docker save, ctr export and podman save,
# converted by retar into every layout and checked with docker 20.10, containerd
# 1.6, 2.0 and 2.1, podman, skopeo and umoci, and today's loaders built from
# their Go modules (docker 29 in both stores, containerd 2.3 and 2.4, kind's and
# k3s's imports), on private daemons; golden/testdata/supply's inputs too
# (interop/supply.sh). Writes interop/RESULTS.md, CHECK.md, LOADERS.md.
interop:
	bash interop/run.sh

# Each fuzz target for 30 s (FUZZTIME to change it).
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzIndex -fuzztime=$(FUZZTIME) ./tarfs/
	for f in FuzzOpen FuzzMetadata FuzzJSONEdit FuzzParseName FuzzParsePlatform; do \
		$(GO) test -run='^$$' -fuzz=$$f -fuzztime=$(FUZZTIME) ./convert/ || exit 1; done

clean:
	rm -rf retar demo-out dist

# retar against skopeo and the machine's floor on generated archives, one run:
# SIZE_MB is one size or several ("630 5000", the default; 630 alone takes a
# minute, 5000 about fifteen). Then the pipes, standard input into standard
# output, against scripts/hashpipe, with the bytes TMPDIR held (PIPES_ONLY=1
# for those alone).
bench:
	bash scripts/bench.sh $(or $(SIZE_MB),630 5000)

# Go benchmarks of the core (hashing, recompression of a generated 200 MB layer).
gobench:
	$(GO) test -run='^$$' -bench=. -benchtime=3x ./convert/

# The browser page. site/dist is all a static host serves: the page,
# its Worker and hashing Workers, retar.wasm (and .gz, which the Worker
# fetches), Go's wasm_exec.js, hash-wasm's sha256, the service worker (its
# file list and version written by site/precache.sh), manifest and icons.
.PHONY: site serve e2e site-bench
site:
	@[ site/node_modules/.package-lock.json -nt site/package-lock.json ] || (cd site && npm ci --no-audit --no-fund)
	rm -rf site/dist && mkdir -p site/dist
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o site/dist/retar.wasm ./wasm
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" site/node_modules/hash-wasm/dist/sha256.umd.min.js site/src/* site/dist/
	gzip -9 -n -k site/dist/retar.wasm
	bash site/precache.sh site/dist
	@echo "site/dist: retar.wasm $$(wc -c <site/dist/retar.wasm) bytes, retar.wasm.gz $$(wc -c <site/dist/retar.wasm.gz) bytes"

# Serve site/dist on loopback (ADDR=127.0.0.1:8080).
ADDR ?= 127.0.0.1:8080
serve: site
	$(GO) run ./site/serve -dir site/dist -addr $(ADDR)

# The wasm package's tests under Node, then the page and the JS API end to end
# in headless Chromium (installs Debian's chromium if missing).
e2e: build site
	bash site/e2e/run.sh

# The browser against its floor (the File hashed in parallel Workers) and the
# native CLI, with the renderer's peak RSS (SIZE_MB, default 630; try 5000).
site-bench: build site
	bash site/e2e/bench.sh $(SIZE_MB)
