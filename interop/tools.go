//go:build tools

package interop

// The containerd 2.0 daemon and ctr that interop/run.sh builds and runs on a
// private socket: listed here so that go.mod pins their dependencies.
import (
	_ "github.com/containerd/containerd/v2/cmd/containerd"
	_ "github.com/containerd/containerd/v2/cmd/ctr"
)
