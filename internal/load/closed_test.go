package load

import (
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"

	"github.com/idpgen/idpgen/internal/model"
)

// TestCUEClosesEverythingBelow is what lets unknownFields leave the fields
// in closedByCUE to CUE: a wrongly cased field added to every struct below
// them in the example platform (each service, environment, team, add-on,
// override, down to resources.requests) must be "field not allowed" in
// CUE itself. Otherwise cue.Value.Decode would take it case-insensitively.
func TestCUEClosesEverythingBelow(t *testing.T) {
	dir, err := filepath.Abs("../../platforms/example")
	if err != nil {
		t.Fatal(err)
	}
	eval := func(extra string) cue.Value {
		cfg := &load.Config{Dir: dir}
		if extra != "" {
			cfg.Overlay = map[string]load.Source{filepath.Join(dir, "zz_injected.cue"): load.FromString(extra)}
		}
		insts := load.Instances([]string{"."}, cfg)
		if err := insts[0].Err; err != nil {
			t.Fatal(err)
		}
		return cuecontext.New().BuildInstance(insts[0])
	}
	v := eval("")
	if err := v.Validate(cue.Concrete(true)); err != nil {
		t.Fatal(err)
	}

	// Every struct path below the closed fields, with list elements left
	// out (CUE syntax cannot add a field to one element).
	var paths [][]string
	var walk func(v cue.Value, ty reflect.Type, path []string)
	walk = func(v cue.Value, ty reflect.Type, path []string) {
		for ty.Kind() == reflect.Pointer {
			ty = ty.Elem()
		}
		switch ty.Kind() {
		case reflect.Struct:
			paths = append(paths, path)
			fields := jsonFields(ty)
			for name, ft := range fields.byName {
				if fv := v.LookupPath(cue.MakePath(cue.Str(name))); fv.Exists() {
					walk(fv, ft, append(slices.Clip(path), name))
				}
			}
		case reflect.Map:
			iter, _ := v.Fields()
			for iter.Next() {
				walk(iter.Value(), ty.Elem(), append(slices.Clip(path), iter.Selector().Unquoted()))
			}
		}
	}
	fields := jsonFields(reflect.TypeFor[model.Platform]())
	for name := range closedByCUE {
		walk(v.LookupPath(cue.MakePath(cue.Str(name))), fields.byName[name], []string{name})
	}
	if len(paths) < 100 {
		t.Fatalf("only %d struct paths in the example platform", len(paths))
	}

	// CUE reports one error per failing struct, and none in a struct that
	// refers to a failing one (limits to requests), so the fields are added
	// in rounds where no path is below another and no two are siblings:
	// one round per depth and position among the siblings.
	type roundKey struct{ depth, sibling int }
	rounds := map[roundKey][][]string{}
	siblings := map[string]int{}
	slices.SortFunc(paths, func(a, b []string) int { return slices.Compare(a, b) })
	for _, p := range paths {
		parent := strings.Join(p[:max(len(p)-1, 0)], "\x00")
		k := roundKey{len(p), siblings[parent]}
		siblings[parent]++
		rounds[k] = append(rounds[k], p)
	}
	for k, round := range rounds {
		depth := k.depth
		var src strings.Builder
		src.WriteString("package example\n\n")
		want := map[string]bool{}
		for _, p := range round {
			quoted := make([]string, len(p))
			for i, sel := range p {
				src.WriteString(strconv.Quote(sel) + ": ")
				quoted[i] = cue.MakePath(cue.Str(sel)).String()
			}
			src.WriteString("zZ: 1\n")
			want[strings.Join(append(quoted, "zZ"), ".")] = true
		}
		got := map[string]bool{}
		for _, e := range errors.Errors(eval(src.String()).Validate(cue.Concrete(true))) {
			if format, _ := e.Msg(); format == "field not allowed" {
				got[strings.Join(e.Path(), ".")] = true
			}
		}
		for p := range want {
			if !got[p] {
				t.Errorf("depth %d: CUE accepts %s: the struct is open (embed its definition in the schema)", depth, p)
			}
		}
	}
}
