// Command idpgen compiles a platform described in CUE into the rendered tree
// under generated/. See internal/cli for the commands.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/idpgen/idpgen/internal/cli"
)

func main() { os.Exit(run()) }

// run is the command, profiled into the file named by IDPGEN_CPUPROFILE
// when it is set, and its allocations into IDPGEN_MEMPROFILE: `make bench`
// shows where a render's time goes in process; these show it for the real
// command, e.g. a no-op render --check.
func run() int {
	if path := os.Getenv("IDPGEN_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "idpgen: IDPGEN_CPUPROFILE:", err)
			return 1
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if path := os.Getenv("IDPGEN_MEMPROFILE"); path != "" {
		runtime.MemProfileRate = 64 << 10
		defer func() {
			f, err := os.Create(path)
			if err == nil {
				err = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "idpgen: IDPGEN_MEMPROFILE:", err)
			}
		}()
	}
	return cli.Main()
}
