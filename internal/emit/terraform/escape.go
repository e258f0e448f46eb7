package terraform

import (
	"fmt"
	"strings"

	"github.com/idpgen/idpgen/internal/tree"
)

// Terraform evaluates every string of a .tf.json file that sits where an
// expression may be (resource and data arguments, provider settings, output
// values, and the keys of objects there) as a template: "${…}" interpolates
// and "%{…}" is a directive. A string from the model written verbatim would
// therefore be code: a costCenter of `${file("/etc/passwd")}` would put the
// file into tags. encode is the one place every module file is written, and
// it escapes every plain string ("${" -> "$${", "%{" -> "%%{", which
// Terraform reads back as the literal); only expr values, the references
// idpgen writes on purpose, stay templates.
//
// The terraform block and output descriptions are read by Terraform without
// an evaluation context (hcl/v2's literal-only mode, where "$${" would stay
// two dollars), so they are written as they are; they may not hold an expr.

// escaper escapes a literal for a Terraform template.
var escaper = strings.NewReplacer("${", "$${", "%{", "%%{")

// encode writes one module file as JSON, escaping every literal.
func encode(file obj) ([]byte, error) {
	out := obj{}
	for _, key := range sortedKeys(file) {
		v := file[key]
		var err error
		switch key {
		case "terraform":
			err = literalOnly(v, key)
		case "output":
			v, err = outputs(v)
		case "resource", "data", "provider":
			v, err = escape(v, key)
		default:
			// locals, variables, modules…: decide how they are read
			// before writing them.
			err = fmt.Errorf("%s: no escaping rule for this block type", key)
		}
		if err != nil {
			return nil, err
		}
		out[key] = v
	}
	return tree.JSON(out)
}

// outputs escapes the value of each output and leaves its description,
// which Terraform reads literally.
func outputs(v any) (any, error) {
	blocks, ok := v.(obj)
	if !ok {
		return nil, fmt.Errorf("output: %T is not an object", v)
	}
	out := obj{}
	for name, b := range blocks {
		body, ok := b.(obj)
		if !ok {
			return nil, fmt.Errorf("output.%s: %T is not an object", name, b)
		}
		o := obj{}
		for k, x := range body {
			var err error
			if k == "description" {
				err = literalOnly(x, "output."+name+".description")
			} else {
				x, err = escape(x, "output."+name+"."+k)
			}
			if err != nil {
				return nil, err
			}
			o[k] = x
		}
		out[name] = o
	}
	return out, nil
}

// escape returns v with every string escaped and every expr as the
// template it is. An unknown type is an error rather than a string that
// might slip through unescaped.
func escape(v any, at string) (any, error) {
	switch x := v.(type) {
	case nil, bool, int, int32, int64, float64:
		return x, nil
	case string:
		return escaper.Replace(x), nil
	case expr:
		return string(x), nil
	case []string:
		out := make([]string, len(x))
		for i, s := range x {
			out[i] = escaper.Replace(s)
		}
		return out, nil
	case []expr:
		out := make([]string, len(x))
		for i, s := range x {
			out[i] = string(s)
		}
		return out, nil
	case []any:
		return escapeList(x, at)
	case []obj:
		list := make([]any, len(x))
		for i, o := range x {
			list[i] = o
		}
		return escapeList(list, at)
	case obj:
		out := make(obj, len(x))
		for k, e := range x {
			ev, err := escape(e, at+"."+k)
			if err != nil {
				return nil, err
			}
			// Keys of an object are templates too (the tags of a
			// resource); argument names never contain "${" or "%{".
			out[escaper.Replace(k)] = ev
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: cannot encode a %T", at, v)
}

func escapeList(list []any, at string) ([]any, error) {
	out := make([]any, len(list))
	for i, e := range list {
		ev, err := escape(e, fmt.Sprintf("%s[%d]", at, i))
		if err != nil {
			return nil, err
		}
		out[i] = ev
	}
	return out, nil
}

// literalOnly checks that v holds no expr: Terraform would not evaluate it.
func literalOnly(v any, at string) error {
	switch x := v.(type) {
	case nil, bool, int, int32, int64, float64, string, []string:
		return nil
	case obj:
		for k, e := range x {
			if err := literalOnly(e, at+"."+k); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%s: a %T where Terraform reads only literals", at, v)
}
