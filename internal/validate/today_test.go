package validate

import (
	"os"
	"testing"

	"github.com/idpgen/idpgen/internal/eksversions"
)

// TestMain reads the EKS support calendar for a fixed day: no test changes
// with the date it runs on.
func TestMain(m *testing.M) {
	os.Setenv(eksversions.TodayEnv, "2026-12-02")
	os.Exit(m.Run())
}
