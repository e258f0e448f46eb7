package writer

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/tree"
)

// TestTreePassesGitleaks runs gitleaks' own detector with its default rules
// (the nested module in gitleaks/, at the version pinned there) over the
// committed example tree and over a rendered tree whose file names say
// token, secret, password and key, manifest and journal included: no
// finding. The same tree with the manifest in the format of earlier
// versions must be flagged (generic-api-key), or this test proves nothing.
func TestTreePassesGitleaks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gitleaks")
	}
	names := map[string]string{}
	for _, p := range []string{
		"environments/dev/platform-secrets/vault-token.yaml",
		"environments/dev/secrets/api/externalsecret.yaml",
		"environments/dev/services/password-reset/kustomization.yaml",
		"base/services/secret-keeper/deployment.yaml",
		"base/services/auth-token-api/serviceaccount.yaml",
		"environments/prod/addons/credentials-api/values.yaml",
		"environments/prod/terraform/kms_key.tf.json",
	} {
		names[p] = "content of " + p
	}
	tr := makeTree(names)

	clean := t.TempDir()
	if err := apply(clean, tr); err != nil {
		t.Fatal(err)
	}
	// A journal of the same render, as a kill would leave it.
	j := &journal{state: committed, sums: map[string]string{}}
	for _, f := range tr.Files() {
		j.renames = append(j.renames, f.Path)
		j.sums[f.Path] = hash(f.Data)
	}
	os.WriteFile(filepath.Join(clean, "journal-copy.json"), j.encode(), 0o644)

	oldFormat := t.TempDir()
	old, err := tree.JSON(map[string]any{"files": ManifestOf(tr).Files})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(oldFormat, ManifestName), old, 0o644)

	scan := func(dirs ...string) (string, error) {
		cmd := exec.Command("go", append([]string{"run", "."}, dirs...)...)
		cmd.Dir = "gitleaks"
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if err != nil && (!errors.As(err, &exit) || stdout.Len() == 0) {
			t.Fatalf("gitleaks: %v\n%s", err, stderr.String())
		}
		return stdout.String(), err
	}
	repoTree, _ := filepath.Abs(filepath.Join("..", "..", "generated"))
	if out, err := scan(clean, repoTree); err != nil || out != "" {
		t.Errorf("gitleaks findings in a rendered tree:\n%s", out)
	}
	out, err := scan(oldFormat)
	if err == nil || !strings.Contains(out, ManifestName+":") || !strings.Contains(out, "generic-api-key") {
		t.Errorf("the old manifest format was not flagged, so the scan proves nothing:\n%s", out)
	}
}
