// Command retar rewrites container image archives between layouts; see cli.
package main

import (
	"os"

	"github.com/retar-dev/retar/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
