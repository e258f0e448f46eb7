package kustomize

import (
	"math"
	"testing"
)

// TestMiBDoesNotOverflow: memory used to be computed as MiB*1024*1024 in
// int64, so 2^43 MiB became a negative byte count and 2^44 became 0. Every
// amount that fits in int64 bytes is now exact, and a larger one (which the
// schema refuses anyway) stays the largest quantity, never wraps.
func TestMiBDoesNotOverflow(t *testing.T) {
	for n, want := range map[int64]string{
		256:           "256Mi",
		1536:          "1536Mi",
		32 << 20:      "32Ti", // the schema's bound
		(1 << 43) - 1: "8796093022207Mi",
		1 << 43:       "9223372036854775807",
		1 << 44:       "9223372036854775807",
		math.MaxInt64: "9223372036854775807",
	} {
		q := mib(n)
		if got := q.String(); got != want || q.Sign() <= 0 {
			t.Errorf("mib(%d) = %s, want %s", n, got, want)
		}
	}
}
