package render_test

import (
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/tree"
)

// TestLeaksInOutput: the scan of the rendered tree finds what validate
// would have refused, had it reached the output another way (a literal
// secret-named variable in a workload, a key in an add-on's values), and
// names the file and the CUE source; the example's own tree is clean.
func TestLeaksInOutput(t *testing.T) {
	p, tr, err := render.Platform("../../platforms/example")
	if err != nil {
		t.Fatal(err)
	}
	if err := render.Leaks(p, tr); err != nil {
		t.Fatalf("the example's tree has leaks: %v", err)
	}
	leaky := tree.New()
	deployment := "# x\nspec:\n  template:\n    spec:\n      containers:\n      - env:\n        - name: DB_PASSWORD\n          value: hunter2\n        - name: LOG_LEVEL\n          value: info\n        name: checkout\n"
	if err := leaky.Add("test", "base/services/checkout/deployment.yaml", []byte(deployment)); err != nil {
		t.Fatal(err)
	}
	values := "# x\nconfig:\n  apiKey: AKIAIOSFODNN7EXAMPLE\n"
	if err := leaky.Add("test", "environments/prod/addons/datadog/values.yaml", []byte(values)); err != nil {
		t.Fatal(err)
	}
	entries := diag.Entries(render.Leaks(p, leaky))
	var got []string
	for _, e := range entries {
		got = append(got, e.String())
	}
	want := []string{
		"services.checkout: base/services/checkout/deployment.yaml: env variable DB_PASSWORD is named like a secret (PASSWORD)",
		"environments.prod: environments/prod/addons/datadog/values.yaml: found an AWS access key id",
	}
	if len(entries) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%s", len(entries), len(want), strings.Join(got, "\n"))
	}
	for _, w := range want {
		found := false
		for i, e := range entries {
			if strings.Contains(got[i], w) && e.Line > 0 {
				found = true
			}
		}
		if !found {
			t.Errorf("no error %q with a CUE position in:\n%s", w, strings.Join(got, "\n"))
		}
	}
}
