package cli_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/cli"
)

// charts pull --dry-run lists the catalog releases of the enabled add-ons
// without touching the network.
func TestChartsPullDryRun(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := cli.Run([]string{"charts", "pull", "--dry-run", "--platform", "../../platforms/example"}, &stdout, &stderr)
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"would pull karpenter 1.14.1 from oci://public.ecr.aws/karpenter",
		"would pull velero 12.1.0 from https://vmware-tanzu.github.io/helm-charts",
		"would pull base 1.30.3 from https://istio-release.storage.googleapis.com/charts",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "would pull "); n != 15 {
		t.Errorf("%d charts listed, want 15 (12 add-ons, istio has 4 charts)", n)
	}
}
