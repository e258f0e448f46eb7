package tree

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"
)

// typedYAML writes the YAML document of a typed value o (a k8s.io/api
// object, a local CRD struct, a map) exactly as
// fastYAML(dropServerFields(direct(o))) does, walking o once: most of what
// a render encodes is typed objects, and building the intermediate value
// of direct was half of encoding them (and most of a render's garbage).
// Values with their own JSON encoding (a Quantity, a Time, an
// IntOrString) go through direct and the generic writer; anything the
// generic path would refuse makes it report false, and the caller takes
// that path. TestRenderIsDeterministic (internal/render) holds whole
// renders to the reference encoding through encoding/json, and
// TestFastYAMLMatchesYAMLv2 holds it to yaml.v2 on random values.
func typedYAML(o any) ([]byte, bool) {
	v := reflect.ValueOf(o)
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && !v.IsNil() {
		v = v.Elem()
	}
	if !v.IsValid() || (v.Kind() != reflect.Struct && v.Kind() != reflect.Map) || marshalersOf(v.Type()) != 0 {
		return nil, false
	}
	if v.Kind() == reflect.Map && v.IsNil() {
		return nil, false // null: yaml.v2's
	}
	var b bytes.Buffer
	b.Grow(1024)
	n, ok := writeTypedMap(&b, v, 0, false, asDocument)
	switch {
	case !ok:
		return nil, false
	case n == 0:
		return []byte("{}\n"), true
	}
	return b.Bytes(), true
}

// strip says which members dropServerFields removes below a mapping.
type strip int

const (
	keepAll          strip = iota
	asDocument             // a document: a Kubernetes object once apiVersion and kind are strings
	asTemplate             // an object template: no status; metadata as asMetadata
	asMetadata             // metadata: no null creationTimestamp
	asSpec                 // spec: template and volumeClaimTemplates are objects
	asClaimTemplates       // a list of objects (volumeClaimTemplates)
)

// writeTypedMap writes the members of struct or map v as writeMap writes
// an object's, and returns how many it wrote (none: the caller writes
// {}).
func writeTypedMap(b *bytes.Buffer, v reflect.Value, indent int, inSeq bool, mode strip) (int, bool) {
	n := 0
	isK8s, sawAPIVersion, sawKind := false, false, false
	member := func(key string, fv reflect.Value, m int) bool {
		child := keepAll
		switch mode {
		case asDocument:
			switch key {
			case "apiVersion", "kind":
				// Sorted: both come before metadata, spec and status.
				if s, ok := resolvedString(fv, m); ok {
					sawAPIVersion = sawAPIVersion || key == "apiVersion" && s
					sawKind = sawKind || key == "kind" && s
				}
				isK8s = sawAPIVersion && sawKind
			}
			if isK8s {
				child = objectMember(key)
				if key == "status" {
					return true
				}
				if key == "spec" {
					child = asSpec
				}
			}
		case asTemplate:
			if key == "status" {
				return true
			}
			child = objectMember(key)
		case asSpec:
			switch key {
			case "template":
				child = asTemplate
			case "volumeClaimTemplates":
				child = asClaimTemplates
			}
		}
		// Resolve pointers and interfaces: what direct would write for
		// them is their element.
		for m == 0 && (fv.Kind() == reflect.Pointer || fv.Kind() == reflect.Interface) && !fv.IsNil() {
			fv = fv.Elem()
			m = marshalersOf(fv.Type())
		}
		var generic any
		isGeneric := m != 0 || isScalarKind(fv)
		if isGeneric {
			var ok bool
			if generic, ok = directTyped(fv, m); !ok {
				return false
			}
			if mode == asMetadata && key == "creationTimestamp" && generic == nil {
				return true
			}
			if child != keepAll {
				if _, isObj := generic.(object); isObj {
					return false // a template with its own encoding: the generic path strips it
				}
			}
		}
		if n > 0 || !inSeq {
			writeIndent(b, indent)
		}
		n++
		kt, ok := scalarText(key)
		if !ok || len(key) > 100 || breaksLine(key) || !fits(key, kt, indent) {
			return false
		}
		b.WriteString(kt)
		b.WriteByte(':')
		if isGeneric {
			if s, ok := generic.(string); ok && strings.ContainsRune(s, '\n') {
				return writeBlock(b, s, indent)
			}
			return writeValue(b, generic, indent, indent+len(kt)+2)
		}
		return writeTypedValue(b, fv, indent, indent+len(kt)+2, child)
	}
	switch v.Kind() {
	case reflect.Struct:
		fields, ok := structFields(v.Type())
		if !ok {
			return 0, false
		}
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
			if !member(f.name, fv, f.marshalers) {
				return 0, false
			}
		}
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return 0, false // integer keys: the generic path
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		m := marshalersOf(v.Type().Elem())
		for _, k := range keys {
			if !utf8.ValidString(k.String()) || !member(k.String(), v.MapIndex(k), m) {
				return 0, false
			}
		}
	default:
		return 0, false
	}
	return n, true
}

// objectMember is what an object's member is stripped of: metadata loses a
// null creationTimestamp.
func objectMember(key string) strip {
	if key == "metadata" {
		return asMetadata
	}
	return keepAll
}

// resolvedString reports whether what direct writes for fv (with
// marshalers m) is a string: ok is false when that cannot be told
// cheaply, and the caller does not rely on it.
func resolvedString(fv reflect.Value, m int) (isString, ok bool) {
	for m == 0 && (fv.Kind() == reflect.Pointer || fv.Kind() == reflect.Interface) && !fv.IsNil() {
		fv = fv.Elem()
		m = marshalersOf(fv.Type())
	}
	e, ok := directTyped(fv, m)
	if !ok {
		return false, false
	}
	_, isString = e.(string)
	return isString, true
}

// isScalarKind reports whether direct writes v as a scalar (or null), or
// as a byte slice's base64 string: the generic writer takes those.
func isScalarKind(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Struct, reflect.Map, reflect.Array:
		return false
	case reflect.Slice:
		e := v.Type().Elem()
		return v.IsNil() || e.Kind() == reflect.Uint8 && !reflect.PointerTo(e).Implements(marshalerType) && !reflect.PointerTo(e).Implements(textMarshalerType)
	}
	return true // scalars, and nil pointers and interfaces
}

// writeTypedValue writes what follows "key:" for a struct, map, slice or
// array v (no marshalers of its own) as writeValue writes an object or a
// list.
func writeTypedValue(b *bytes.Buffer, v reflect.Value, indent, col int, mode strip) bool {
	switch v.Kind() {
	case reflect.Struct, reflect.Map:
		if v.Kind() == reflect.Map && v.IsNil() {
			return writeValue(b, nil, indent, col)
		}
		start := b.Len()
		b.WriteByte('\n')
		n, ok := writeTypedMap(b, v, indent+2, false, mode)
		if !ok {
			return false
		}
		if n == 0 {
			b.Truncate(start)
			b.WriteString(" {}\n")
		}
		return true
	case reflect.Slice, reflect.Array:
		if v.Len() == 0 {
			b.WriteString(" []\n")
			return true
		}
		b.WriteByte('\n')
		// yaml.v2 does not indent a sequence below a mapping key.
		return writeTypedSeq(b, v, indent, mode)
	}
	return false
}

// writeTypedSeq writes a non-empty list whose dashes are at column indent,
// as writeSeq does.
func writeTypedSeq(b *bytes.Buffer, v reflect.Value, indent int, mode strip) bool {
	elem := keepAll
	if mode == asClaimTemplates {
		elem = asTemplate
	}
	m0 := marshalersOf(v.Type().Elem())
	for i := range v.Len() {
		e, m := v.Index(i), m0
		for m == 0 && (e.Kind() == reflect.Pointer || e.Kind() == reflect.Interface) && !e.IsNil() {
			e = e.Elem()
			m = marshalersOf(e.Type())
		}
		writeIndent(b, indent)
		b.WriteByte('-')
		if m != 0 || isScalarKind(e) {
			g, ok := directTyped(e, m)
			if !ok {
				return false
			}
			if _, isObj := g.(object); isObj && elem != keepAll {
				return false
			}
			if !writeSeqElem(b, g, indent) {
				return false
			}
			continue
		}
		switch e.Kind() {
		case reflect.Struct, reflect.Map:
			if e.Kind() == reflect.Map && e.IsNil() {
				if !writeValue(b, nil, indent, indent+2) {
					return false
				}
				continue
			}
			start := b.Len()
			b.WriteByte(' ')
			n, ok := writeTypedMap(b, e, indent+2, true, elem)
			if !ok {
				return false
			}
			if n == 0 {
				b.Truncate(start)
				b.WriteString(" {}\n")
			}
		case reflect.Slice, reflect.Array:
			if e.Len() == 0 {
				b.WriteString(" []\n")
				continue
			}
			// A sequence in a sequence starts on the dash's line.
			b.WriteByte(' ')
			var inner bytes.Buffer
			if !writeTypedSeq(&inner, e, indent+2, keepAll) {
				return false
			}
			b.Write(inner.Bytes()[indent+2:])
		default:
			return false
		}
	}
	return true
}
