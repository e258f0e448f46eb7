package load

import (
	"reflect"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/load"

	"github.com/idpgen/idpgen/internal/model"
)

// TestSchemaFieldsAreModelFields walks #Platform, optional fields
// included, and requires a model field of the exact same JSON name for
// every schema field: unknownFields rejects any other name, so a schema
// field the model lacks would make every platform that sets it invalid.
func TestSchemaFieldsAreModelFields(t *testing.T) {
	insts := load.Instances([]string{"./schemas"}, &load.Config{Dir: "../.."})
	if err := insts[0].Err; err != nil {
		t.Fatal(err)
	}
	ctx := cuecontext.New()
	v := ctx.BuildInstance(insts[0]).LookupPath(cue.ParsePath("#Platform"))
	// An element of a map or list: a pattern's value, found by adding one.
	// Keys are constrained (names, versions, variable names): try each.
	probeKeys := []string{"x-1", "1.0.0", "X_1", "example.com", "K8sX1"}
	oneElem := ctx.CompileString(`[_]`)
	if err := v.Err(); err != nil {
		t.Fatal(err)
	}
	seen := 0
	var walk func(v cue.Value, ty reflect.Type, path string)
	walk = func(v cue.Value, ty reflect.Type, path string) {
		for ty.Kind() == reflect.Pointer {
			ty = ty.Elem()
		}
		switch ty.Kind() {
		case reflect.Struct:
			if d, ok := v.Default(); ok {
				v = d
			}
			if ty == reflect.TypeFor[cue.Value]() {
				return
			}
			// A choice of a shorthand and a struct (writablePaths: a path
			// or {path, sizeLimitMiB}): the struct arm holds the fields.
			v = structArm(v)
			iter, err := v.Fields(cue.Optional(true))
			if err != nil {
				t.Errorf("%s: %v", path, err)
				return
			}
			fields := jsonFields(ty)
			for iter.Next() {
				name := iter.Selector().Unquoted()
				seen++
				ft, ok := fields.byName[name]
				if !ok {
					t.Errorf("schema field %s.%s has no model field (%s has %s)", path, name, ty, strings.Join(fields.names, ", "))
					continue
				}
				walk(iter.Value(), ft, path+"."+name)
			}
		case reflect.Map:
			// Declared keys (kubernetes.addons) and the pattern, if any.
			n := 0
			if iter, err := v.Fields(cue.Optional(true)); err == nil {
				for iter.Next() {
					walk(iter.Value(), ty.Elem(), path+"."+iter.Selector().String())
					n++
				}
			}
			for _, k := range probeKeys {
				p := cue.MakePath(cue.Str(k))
				if elem := v.FillPath(p, ctx.CompileString("_")).LookupPath(p); elem.Err() == nil {
					walk(elem, ty.Elem(), path+".*")
					return
				}
			}
			if n == 0 {
				t.Errorf("%s: no key fits the map's pattern", path)
			}
		case reflect.Slice:
			walk(v.Unify(oneElem).LookupPath(cue.MakePath(cue.Index(0))), ty.Elem(), path+"[*]")
		}
	}
	walk(v, reflect.TypeFor[model.Platform](), "#Platform")
	if seen < 100 {
		t.Errorf("walked only %d schema fields; the walk no longer reaches the schema", seen)
	}
}

// structArm is the struct alternative of a disjunction such as
// string | #WritablePath (possibly unified with other conjuncts), or v.
func structArm(v cue.Value) cue.Value {
	switch op, args := v.Expr(); op {
	case cue.OrOp:
		for _, a := range args {
			if a.IncompleteKind() == cue.StructKind {
				return a
			}
		}
	case cue.AndOp:
		for _, a := range args {
			if arm := structArm(a); arm != a {
				return arm
			}
		}
	}
	return v
}
