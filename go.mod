module github.com/retar-dev/retar

go 1.26.8

require (
	github.com/distribution/reference v0.6.0
	github.com/klauspost/compress v1.20.3
	github.com/opencontainers/go-digest v1.0.0
	github.com/opencontainers/image-spec v1.1.1
	github.com/stretchr/testify v1.12.1
	golang.org/x/sys v0.50.0
	golang.org/x/term v0.48.0
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect
