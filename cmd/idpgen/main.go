// Command idpgen compiles a platform described in CUE into the rendered tree
// under generated/. See internal/cli for the commands.
package main

import (
	"os"

	"github.com/idpgen/idpgen/internal/cli"
)

func main() { os.Exit(cli.Main()) }
