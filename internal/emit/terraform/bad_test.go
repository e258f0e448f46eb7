package terraform_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/cli"
	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/render"
)

// TestBadInput: each fixture under testdata/bad is a platform with one
// mistake; the error names the CUE source position of the offending value
// and says what is wrong.
func TestBadInput(t *testing.T) {
	tests := []struct {
		dir  string
		pos  string // line:col in the fixture's platform.cue
		path string
		msg  string
	}{
		{"overlap-shared", "26:11", "environments.prod.network.vpcCIDR",
			`VPC CIDR 10.10.128.0/17 overlaps 10.10.0.0/16 of environment "dev"`},
		{"cidr-too-small", "18:11", "environments.dev.network.vpcCIDR",
			"10.10.0.0/20 is too small: 3 availability zones of subnets (/19 private, /24 public, /24 intra each) need 26112 addresses, the VPC has 4096"},
		{"unknown-region", "16:13", "environments.dev.region", `invalid value "eu-south-7": expected one of "ap-northeast-1"`},
		{"too-many-zones", "18:37", "environments.dev.network.availabilityZones",
			"region eu-west-1 has 3 availability zones (eu-west-1a, eu-west-1b, eu-west-1c), but 4 are asked for"},
		{"prod-two-zones", "26:37", "environments.prod.network.availabilityZones", "a prod environment needs at least 3 availability zones"},
		{"account-reuse", "23:2", "environments.prod.account",
			`account 111111111111 is also used by nonprod environment "dev"; prod and nonprod must not share an account`},
		{"eks-version-unknown", "19:14", "environments.dev.kubernetes.version", `EKS does not offer Kubernetes 1.28; offered versions on 2026-12-02: 1.32, 1.33, 1.34, 1.35, 1.36`},
		{"eks-version-extended", "19:14", "environments.dev.kubernetes.version",
			`Kubernetes 1.32 is past EKS standard support (ended 2026-03-23) and runs only with extended support: set kubernetes.supportType: "EXTENDED" or upgrade`},
		{"backup-region-same", "26:18", "environments.prod.backupRegions", "eu-west-1 is the environment's own region"},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			dir := filepath.Join("testdata", "bad", tt.dir)
			p, tr, err := render.Platform(dir)
			if err == nil {
				t.Fatal("no error")
			}
			if p != nil || tr != nil {
				t.Error("a tree was rendered despite the error")
			}
			wantPos := filepath.Join(dir, "platform.cue") + ":" + tt.pos
			var found []string
			for _, e := range diag.Entries(err) {
				got := fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Col)
				found = append(found, e.String())
				if strings.HasSuffix(got, wantPos) && strings.HasPrefix(e.Path, tt.path) && strings.Contains(e.Message, tt.msg) {
					return
				}
			}
			t.Errorf("want an error at %s (%s): %s\ngot:\n%s", wantPos, tt.path, tt.msg, strings.Join(found, "\n"))
		})
	}
}

// TestBadInputWritesNothing runs the CLI on a bad platform: exit status
// for invalid input, the position on stderr, and an output directory left
// untouched.
func TestBadInputWritesNothing(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := cli.Run([]string{"render", "--platform", filepath.Join("testdata", "bad", "cidr-too-small"), "--out", out, "--format", "text"}, &stdout, &stderr)
	if code == 0 {
		t.Fatalf("exit 0; stdout %s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "platform.cue:18:11: environments.dev.network.vpcCIDR: 10.10.0.0/20 is too small") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("%d entries written to %s", len(entries), out)
	}
}

// TestIsolatedVPCMayOverlap: overlap is only an error on the shared
// network; the fixture's prod VPC is isolated and reuses dev's range.
func TestIsolatedVPCMayOverlap(t *testing.T) {
	p, tr, err := render.Platform(filepath.Join("testdata", "ok-isolated-overlap"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Environments["prod"].Network.Shared || !p.Environments["dev"].Network.Shared {
		t.Error("network.shared not decoded")
	}
	if _, ok := tr.Get("environments/prod/terraform/network.tf.json"); !ok {
		t.Error("prod's network not rendered")
	}
}
