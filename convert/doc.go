// Package convert is retar's core: it reads an image in any of the four
// layouts (docker-archive, oci-archive, oci, dir) into one graph, verifies
// every blob once, and plans the output in another layout. It uses no
// operating system interface: inputs come as io.ReaderAt or fs.FS, outputs go
// to a Sink, so the same code runs natively and in a browser.
package convert

import (
	_ "crypto/sha256" // digest algorithms go-digest looks up
	_ "crypto/sha512"
)
