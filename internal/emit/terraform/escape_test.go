package terraform_test

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"

	"github.com/idpgen/idpgen/internal/awsnames"
	. "github.com/idpgen/idpgen/internal/emit/terraform"
	"github.com/idpgen/idpgen/internal/tree"
)

// evalFile evaluates every top-level attribute of a .tf.json file as
// Terraform does in full expression mode: every string is a template. The
// references idpgen writes on purpose evaluate to unknown values; there are
// no functions, so a template that calls one (file, templatefile…) fails.
func evalFile(t *testing.T, name string, data []byte) map[string]cty.Value {
	t.Helper()
	f, diags := hcljson.Parse(data, name)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	attrs, diags := f.Body.JustAttributes()
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	out := map[string]cty.Value{}
	for key, a := range attrs {
		if key == "terraform" || key == "//" {
			continue // read literally by Terraform
		}
		vars := map[string]cty.Value{}
		for _, tr := range a.Expr.Variables() {
			vars[tr.RootName()] = cty.DynamicVal
		}
		v, diags := a.Expr.Value(&hcl.EvalContext{Variables: vars})
		if diags.HasErrors() {
			t.Errorf("%s: %s: %v", name, key, diags)
			continue
		}
		out[key] = v
	}
	return out
}

// get walks an evaluated value along object keys.
func get(v cty.Value, path ...string) cty.Value {
	for _, k := range path {
		if !v.IsKnown() || v.IsNull() || !v.Type().IsObjectType() || !v.Type().HasAttribute(k) {
			return cty.NilVal
		}
		v = v.GetAttr(k)
	}
	return v
}

// TestModelStringsAreLiterals: strings from the model reach Terraform as the
// literal the user wrote, whatever template syntax they contain.
func TestModelStringsAreLiterals(t *testing.T) {
	for _, hostile := range []string{
		`${file("/etc/passwd")}`,
		`%{ if true }x%{ endif }`,
		`$${already-escaped} %%{also}`,
		`$$${x} and a lone $ and % and {`,
		`${`,
	} {
		p := loadExample(t)
		p.Teams["shop"].CostCenter = hostile
		p.Teams["payments"].SSOGroup = hostile
		tr := emit(t, p)
		for _, env := range p.EnvironmentList {
			n := awsnames.For(p, env)
			files := map[string]map[string]cty.Value{}
			for _, f := range ModuleFiles(tr, env.Name) {
				files[f.Name] = evalFile(t, f.Name, f.Data)
			}
			iam := files[Dir(env.Name)+"/iam.tf.json"]["resource"]
			tag := get(iam, "aws_iam_role", "team_shop", "tags", "cost-center")
			if tag == cty.NilVal || !tag.IsKnown() || tag.AsString() != hostile {
				t.Errorf("%s: cost-center tag of %q evaluates to %#v", env.Name, hostile, tag)
			}
			desc := get(iam, "aws_iam_role", "team_payments", "description")
			want := "Read-only access of team payments (SSO group " + hostile + ") to " + n.Cluster()
			if desc == cty.NilVal || !desc.IsKnown() || desc.AsString() != want {
				t.Errorf("%s: description evaluates to %#v, want %q", env.Name, desc, want)
			}
		}
	}
}

// TestReferencesStayTemplates: the escaping leaves idpgen's own references
// alone (they still resolve, see TestHCL) and escapes nothing in the
// example, whose strings hold no template syntax.
func TestReferencesStayTemplates(t *testing.T) {
	p := loadExample(t)
	tr := emit(t, p)
	for _, f := range ModuleFiles(tr, "prod") {
		if strings.Contains(string(f.Data), "$${") || strings.Contains(string(f.Data), "%%{") {
			t.Errorf("%s: escaped a string of the example", f.Name)
		}
	}
	eks := evalFile(t, "eks", mustGet(t, tr, Dir("prod")+"/eks.tf.json"))
	if key := get(eks["resource"], "aws_eks_cluster", "main", "encryption_config", "provider", "key_arn"); key == cty.NilVal || key.IsKnown() {
		t.Errorf("the key reference did not stay a reference: %#v", key)
	}
}

func mustGet(t *testing.T, tr interface {
	Get(string) (tree.File, bool)
}, path string) []byte {
	t.Helper()
	f, ok := tr.Get(path)
	if !ok {
		t.Fatalf("%s not rendered", path)
	}
	return f.Data
}
