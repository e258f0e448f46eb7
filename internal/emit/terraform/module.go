package terraform

import (
	"fmt"
	"strings"
)

// obj is a JSON object: a block body or an object value.
type obj = map[string]any

// module is one environment's root module being built, file by file. Every
// block is declared exactly once: a second declaration of an address is an
// error (a bug in the emitter, reported rather than silently overwritten).
type module struct {
	files    map[string]obj
	declared map[string]string // address -> file
	err      error
}

func newModule() *module {
	return &module{files: map[string]obj{}, declared: map[string]string{}}
}

// put stores body at root[keys[0]][keys[1]]… of file.
func (m *module) put(file, addr string, body any, keys ...string) {
	if prev, dup := m.declared[addr]; dup {
		if m.err == nil {
			m.err = fmt.Errorf("%s declared twice (%s.tf.json and %s.tf.json)", addr, prev, file)
		}
		return
	}
	m.declared[addr] = file
	cur, ok := m.files[file]
	if !ok {
		cur = obj{}
		m.files[file] = cur
	}
	for _, k := range keys[:len(keys)-1] {
		next, ok := cur[k].(obj)
		if !ok {
			next = obj{}
			cur[k] = next
		}
		cur = next
	}
	cur[keys[len(keys)-1]] = body
}

// resource declares a resource and returns its address.
func (m *module) resource(file, typ, name string, body obj) string {
	addr := typ + "." + name
	m.put(file, addr, body, "resource", typ, name)
	return addr
}

// data declares a data source and returns its address.
func (m *module) data(file, typ, name string, body obj) string {
	addr := "data." + typ + "." + name
	m.put(file, addr, body, "data", typ, name)
	return addr
}

// output declares an output. desc says who consumes it.
func (m *module) output(name, desc string, value any) {
	m.put("outputs", "output."+name, obj{"description": desc, "value": value}, "output", name)
}

// expr is a Terraform template idpgen writes on purpose: a reference such
// as "${aws_vpc.main.id}". It is the only kind of string encode leaves
// unescaped; every plain string is a literal (see escape.go).
type expr string

// ref is a reference to an attribute, as a whole-string template so that
// Terraform keeps its type: ref("aws_vpc.main", "id") = "${aws_vpc.main.id}".
func ref(addr, attr string) expr { return expr("${" + addr + "." + attr + "}") }

// refs lists ref(addr, attr) for each address.
func refs(attr string, addrs ...string) []expr {
	out := make([]expr, len(addrs))
	for i, a := range addrs {
		out[i] = ref(a, attr)
	}
	return out
}

// tfName turns parts into a Terraform block name: "private", "a" ->
// "private_a".
func tfName(parts ...string) string {
	return strings.NewReplacer("-", "_", ".", "_", "/", "_").Replace(strings.Join(parts, "_"))
}

// statement is one statement of an IAM policy document.
type statement struct {
	Sid       string
	Effect    string // "Allow" when empty
	Actions   []string
	Resources []string
	// Refs are resources known only once applied (a key's ARN), as
	// references; they follow Resources.
	Refs []expr
	// NotResources applies the statement to every resource but these
	// (a Deny with exceptions).
	NotResources []string
	Principals   []principal
	Conditions   []condition
}

type principal struct {
	Type        string // "AWS", "Service", "Federated"
	Identifiers []string
	// Refs are identifiers known only once applied (an identity
	// provider's ARN); they follow Identifiers.
	Refs []expr
}

type condition struct {
	Test     string
	Variable string
	Values   []string
	// Refs are values known only once applied (a VPC's ARN); they follow
	// Values.
	Refs []expr
}

// policy declares an aws_iam_policy_document data source in file and
// returns a reference to its JSON.
func (m *module) policy(file, name string, stmts ...statement) expr {
	var list []obj
	for _, s := range stmts {
		effect := s.Effect
		if effect == "" {
			effect = "Allow"
		}
		st := obj{"sid": s.Sid, "effect": effect, "actions": s.Actions}
		if len(s.Resources)+len(s.Refs) > 0 {
			var res []any
			for _, r := range s.Resources {
				res = append(res, r)
			}
			for _, r := range s.Refs {
				res = append(res, r)
			}
			st["resources"] = res
		}
		if len(s.NotResources) > 0 {
			st["not_resources"] = s.NotResources
		}
		if len(s.Principals) > 0 {
			var ps []obj
			for _, p := range s.Principals {
				ids := make([]any, 0, len(p.Identifiers)+len(p.Refs))
				for _, id := range p.Identifiers {
					ids = append(ids, id)
				}
				for _, r := range p.Refs {
					ids = append(ids, r)
				}
				ps = append(ps, obj{"type": p.Type, "identifiers": ids})
			}
			st["principals"] = ps
		}
		if len(s.Conditions) > 0 {
			var cs []obj
			for _, c := range s.Conditions {
				var values []any
				for _, v := range c.Values {
					values = append(values, v)
				}
				for _, r := range c.Refs {
					values = append(values, r)
				}
				cs = append(cs, obj{"test": c.Test, "variable": c.Variable, "values": values})
			}
			st["condition"] = cs
		}
		list = append(list, st)
	}
	return ref(m.data(file, "aws_iam_policy_document", name, obj{"statement": list}), "json")
}

// equals and like are the common conditions.
func equals(variable string, values ...string) condition {
	return condition{Test: "StringEquals", Variable: variable, Values: values}
}

func like(variable string, values ...string) condition {
	return condition{Test: "StringLike", Variable: variable, Values: values}
}

func null(variable string, isNull bool) condition {
	return condition{Test: "Null", Variable: variable, Values: []string{fmt.Sprint(isNull)}}
}
