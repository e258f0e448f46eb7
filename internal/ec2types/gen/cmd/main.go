// Command gen rewrites internal/ec2types/zz_generated.go (run by
// `go generate ./internal/ec2types` from that directory).
package main

import (
	"fmt"
	"os"

	"github.com/idpgen/idpgen/internal/ec2types/gen"
)

func main() {
	out, err := gen.Generate("../../schemas/types.cue")
	if err == nil {
		err = os.WriteFile("zz_generated.go", out, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ec2types/gen:", err)
		os.Exit(1)
	}
}
