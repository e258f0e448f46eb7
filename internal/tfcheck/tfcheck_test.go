package tfcheck

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	hcljson "github.com/hashicorp/hcl/v2/json"
)

// good is a small module using every kind of reference the checker knows.
const good = `{
  "//": "comment",
  "terraform": {"required_version": ">= 1.11.0"},
  "provider": {"aws": [{"region": "eu-west-1"}, {"alias": "backup", "region": "eu-central-1"}]},
  "variable": {"cidr": {"type": "string", "default": "10.0.0.0/16"}},
  "locals": {"name": "x-${var.cidr}"},
  "data": {"aws_iam_policy_document": {"p": {"statement": [{"actions": ["s3:GetObject"], "resources": ["${aws_s3_bucket.b.arn}/*"]}]}}},
  "resource": {
    "aws_vpc": {"main": {"cidr_block": "${var.cidr}", "tags": {"Name": "${local.name}"}}},
    "aws_s3_bucket": {"b": {"bucket": "b", "provider": "aws.backup", "depends_on": ["aws_vpc.main"]}},
    "aws_s3_bucket_policy": {"b": {"bucket": "${aws_s3_bucket.b.id}", "policy": "${data.aws_iam_policy_document.p.json}"}}
  },
  "output": {
    "ids": {"value": "${[for s in [aws_vpc.main] : s.id]}"},
    "escaped": {"value": "$${not_a_reference}"}
  }
}`

func TestGoodModulePasses(t *testing.T) {
	if diags := Check([]File{{Name: "main.tf.json", Data: []byte(good)}}); len(diags) > 0 {
		t.Fatalf("unexpected problems:\n%s", Error(diags))
	}
}

func TestProblems(t *testing.T) {
	tests := []struct {
		name  string
		files []File
		want  string // substring of the rendered diagnostics, with position
	}{
		{"invalid JSON", []File{{"a.tf.json", []byte(`{"resource": {`)}}, "a.tf.json:1:"},
		{"unknown root key", []File{{"a.tf.json", []byte(`{"resources": {}}`)}}, `a.tf.json:1:2: Extraneous JSON object property`},
		{"broken template", []File{{"a.tf.json", []byte(`{"resource": {"aws_vpc": {"a": {"cidr_block": "${var.x"}}}}`)}}, `in template "${var.x"`},
		{"undeclared resource", []File{{"a.tf.json", []byte(`{"resource": {"aws_vpc": {"a": {"x": "${aws_subnet.nope.id}"}}}}`)}},
			"a.tf.json:1:41: Reference to undeclared block; aws_subnet.nope is not declared in this module."},
		{"undeclared data source", []File{{"a.tf.json", []byte(`{"output": {"o": {"value": "${data.aws_iam_policy_document.p.json}"}}}`)}},
			"data.aws_iam_policy_document.p is not declared"},
		{"undeclared variable", []File{{"a.tf.json", []byte(`{"output": {"o": {"value": "${var.nope}"}}}`)}}, "var.nope is not declared"},
		{"undeclared in a key", []File{{"a.tf.json", []byte(`{"output": {"o": {"value": {"${var.nope}": 1}}}}`)}}, "var.nope is not declared"},
		{"undeclared in a nested list", []File{{"a.tf.json", []byte(`{"output": {"o": {"value": [[1, {"k": ["${var.nope}"]}]]}}}`)}}, "var.nope is not declared"},
		{"undeclared local", []File{{"a.tf.json", []byte(`{"output": {"o": {"value": "${local.nope}"}}}`)}}, "local.nope is not declared"},
		{"undeclared module", []File{{"a.tf.json", []byte(`{"output": {"o": {"value": "${module.nope.x}"}}}`)}}, "module.nope is not declared"},
		{"unknown root", []File{{"a.tf.json", []byte(`{"output": {"o": {"value": "${nope.x}"}}}`)}}, `"nope" is not a resource type`},
		{"undeclared depends_on", []File{{"a.tf.json", []byte(`{"resource": {"aws_vpc": {"a": {"depends_on": ["aws_subnet.b"]}}}}`)}}, "aws_subnet.b is not declared"},
		{"undeclared provider alias", []File{{"a.tf.json", []byte(`{"provider": {"aws": {"region": "x"}}, "resource": {"aws_vpc": {"a": {"provider": "aws.nope"}}}}`)}}, "aws.nope is not configured"},
		{"duplicate across files", []File{
			{"a.tf.json", []byte(`{"resource": {"aws_vpc": {"a": {}}}}`)},
			{"b.tf.json", []byte(`{"resource": {"aws_vpc": {"a": {}}}}`)},
		}, "b.tf.json:1:32: Duplicate block; aws_vpc.a is already declared at a.tf.json:1:32"},
		{"unused variable", []File{{"a.tf.json", []byte(`{"variable": {"x": {"type": "string"}}}`)}}, "a.tf.json:1:20: Unused declaration; var.x is declared but never referenced"},
		{"unused local", []File{{"a.tf.json", []byte(`{"locals": {"x": 1}}`)}}, "local.x is declared but never referenced"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diags := Check(tt.files)
			if !diags.HasErrors() {
				t.Fatalf("no problem reported, want %q", tt.want)
			}
			if got := Error(diags); !strings.Contains(got, tt.want) {
				t.Errorf("got:\n%s\nwant it to contain %q", got, tt.want)
			}
		})
	}
}

func TestLoadDeclarations(t *testing.T) {
	m, diags := Load([]File{{Name: "main.tf.json", Data: []byte(good)}})
	if len(diags) > 0 {
		t.Fatal(Error(diags))
	}
	for _, addr := range []string{"aws_vpc.main", "aws_s3_bucket.b", "data.aws_iam_policy_document.p", "var.cidr", "local.name", "output.ids", "provider.aws", "provider.aws.backup"} {
		if _, ok := m.Declared[addr]; !ok {
			t.Errorf("%s not declared; have %v", addr, m.Declared)
		}
	}
	if _, ok := m.Blocks["aws_vpc.main"]; !ok {
		t.Error("resource block aws_vpc.main not kept")
	}
}

// templates lists the same references as hcl/v2's Variables, which it
// replaces because Variables parses every string of the module.
func TestTemplatesListWhatVariablesLists(t *testing.T) {
	extra := `{"output": {"k": {"value": {"${var.cidr}": [1, true, null, {"x": "${local.name} and ${aws_vpc.main.id}"}]}}}}`
	files := []File{{"main.tf.json", []byte(good)}, {"extra.tf.json", []byte(extra)}}
	m := &Module{src: map[string][]byte{}}
	checked := 0
	for _, f := range files {
		m.src[f.Name] = f.Data
		file, d := hcljson.Parse(f.Data, f.Name)
		if d.HasErrors() {
			t.Fatal(d)
		}
		content, _ := file.Body.Content(rootSchema)
		for _, b := range content.Blocks {
			attrs, _ := b.Body.JustAttributes()
			for _, a := range attrs {
				got, d := m.templates(a.Expr)
				if d.HasErrors() {
					t.Fatal(d)
				}
				if g, w := traversals(got), traversals(a.Expr.Variables()); g != w {
					t.Errorf("%s: templates %s, Variables %s", a.Name, g, w)
				}
				checked += len(got)
			}
		}
	}
	if checked < 8 {
		t.Errorf("only %d references compared", checked)
	}
}

func traversals(ts []hcl.Traversal) string {
	var out []string
	for _, tr := range ts {
		rng := tr.SourceRange()
		s := fmt.Sprintf("%s@%d", tr.RootName(), rng.Start.Byte)
		for _, step := range tr[1:] {
			if a, ok := step.(hcl.TraverseAttr); ok {
				s += "." + a.Name
			}
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}
