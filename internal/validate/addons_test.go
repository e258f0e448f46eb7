package validate_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/cli"
	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/render"
)

// Bad add-on input: each case is a small platform under testdata/addons;
// the error must name the CUE line the user wrote, and render must write
// nothing.
func TestAddonErrors(t *testing.T) {
	for _, tc := range []struct {
		dir, at, path, msg string
	}{
		{"velero", "platform.cue:18:18", "environments.dev.addonResources.backupBucket",
			`add-on velero is enabled in environment "dev" and needs a backup bucket to write to`},
		{"karpenter", "platform.cue:18:18", "environments.dev.addonResources.interruptionQueue",
			`add-on karpenter is enabled in environment "dev" and needs its interruption queue`},
		{"version", "platform.cue:19:20", "addons.karpenter.version",
			"chart version 9.9.9 of chart karpenter is not in the catalog; approved releases: 1.14.1"},
		{"kuberange", "platform.cue:21:20", "addons.karpenter.version",
			`chart karpenter 1.9.0 supports Kubernetes 1.32 to 1.35, but environment "dev" runs 1.36`},
		{"namespace", "platform.cue:23:3", "addons.vpa.namespace",
			`namespace "velero" is also claimed by add-on velero in environment "dev"`},
		{"teamns", "platform.cue:21:2", "addons.trivyOperator.namespace",
			`namespace "web" is owned by team "web"`},
		{"datadog", "platform.cue:19:9", "addons.datadog.apiKey",
			"datadog is enabled but apiKey is not set"},
		{"vaultsnapshots", "platform.cue:20:67", "addons.vault.snapshots.overrides.dev.retentionDays",
			`Vault snapshots are kept 2 days but schedule "0 3 * * 1" runs up to 168h apart in environment "dev": some of that time no snapshot would exist; keep them at least 7 days`},
		{"vaultsnapshotsenv", "platform.cue:20:38", "addons.vault.snapshots.overrides.prod",
			`unknown environment "prod"; expected one of: dev`},
		{"vaultsnapshotscron", "platform.cue:20:27", "addons.vault.snapshots.schedule",
			`Vault snapshot schedule "61 * * * *": field 1 ("61")`},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			dir := filepath.Join("testdata", "addons", tc.dir)
			_, err := render.Load(dir)
			if err == nil {
				t.Fatal("the platform was accepted")
			}
			entries := diag.Entries(err)
			if len(entries) != 1 {
				t.Fatalf("want one error, got %d:\n%v", len(entries), entries)
			}
			e := entries[0]
			at := filepath.Base(e.File) + ":" + itoa(e.Line) + ":" + itoa(e.Col)
			if filepath.Dir(e.File) != dir && !strings.HasSuffix(filepath.Dir(e.File), dir) {
				t.Errorf("error in %s, want a file of %s", e.File, dir)
			}
			if at != tc.at || e.Path != tc.path || !strings.Contains(e.Message, tc.msg) {
				t.Errorf("got  %s %s: %s\nwant %s %s: %s", at, e.Path, e.Message, tc.at, tc.path, tc.msg)
			}

			out := t.TempDir()
			var stdout, stderr bytes.Buffer
			if code := cli.Run([]string{"render", "--platform", dir, "--out", out, "--format", "text"}, &stdout, &stderr); code != cli.ExitInvalid {
				t.Errorf("render exit %d, want %d; stderr:\n%s", code, cli.ExitInvalid, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.at) || !strings.Contains(stderr.String(), tc.msg) {
				t.Errorf("render printed:\n%s", stderr.String())
			}
			if files, _ := os.ReadDir(out); len(files) != 0 {
				t.Errorf("render wrote %d files", len(files))
			}
		})
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
