package policy

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// patchOp is one RFC 6902 operation.
type patchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value"`
	From  string          `json:"from"`
}

// applyJSONPatch applies RFC 6902 operations to an object in place, on its
// decoded form (marshalling every target to JSON and back cost more than
// the rest of the build). add, remove, replace and test are applied, as
// the json-patch library `kustomize build` uses applies them; move and
// copy, which idpgen does not write, are refused so that the evaluated
// objects never silently differ from the deployed ones.
// TestJSONPatchAgreesWithTheLibrary compares the two.
func applyJSONPatch(obj map[string]any, ops []patchOp) (map[string]any, error) {
	var doc any = obj
	for i, op := range ops {
		var value any
		switch op.Op {
		case "add", "replace", "test":
			if op.Value == nil {
				return nil, fmt.Errorf("operation %d (%s %s): no value", i, op.Op, op.Path)
			}
			m, ok := jsonDecode([]byte(`{"v":` + string(op.Value) + `}`))
			if !ok {
				return nil, fmt.Errorf("operation %d (%s %s): value is not JSON", i, op.Op, op.Path)
			}
			value = m["v"]
		case "remove":
		default:
			return nil, fmt.Errorf("operation %d: %q is not applied by the policy evaluation (internal/policy applyJSONPatch); teach it", i, op.Op)
		}
		tokens, err := pointer(op.Path)
		if err != nil {
			return nil, fmt.Errorf("operation %d (%s): %w", i, op.Op, err)
		}
		if len(tokens) == 0 {
			return nil, fmt.Errorf("operation %d (%s): the whole document cannot be patched here", i, op.Op)
		}
		if doc, err = patchAt(doc, tokens, op.Op, value); err != nil {
			return nil, fmt.Errorf("operation %d (%s %s): %w", i, op.Op, op.Path, err)
		}
	}
	return doc.(map[string]any), nil
}

// pointer splits an RFC 6901 JSON pointer into its unescaped tokens.
func pointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, fmt.Errorf("path %q does not start with /", p)
	}
	tokens := strings.Split(p[1:], "/")
	for i, t := range tokens {
		tokens[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return tokens, nil
}

// patchAt applies op at tokens below node and returns the node, which is
// new when node is a list that grew or shrank.
func patchAt(node any, tokens []string, op string, value any) (any, error) {
	key, last := tokens[0], len(tokens) == 1
	switch n := node.(type) {
	case map[string]any:
		child, exists := n[key]
		if !last {
			if !exists {
				return nil, fmt.Errorf("%s: no such member", key)
			}
			c, err := patchAt(child, tokens[1:], op, value)
			if err != nil {
				return nil, err
			}
			n[key] = c
			return n, nil
		}
		switch op {
		case "add":
			n[key] = value
		case "replace":
			// The library (json-patch v4, as kustomize uses it) replaces
			// a member that does not exist by adding it.
			n[key] = value
		case "remove":
			if !exists {
				return nil, fmt.Errorf("%s: no such member to remove", key)
			}
			delete(n, key)
		case "test":
			if !exists || !sameJSON(child, value) {
				return nil, fmt.Errorf("test failed")
			}
		}
		return n, nil
	case []any:
		if last && op == "add" && key == "-" {
			return append(n, value), nil
		}
		i, err := strconv.Atoi(key)
		if err != nil || i < 0 || (key != "0" && key[0] == '0') {
			return nil, fmt.Errorf("%q is not a list index", key)
		}
		if i > len(n) || (i == len(n) && !(last && op == "add")) {
			return nil, fmt.Errorf("index %d is out of range (%d elements)", i, len(n))
		}
		if !last {
			c, err := patchAt(n[i], tokens[1:], op, value)
			if err != nil {
				return nil, err
			}
			n[i] = c
			return n, nil
		}
		switch op {
		case "add":
			return append(n[:i:i], append([]any{value}, n[i:]...)...), nil
		case "replace":
			n[i] = value
		case "remove":
			return append(n[:i:i], n[i+1:]...), nil
		case "test":
			if !sameJSON(n[i], value) {
				return nil, fmt.Errorf("test failed")
			}
		}
		return n, nil
	}
	return nil, fmt.Errorf("%s: the parent is neither an object nor a list", key)
}

// sameJSON compares two decoded values as JSON (an int and the equal
// float64 are the same number).
func sameJSON(a, b any) bool {
	ja, erra := json.Marshal(a)
	jb, errb := json.Marshal(b)
	return erra == nil && errb == nil && reflect.DeepEqual(ja, jb)
}
