package render_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/emit/addons"
	"github.com/idpgen/idpgen/internal/emit/argocd"
	"github.com/idpgen/idpgen/internal/emit/terraform"
	"github.com/idpgen/idpgen/internal/helmcheck"
	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/tree"
)

// TestVerifierErrorsAreLocated walks every error path of the verifiers
// (Terraform's hcl/v2 checks and cross-check, the Argo CD consistency check,
// Helm's check of add-on values) by breaking the example's tree in one way
// each, and requires every problem printed to have a message, a CUE
// position and a value path: no empty error reaches the user.
func TestVerifierErrorsAreLocated(t *testing.T) {
	p, good, err := render.Platform(filepath.Join("..", "..", "platforms", "example"))
	if err != nil {
		t.Fatal(err)
	}
	verifiers := []render.Emitter{
		terraform.New(),
		&addons.Emitter{Charts: helmcheck.Finder{Dirs: []string{filepath.Join("..", "emit", "addons", "testdata", "charts")}}},
		argocd.New(),
	}
	// The example passes: the cases below fail for their own change only.
	if _, err := render.Verify(p, good, verifiers); err != nil {
		t.Fatalf("the example fails verification: %v", err)
	}
	const (
		tfIAM  = "environments/dev/terraform/iam.tf.json"
		cartSA = "environments/dev/services/cart/extra.yaml"
		appset = "environments/dev/argocd/applicationsets.yaml"
		addonz = "environments/dev/argocd/addons.yaml"
	)
	replace := func(file, old, new string) func(map[string][]byte) {
		return func(f map[string][]byte) {
			if !bytes.Contains(f[file], []byte(old)) {
				t.Fatalf("%s has no %q", file, old)
			}
			f[file] = bytes.Replace(f[file], []byte(old), []byte(new), 1)
		}
	}
	add := func(file, data string) func(map[string][]byte) {
		return func(f map[string][]byte) { f[file] = []byte(data) }
	}
	tests := []struct {
		name   string
		break_ func(map[string][]byte)
		path   string // the value path of the problem
		want   string // in its message
	}{
		// terraform.Verify
		{"no terraform files", func(f map[string][]byte) {
			for name := range f {
				if strings.HasPrefix(name, "environments/dev/terraform/") {
					delete(f, name)
				}
			}
		}, "environments.dev", "environments/dev/terraform: no Terraform files"},
		{"hcl reference", replace("environments/dev/terraform/eks.tf.json", "${aws_kms_key.eks_secrets.arn}", "${aws_kms_key.eks_secret.arn}"),
			"environments.dev", "aws_kms_key.eks_secret is not declared"},
		{"invalid json", add("environments/dev/terraform/broken.tf.json", "{"), "environments.dev", "broken.tf.json"},
		// terraform.CrossCheck
		{"arn in another account", add(cartSA, "role: arn:aws:iam::333333333333:role/acme-dev-svc-cart\n"),
			"services.cart", "not the environment's account 111111111111"},
		{"arn in another region", add(cartSA, "queue: arn:aws:sqs:us-east-1:111111111111:acme-dev-cart\n"),
			"services.cart", "not the environment's region eu-west-1"},
		{"arn of unknown kind", add("environments/dev/extra.yaml", "x: arn:aws:lambda:eu-west-1:111111111111:function:f\n"),
			"environments.dev", "cannot map to a Terraform resource"},
		{"undeclared role", add(cartSA, "role: arn:aws:iam::111111111111:role/acme-dev-svc-ghost\n"),
			"services.cart", `declares no iam-role "acme-dev-svc-ghost"`},
		{"ecr in another account", add(cartSA, "image: 999999999999.dkr.ecr.eu-west-1.amazonaws.com/cart:1.0\n"),
			"services.cart.image.repository", `which is neither the registry the environment pulls from`},
		{"undeclared alias", add(cartSA, "kmsKeyId: alias/acme-dev-nope\n"),
			"services.cart", `declares no kms-alias "alias/acme-dev-nope"`},
		{"catalog name not declared", replace(tfIAM, `"name": "acme-dev-karpenter-interruption"`, `"name": "acme-dev-renamed"`),
			"environments.dev", `declares no sqs-queue "acme-dev-karpenter-interruption"`},
		// argocd.Verify: reading the objects back
		{"argocd yaml", add("environments/dev/argocd/broken.yaml", "a: [\n"), "environments.dev", "argocd: environments/dev/argocd/broken.yaml"},
		{"argocd unknown kind", add("environments/dev/argocd/extra.yaml", "kind: Secret\nmetadata: {name: x}\n"), "environments.dev", "unexpected kind Secret"},
		{"argocd strict Application", replace(addonz, "  project: platform\n", "  project: platform\n  bogus: 1\n"), "environments.dev", "Application"},
		{"argocd strict AppProject", replace("environments/dev/argocd/projects.yaml", "spec:\n", "spec:\n  bogus: 1\n"), "environments.dev", "AppProject"},
		{"argocd strict ApplicationSet", replace(appset, "  goTemplate: true\n", "  goTemplate: true\n  bogus: 1\n"), "environments.dev", "ApplicationSet"},
		{"argocd template off", replace(appset, "goTemplate: true", "goTemplate: false"), "environments.dev", "goTemplate is off"},
		// argocd.Verify: consistency
		{"argocd unknown project", replace(appset, "project: shop", "project: shopping"), "environments.dev", `uses project "shopping", which is not rendered`},
		{"argocd missing path", replace(addonz, "path: generated/environments/dev/namespaces", "path: generated/environments/dev/nowhere"), "environments.dev", "does not exist in the rendered tree"},
		// addons.Verify
		{"values not rendered", func(f map[string][]byte) { delete(f, addons.ValuesPath("dev", "metrics-server")) }, "addons.metricsServer", "values file"},
		{"chart rejects values", add(addons.ValuesPath("dev", "metrics-server"), "# "+tree.Marker+"\nreplicas: two\n"), "addons.metricsServer", "chart metrics-server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string][]byte{}
			for _, f := range good.Files() {
				files[f.Path] = f.Data
			}
			tt.break_(files)
			broken := tree.New()
			for name, data := range files {
				if err := broken.Add("test", name, data); err != nil {
					t.Fatal(err)
				}
			}
			_, err := render.Verify(p, broken, verifiers)
			if err == nil {
				t.Fatal("the broken tree passed")
			}
			found := false
			for _, e := range diag.Entries(err) {
				if e.Message == "" || e.File == "" || e.Line == 0 || e.Path == "" {
					t.Errorf("not located, or empty: %q", e.String())
				}
				found = found || e.Path == tt.path && strings.Contains(e.Message, tt.want)
			}
			if !found {
				t.Errorf("want an error at %s containing %q, got:\n%s", tt.path, tt.want, printed(err))
			}
		})
	}

	// A cross-check asked for an environment the platform does not have.
	es := diag.Entries(terraform.CrossCheck(p, good, "nope"))
	if len(es) != 1 || es[0].Message == "" || es[0].Path != "environments" || es[0].File == "" {
		t.Errorf("unknown environment: %q", es)
	}
}

func printed(err error) string {
	var b strings.Builder
	diag.Print(&b, err, diag.Text)
	return b.String()
}
