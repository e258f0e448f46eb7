package tree

import (
	"encoding"
	"encoding/base64"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// ViaJSON makes the tree encode every object the reference way, through
// json.Marshal and back, instead of walking it directly. Tests render with
// both and require the same bytes; nothing else sets it.
var ViaJSON = false

// direct is what decodeJSON(json.Marshal(v)) gives, computed by walking v
// with reflection instead of writing and parsing JSON: the typed objects
// of a render (k8s.io/api types and local CRD structs) are most of what the
// tree encodes, and the JSON round trip was the largest part of it. It
// follows encoding/json's rules (field names and their precedence through
// embedded structs, omitempty, omitzero, Marshaler and TextMarshaler, byte
// slices, float formatting); where it meets something it does not handle
// the same way (a ",string" field, a map key that is not a string or an
// integer, an invalid string), it reports false and the caller takes the
// JSON path. TestDirectMatchesJSON and the render tests hold it to
// encoding/json.
func direct(v any) (any, bool) {
	if ViaJSON {
		return nil, false
	}
	return directValue(reflect.ValueOf(v))
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	isZeroerType      = reflect.TypeFor[interface{ IsZero() bool }]()
	numberType        = reflect.TypeFor[json.Number]()
)

func directValue(v reflect.Value) (any, bool) {
	if !v.IsValid() {
		return nil, true
	}
	return directTyped(v, marshalersOf(v.Type()))
}

// directTyped is directValue for a value whose type's marshalers m are
// known: a struct field's, a list's or a map's elements' (the type lookup
// per value was a tenth of the encoding).
func directTyped(v reflect.Value, m int) (any, bool) {
	t := v.Type()
	// encoding/json's order: a pointer method only where the value is
	// addressable, MarshalJSON before MarshalText.
	if m != 0 {
		switch {
		case m&ptrMarshaler != 0 && v.CanAddr():
			return marshaled(v.Addr())
		case m&marshaler != 0:
			return marshaled(v)
		case m&ptrTextMarshaler != 0 && v.CanAddr():
			return text(v.Addr())
		case m&textMarshaler != 0:
			return text(v)
		}
	}
	switch v.Kind() {
	case reflect.Bool:
		return v.Bool(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return json.Number(strconv.FormatInt(v.Int(), 10)), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return json.Number(strconv.FormatUint(v.Uint(), 10)), true
	case reflect.Float32:
		return float(v.Float(), 32)
	case reflect.Float64:
		return float(v.Float(), 64)
	case reflect.String:
		s := v.String()
		if t == numberType {
			if s == "" {
				s = "0"
			}
			if _, err := strconv.ParseFloat(s, 64); err != nil {
				return nil, false
			}
			return json.Number(s), true
		}
		return s, utf8.ValidString(s)
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return nil, true
		}
		return directValue(v.Elem())
	case reflect.Struct:
		return directStruct(v)
	case reflect.Map:
		return directMap(v)
	case reflect.Slice:
		if v.IsNil() {
			return nil, true
		}
		if e := t.Elem(); e.Kind() == reflect.Uint8 && !reflect.PointerTo(e).Implements(marshalerType) && !reflect.PointerTo(e).Implements(textMarshalerType) {
			return base64.StdEncoding.EncodeToString(v.Bytes()), true
		}
		return directList(v)
	case reflect.Array:
		return directList(v)
	}
	return nil, false // channels, functions, complex numbers: json.Marshal fails on them
}

// The ways a type encodes itself, found once per type.
const (
	ptrMarshaler = 1 << iota
	marshaler
	ptrTextMarshaler
	textMarshaler
)

var marshalers sync.Map // reflect.Type → int

func marshalersOf(t reflect.Type) int {
	// Predeclared types (string, bool, the numbers) have no methods: most
	// values of a render are theirs, and the map lookup was a tenth of
	// the encoding.
	if t.Kind() <= reflect.Float64 || t.Kind() == reflect.String {
		if t.PkgPath() == "" && t.Name() != "" {
			return 0
		}
	}
	if m, ok := marshalers.Load(t); ok {
		return m.(int)
	}
	m := 0
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(marshalerType) {
		m |= ptrMarshaler
	}
	if t.Implements(marshalerType) {
		m |= marshaler
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(textMarshalerType) {
		m |= ptrTextMarshaler
	}
	if t.Implements(textMarshalerType) {
		m |= textMarshaler
	}
	marshalers.Store(t, m)
	return m
}

func marshaled(v reflect.Value) (any, bool) {
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return nil, true
	}
	j, err := v.Interface().(json.Marshaler).MarshalJSON()
	if err != nil {
		return nil, false
	}
	out, err := decodeJSON(j) // only compact JSON: anything else goes the JSON way
	return out, err == nil
}

func text(v reflect.Value) (any, bool) {
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return nil, true
	}
	b, err := v.Interface().(encoding.TextMarshaler).MarshalText()
	if err != nil || !utf8.Valid(b) {
		return nil, false
	}
	return string(b), true
}

// float formats f as encoding/json does (ES6 number formatting).
func float(f float64, bits int) (any, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b := strconv.AppendFloat(nil, f, format, -1, bits)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return json.Number(b), true
}

func directList(v reflect.Value) (any, bool) {
	out := make([]any, v.Len())
	m := marshalersOf(v.Type().Elem())
	for i := range out {
		e, ok := directTyped(v.Index(i), m)
		if !ok {
			return nil, false
		}
		out[i] = e
	}
	return out, true
}

func directMap(v reflect.Value) (any, bool) {
	if v.IsNil() {
		return nil, true
	}
	out := make(object, 0, v.Len())
	m := marshalersOf(v.Type().Elem())
	for it := v.MapRange(); it.Next(); {
		var key string
		switch k := it.Key(); k.Kind() {
		case reflect.String:
			key = k.String()
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			if k.Type().Implements(textMarshalerType) {
				return nil, false
			}
			key = strconv.FormatInt(k.Int(), 10)
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			if k.Type().Implements(textMarshalerType) {
				return nil, false
			}
			key = strconv.FormatUint(k.Uint(), 10)
		default:
			return nil, false
		}
		if !utf8.ValidString(key) {
			return nil, false
		}
		e, ok := directTyped(it.Value(), m)
		if !ok {
			return nil, false
		}
		out = append(out, member{key, e})
	}
	slices.SortFunc(out, func(a, b member) int { return strings.Compare(a.key, b.key) })
	return out, true
}

func directStruct(v reflect.Value) (any, bool) {
	fields, ok := structFields(v.Type())
	if !ok {
		return nil, false
	}
	out := make(object, 0, len(fields))
fields:
	for _, f := range fields { // sorted by name
		fv := v
		for i, x := range f.index {
			if i > 0 && fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue fields // a field of a nil embedded pointer
				}
				fv = fv.Elem()
			}
			fv = fv.Field(x)
		}
		if f.omitEmpty && isEmpty(fv) || f.omitZero && f.isZero(fv) {
			continue
		}
		e, ok := directTyped(fv, f.marshalers)
		if !ok {
			return nil, false
		}
		out = append(out, member{f.name, e})
	}
	return out, true
}

// isEmpty is encoding/json's omitempty test.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// field is one JSON member of a struct type.
type field struct {
	name      string
	index     []int
	typ       reflect.Type
	tagged    bool
	omitEmpty bool
	omitZero  bool
	// marshalers are typ's (marshalersOf).
	marshalers int
}

// isZero is encoding/json's omitzero test: the type's IsZero method where
// it has one, else the zero value.
func (f field) isZero(v reflect.Value) bool {
	t := f.typ
	switch {
	case t.Kind() == reflect.Interface && t.Implements(isZeroerType):
		return v.IsNil() || v.Elem().Kind() == reflect.Pointer && v.Elem().IsNil() ||
			v.Interface().(interface{ IsZero() bool }).IsZero()
	case t.Kind() == reflect.Pointer && t.Implements(isZeroerType):
		return v.IsNil() || v.Interface().(interface{ IsZero() bool }).IsZero()
	case t.Implements(isZeroerType):
		return v.Interface().(interface{ IsZero() bool }).IsZero()
	case reflect.PointerTo(t).Implements(isZeroerType):
		if !v.CanAddr() {
			c := reflect.New(t).Elem()
			c.Set(v)
			v = c
		}
		return v.Addr().Interface().(interface{ IsZero() bool }).IsZero()
	}
	return v.IsZero()
}

type structPlan struct {
	fields []field
	ok     bool
}

var structPlans sync.Map // reflect.Type → structPlan

// structFields lists the JSON members of struct type t, sorted by name,
// with encoding/json's rules: exported fields and the fields of embedded
// structs, renamed by their tag; of the fields sharing a name the
// shallowest wins, at equal depth the only tagged one, else none.
func structFields(t reflect.Type) ([]field, bool) {
	if p, ok := structPlans.Load(t); ok {
		return p.(structPlan).fields, p.(structPlan).ok
	}
	fields, ok := typeFields(t)
	structPlans.Store(t, structPlan{fields, ok})
	return fields, ok
}

func typeFields(t reflect.Type) ([]field, bool) {
	type queued struct {
		typ   reflect.Type
		index []int
	}
	var found []field
	depthOf := map[string]int{}
	visited := map[reflect.Type]bool{}
	next := []queued{{typ: t}}
	for depth := 0; len(next) > 0; depth++ {
		current := next
		next = nil
		for _, q := range current {
			if visited[q.typ] {
				continue
			}
			visited[q.typ] = true
			for i := range q.typ.NumField() {
				sf := q.typ.Field(i)
				if sf.Anonymous {
					ft := sf.Type
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validTag(name) {
					name = ""
				}
				index := append(slices.Clone(q.index), i)
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if name != "" || !sf.Anonymous || ft.Kind() != reflect.Struct {
					f := field{name: name, index: index, typ: sf.Type, tagged: name != "", marshalers: marshalersOf(sf.Type)}
					if f.name == "" {
						f.name = sf.Name
					}
					for o := range strings.SplitSeq(opts, ",") {
						switch o {
						case "omitempty":
							f.omitEmpty = true
						case "omitzero":
							f.omitZero = true
						case "string":
							return nil, false // quoted scalars: left to encoding/json
						}
					}
					found = append(found, f)
					if _, ok := depthOf[f.name]; !ok {
						depthOf[f.name] = depth
					}
					continue
				}
				if slices.ContainsFunc(next, func(n queued) bool { return n.typ == ft }) {
					// The same struct embedded twice at one depth: its
					// fields annihilate each other in encoding/json.
					return nil, false
				}
				next = append(next, queued{ft, index})
			}
		}
	}
	// Dominance: per name, the fields at the shallowest depth; one of them
	// alone, or the only tagged one, else the name is dropped.
	byName := map[string][]field{}
	for _, f := range found {
		if len(f.index)-1 == depthOf[f.name] {
			byName[f.name] = append(byName[f.name], f)
		}
	}
	var out []field
	for _, fs := range byName {
		if len(fs) == 1 {
			out = append(out, fs[0])
			continue
		}
		var tagged []field
		for _, f := range fs {
			if f.tagged {
				tagged = append(tagged, f)
			}
		}
		if len(tagged) == 1 {
			out = append(out, tagged[0])
		}
	}
	slices.SortFunc(out, func(a, b field) int { return strings.Compare(a.name, b.name) })
	return out, true
}

// validTag is encoding/json's test of a tag name.
func validTag(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
