// Package tfcheck checks a Terraform root module written in Terraform's JSON
// syntax with HashiCorp's own hcl/v2 library, without Terraform or its
// providers: every file parses with the hcl/v2 JSON parser, every "${…}"
// template parses as HCL, every reference resolves to a block of the same
// module, no block is declared twice and no variable or local is unused.
//
// It does not know provider schemas: an argument misspelled inside a
// resource is only caught by `terraform validate` after `terraform init`.
package tfcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"
)

// File is one file of a root module.
type File struct {
	Name string // used in positions, e.g. "environments/dev/terraform/eks.tf.json"
	Data []byte
}

// rootSchema is the top level of a Terraform configuration file.
var rootSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "terraform"},
	{Type: "provider", LabelNames: []string{"name"}},
	{Type: "variable", LabelNames: []string{"name"}},
	{Type: "locals"},
	{Type: "data", LabelNames: []string{"type", "name"}},
	{Type: "resource", LabelNames: []string{"type", "name"}},
	{Type: "module", LabelNames: []string{"name"}},
	{Type: "output", LabelNames: []string{"name"}},
	{Type: "moved"},
	{Type: "import"},
	{Type: "check", LabelNames: []string{"name"}},
	{Type: "removed"},
}}

// builtins are reference roots Terraform provides.
var builtins = []string{"count", "each", "self", "path", "terraform"}

// Module is what a root module declares, by address ("aws_vpc.main",
// "data.aws_iam_policy_document.x", "var.x", "local.x", "module.x",
// "output.x", "provider.aws" or "provider.aws.alias").
type Module struct {
	Declared map[string]hcl.Range
	// Blocks are the parsed resource and data blocks, by address, for
	// callers that inspect arguments.
	Blocks map[string]*hcl.Block
	src    map[string][]byte
}

// Check runs every check and returns the problems found, sorted by
// position. An empty result means the module passed.
func Check(files []File) hcl.Diagnostics {
	_, diags := Load(files)
	return diags
}

// Load parses the module and runs every check.
func Load(files []File) (*Module, hcl.Diagnostics) {
	m := &Module{Declared: map[string]hcl.Range{}, Blocks: map[string]*hcl.Block{}, src: map[string][]byte{}}
	var diags hcl.Diagnostics
	var blocks []*hcl.Block
	for _, f := range files {
		m.src[f.Name] = f.Data
		file, d := hcljson.Parse(f.Data, f.Name)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		content, d := file.Body.Content(rootSchema)
		diags = append(diags, d...)
		blocks = append(blocks, content.Blocks...)
	}

	// Declarations.
	for _, b := range blocks {
		var addrs []string
		switch b.Type {
		case "resource":
			addrs = []string{b.Labels[0] + "." + b.Labels[1]}
			m.Blocks[addrs[0]] = b
		case "data":
			addrs = []string{"data." + b.Labels[0] + "." + b.Labels[1]}
			m.Blocks[addrs[0]] = b
		case "variable":
			addrs = []string{"var." + b.Labels[0]}
		case "module":
			addrs = []string{"module." + b.Labels[0]}
		case "output":
			addrs = []string{"output." + b.Labels[0]}
		case "provider":
			addrs = []string{"provider." + b.Labels[0] + providerAlias(m, b)}
		case "locals":
			attrs, d := b.Body.JustAttributes()
			diags = append(diags, d...)
			for _, a := range sortedAttrs(attrs) {
				m.declare("local."+a.Name, a.NameRange, &diags)
			}
		}
		for _, a := range addrs {
			m.declare(a, b.DefRange, &diags)
		}
	}

	// References.
	used := map[string]bool{}
	for _, b := range blocks {
		switch b.Type {
		case "terraform", "variable":
			continue // literal values only
		}
		attrs, d := b.Body.JustAttributes()
		if b.Type != "locals" {
			diags = append(diags, d...)
		}
		for _, a := range sortedAttrs(attrs) {
			refs, d := m.templates(a.Expr)
			diags = append(diags, d...)
			switch a.Name {
			case "depends_on":
				r, d := literalTraversals(a.Expr)
				diags = append(diags, d...)
				refs = append(refs, r...)
			case "provider":
				if b.Type == "resource" || b.Type == "data" {
					diags = append(diags, m.providerRef(a.Expr)...)
				}
			}
			for _, tr := range refs {
				addr, d := m.resolve(tr)
				diags = append(diags, d...)
				used[addr] = true
			}
		}
	}
	for addr, rng := range m.Declared {
		if (strings.HasPrefix(addr, "var.") || strings.HasPrefix(addr, "local.")) && !used[addr] {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unused declaration",
				Detail:   fmt.Sprintf("%s is declared but never referenced; remove it.", addr),
				Subject:  rng.Ptr(),
			})
		}
	}
	sortDiags(diags)
	return m, diags
}

func (m *Module) declare(addr string, rng hcl.Range, diags *hcl.Diagnostics) {
	if prev, dup := m.Declared[addr]; dup {
		*diags = append(*diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Duplicate block",
			Detail:   fmt.Sprintf("%s is already declared at %s:%d:%d; each block name must be unique in a module.", addr, prev.Filename, prev.Start.Line, prev.Start.Column),
			Subject:  rng.Ptr(),
		})
		return
	}
	m.Declared[addr] = rng
}

func providerAlias(m *Module, b *hcl.Block) string {
	attrs, _ := b.Body.JustAttributes()
	if a, ok := attrs["alias"]; ok {
		var s string
		if v, d := a.Expr.Value(nil); !d.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
			s = v.AsString()
		}
		if s != "" {
			return "." + s
		}
	}
	return ""
}

// resolve maps a traversal to the address of what it refers to, or reports
// that nothing in the module declares it.
func (m *Module) resolve(tr hcl.Traversal) (string, hcl.Diagnostics) {
	root := tr.RootName()
	names := []string{root}
	for _, step := range tr[1:] {
		a, ok := step.(hcl.TraverseAttr)
		if !ok {
			break
		}
		names = append(names, a.Name)
	}
	var addr string
	switch {
	case slices.Contains(builtins, root):
		return root, nil
	case root == "var" || root == "local" || root == "module":
		if len(names) >= 2 {
			addr = names[0] + "." + names[1]
		}
	case root == "data":
		if len(names) >= 3 {
			addr = strings.Join(names[:3], ".")
		}
	case strings.Contains(root, "_"): // a resource type: <provider>_<kind>
		if len(names) >= 2 {
			addr = names[0] + "." + names[1]
		}
	default:
		return "", hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unknown reference",
			Detail:   fmt.Sprintf("%q is not a resource type, data source, variable, local or module.", root),
			Subject:  tr.SourceRange().Ptr(),
		}}
	}
	if addr == "" {
		return "", hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Incomplete reference",
			Detail:   fmt.Sprintf("A reference starting with %q needs more attribute names.", root),
			Subject:  tr.SourceRange().Ptr(),
		}}
	}
	if _, ok := m.Declared[addr]; !ok {
		return addr, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Reference to undeclared block",
			Detail:   fmt.Sprintf("%s is not declared in this module.", addr),
			Subject:  tr.SourceRange().Ptr(),
		}}
	}
	return addr, nil
}

func (m *Module) providerRef(expr hcl.Expression) hcl.Diagnostics {
	tr, d := hcl.AbsTraversalForExpr(expr)
	if d.HasErrors() {
		return d
	}
	addr := "provider." + tr.RootName()
	if len(tr) > 1 {
		if a, ok := tr[1].(hcl.TraverseAttr); ok {
			addr += "." + a.Name
		}
	}
	if _, ok := m.Declared[addr]; !ok {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Reference to undeclared provider",
			Detail:   fmt.Sprintf("%s is not configured in this module.", strings.TrimPrefix(addr, "provider.")),
			Subject:  expr.Range().Ptr(),
		}}
	}
	return nil
}

// literalTraversals reads a list of bare references, as depends_on holds.
func literalTraversals(expr hcl.Expression) ([]hcl.Traversal, hcl.Diagnostics) {
	list, diags := hcl.ExprList(expr)
	var out []hcl.Traversal
	for _, e := range list {
		tr, d := hcl.AbsTraversalForExpr(e)
		diags = append(diags, d...)
		if !d.HasErrors() {
			out = append(out, tr)
		}
	}
	return out, diags
}

// templates parses every string below expr as an HCL template, so a broken
// "${…}" is reported instead of being silently dropped (hcl/v2's JSON
// expressions ignore template errors when listing variables), and returns
// the references the templates make: what expr.Variables() returns, without
// parsing the many strings that hold no "${" or "%{" (most of the module,
// and most of the cost of Variables).
func (m *Module) templates(expr hcl.Expression) ([]hcl.Traversal, hcl.Diagnostics) {
	rng := expr.Range()
	src := m.src[rng.Filename]
	if rng.End.Byte > len(src) || rng.Start.Byte >= rng.End.Byte {
		return expr.Variables(), nil
	}
	raw := bytes.TrimSpace(src[rng.Start.Byte:rng.End.Byte])
	if len(raw) == 0 {
		return expr.Variables(), nil
	}
	var vars []hcl.Traversal
	var diags hcl.Diagnostics
	walk := func(e hcl.Expression) {
		v, d := m.templates(e)
		vars = append(vars, v...)
		diags = append(diags, d...)
	}
	switch raw[0] {
	case '[':
		list, d := hcl.ExprList(expr)
		diags = append(diags, d...)
		for _, e := range list {
			walk(e)
		}
	case '{':
		pairs, d := hcl.ExprMap(expr)
		diags = append(diags, d...)
		for _, kv := range pairs {
			walk(kv.Key)
			walk(kv.Value)
		}
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return expr.Variables(), nil // the key of an object: its range is the name only
		}
		if !strings.Contains(s, "${") && !strings.Contains(s, "%{") {
			return nil, nil
		}
		start := rng.Start
		start.Byte++
		start.Column++
		tmpl, d := hclsyntax.ParseTemplate([]byte(s), rng.Filename, start)
		if d.HasErrors() {
			for _, x := range d {
				x.Detail = fmt.Sprintf("in template %q: %s", s, x.Detail)
			}
			return nil, d
		}
		// The references hcl/v2 reports: it parses the same string from
		// the same start.
		return tmpl.Variables(), nil
	default:
		return expr.Variables(), nil // numbers, booleans, null
	}
	return vars, diags
}

func sortedAttrs(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func sortDiags(diags hcl.Diagnostics) {
	key := func(d *hcl.Diagnostic) string {
		if d.Subject == nil {
			return "\xff" + d.Summary + d.Detail
		}
		return fmt.Sprintf("%s\x00%08d\x00%s%s", d.Subject.Filename, d.Subject.Start.Byte, d.Summary, d.Detail)
	}
	sort.SliceStable(diags, func(i, j int) bool { return key(diags[i]) < key(diags[j]) })
}

// Error renders diagnostics as "file:line:col: summary; detail" lines.
func Error(diags hcl.Diagnostics) string {
	var b strings.Builder
	for i, d := range diags {
		if i > 0 {
			b.WriteByte('\n')
		}
		if d.Subject != nil {
			fmt.Fprintf(&b, "%s:%d:%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
		}
		b.WriteString(d.Summary)
		if d.Detail != "" {
			b.WriteString("; " + d.Detail)
		}
	}
	return b.String()
}
