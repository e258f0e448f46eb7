package load

import (
	"reflect"
	"strings"

	"cuelang.org/go/cue"

	"github.com/idpgen/idpgen/internal/model"
)

// partial decodes a platform whose CUE has errors confined to some
// services: everything else, and each valid service, is decoded; a service
// with errors keeps only its name and is marked Invalid, so references to
// it still resolve while its own checks are skipped. The result lets the Go
// cross checks report their problems in the same run as CUE's; it is never
// rendered. It returns nil when anything but services failed to decode.
func partial(v cue.Value) *model.Platform {
	p := &model.Platform{Src: v}
	rv := reflect.ValueOf(p).Elem()
	for i := range rv.NumField() {
		f := rv.Type().Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "" || tag == "-" || tag == "services" {
			continue
		}
		fv := v.LookupPath(cue.MakePath(cue.Str(tag)))
		if !fv.Exists() {
			continue
		}
		if fv.Validate(cue.Concrete(true)) != nil || fv.Decode(rv.Field(i).Addr().Interface()) != nil {
			return nil
		}
	}
	p.Services = map[string]*model.Service{}
	iter, err := v.LookupPath(cue.ParsePath("services")).Fields()
	if err != nil {
		return nil
	}
	for iter.Next() {
		name, sv := iter.Selector().Unquoted(), iter.Value()
		svc := &model.Service{}
		if sv.Validate(cue.Concrete(true)) != nil || sv.Decode(svc) != nil {
			svc = &model.Service{Name: name, Invalid: true}
		}
		svc.Src = sv
		p.Services[name] = svc
	}
	setSources(p, v)
	p.Index()
	return p
}
