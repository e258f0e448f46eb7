package load

import (
	"reflect"
	"slices"
	"strings"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/errors"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/suggest"
)

// unknownFields reports every regular field of the platform that no field
// of the model takes by its exact JSON name. cue.Value.Decode matches names
// case-insensitively and skips names it does not know, like encoding/json:
// without this check `policy: podsecurity: "privileged"` would bypass the
// schema's constraint on podSecurity and still set it, and a field CUE
// leaves open (the top level of a package that embeds #Platform, see
// schemas/platform.cue) would be ignored without a word.
//
// The fields in closedByCUE embed their definitions in #Platform, so CUE
// itself rejects any field it does not declare, at every depth and in every
// case (TestCUEClosesEverythingBelow proves it for each struct of the
// example platform); walking them again would cost as much as decoding.
// The top level and the rest (catalog) are walked.
//
// skip holds the paths CUE already reported, so that one mistake is one
// error.
func unknownFields(v cue.Value, skip map[string]bool) errors.Error {
	var errs errors.Error
	iter, err := v.Fields()
	if err != nil {
		return nil
	}
	fields := jsonFields(reflect.TypeFor[model.Platform]())
	for iter.Next() {
		name := iter.Selector().Unquoted()
		path := []string{iter.Selector().String()}
		ft, ok := fields.byName[name]
		switch {
		case !ok && !skip[path[0]]:
			errs = errors.Append(errs, notAllowed(iter.Value(), name, path, fields.names))
		case ok && !closedByCUE[name]:
			walkFields(iter.Value(), ft, path, skip, &errs)
		}
	}
	return errs
}

var closedByCUE = map[string]bool{"repo": true, "aws": true, "teams": true, "addons": true, "policy": true, "environments": true, "services": true, "delivery": true}

func walkFields(v cue.Value, t reflect.Type, path []string, skip map[string]bool, errs *errors.Error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == reflect.TypeFor[cue.Value]() {
			return
		}
		iter, err := v.Fields()
		if err != nil {
			return // not a struct: CUE reports the conflict
		}
		fields := jsonFields(t)
		for iter.Next() {
			name := iter.Selector().Unquoted()
			p := append(slices.Clip(path), iter.Selector().String())
			ft, ok := fields.byName[name]
			if !ok {
				if !skip[strings.Join(p, ".")] {
					*errs = errors.Append(*errs, notAllowed(iter.Value(), name, p, fields.names))
				}
				continue
			}
			walkFields(iter.Value(), ft, p, skip, errs)
		}
	case reflect.Map:
		iter, err := v.Fields()
		if err != nil {
			return
		}
		for iter.Next() {
			walkFields(iter.Value(), t.Elem(), append(slices.Clip(path), iter.Selector().String()), skip, errs)
		}
	case reflect.Slice, reflect.Array:
		list, err := v.List()
		if err != nil {
			return
		}
		for i := 0; list.Next(); i++ {
			walkFields(list.Value(), t.Elem(), append(slices.Clip(path), list.Selector().String()), skip, errs)
		}
	}
}

// notAllowed is CUE's own wording for a field the schema does not declare,
// with the closest declared one.
func notAllowed(v cue.Value, name string, path []string, known []string) errors.Error {
	msg := "field not allowed"
	if s := suggest.Closest(name, known); s != "" {
		msg += `; did you mean "` + s + `"?`
	}
	return diag.New(diag.SourcePos(v), path, "%s", msg)
}

type fieldSet struct {
	byName map[string]reflect.Type
	names  []string // sorted
}

var fieldCache sync.Map // reflect.Type -> *fieldSet

// jsonFields maps the JSON names of t's fields to their types, with the
// fields of untagged embedded structs promoted as encoding/json does.
func jsonFields(t reflect.Type) *fieldSet {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.(*fieldSet)
	}
	fs := &fieldSet{byName: map[string]reflect.Type{}}
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case name == "-" || !f.IsExported():
			case name == "" && f.Anonymous && f.Type.Kind() == reflect.Struct:
				add(f.Type)
			case name != "":
				fs.byName[name] = f.Type
				fs.names = append(fs.names, name)
			}
		}
	}
	add(t)
	slices.Sort(fs.names)
	fieldCache.Store(t, fs)
	return fs
}

// modelFieldsAt lists the fields the model declares for the struct at path
// (services.api.resources, as CUE's errors spell it), the candidates for a
// "did you mean".
func modelFieldsAt(path []string) []string {
	t := reflect.TypeFor[model.Platform]()
	for _, sel := range path {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Struct:
			ft, ok := jsonFields(t).byName[sel]
			if !ok {
				return nil
			}
			t = ft
		case reflect.Map, reflect.Slice, reflect.Array:
			t = t.Elem()
		default:
			return nil
		}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	return jsonFields(t).names
}
