package tree

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// decodeJSON decodes the output of json.Marshal into objects, slices,
// strings, json.Number, booleans and nil, as a json.Decoder with UseNumber
// does, several times faster: every rendered object goes through it
// (typed object → JSON → the generic value fastYAML writes), and
// encoding/json's reflection-driven decoding into interfaces was a fifth
// of a no-op render. It trusts its input to be json.Marshal's (compact,
// valid); anything it does not expect is an error, and the caller then
// uses encoding/json. A string with escapes is unquoted by encoding/json.
// TestDecodeJSONMatchesEncodingJSON compares both on every document of
// the example tree and on random values.
func decodeJSON(data []byte) (any, error) {
	d := jsonDecoder{data: data}
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	if d.pos != len(d.data) {
		return nil, errUnexpected
	}
	return v, nil
}

var errUnexpected = errors.New("fast JSON decoder: unexpected input")

type jsonDecoder struct {
	data  []byte
	pos   int
	stack []member // members of the objects being decoded
}

// object is a decoded JSON object: its members sorted by key, the order
// YAML output wants. A slice is a fraction of a map's cost to build, and
// the objects of a Kubernetes document are small.
type object []member

type member struct {
	key string
	val any
}

// get is the value of key k, if o has it.
func (o object) get(k string) (any, bool) {
	for _, m := range o {
		if m.key == k {
			return m.val, true
		}
	}
	return nil, false
}

// without is o without the member k.
func (o object) without(k string) object {
	return slices.DeleteFunc(o, func(m member) bool { return m.key == k })
}

func (d *jsonDecoder) value() (any, error) {
	if d.pos >= len(d.data) {
		return nil, errUnexpected
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		return d.string()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		start := d.pos
		for d.pos < len(d.data) {
			c := d.data[d.pos]
			if c == ',' || c == '}' || c == ']' {
				break
			}
			d.pos++
		}
		n := json.Number(d.data[start:d.pos])
		if _, err := n.Float64(); err != nil {
			return nil, errUnexpected
		}
		return n, nil
	}
	return nil, errUnexpected
}

func (d *jsonDecoder) literal(s string) error {
	if !bytes.HasPrefix(d.data[d.pos:], []byte(s)) {
		return errUnexpected
	}
	d.pos += len(s)
	return nil
}

func (d *jsonDecoder) object() (any, error) {
	d.pos++ // {
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return object{}, nil
	}
	// Members are collected on the decoder's stack, shared by every
	// object of the document, and copied out once at their final size.
	base := len(d.stack)
	for {
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, errUnexpected
		}
		k, err := d.string()
		if err != nil {
			return nil, err
		}
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, errUnexpected
		}
		d.pos++
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		d.stack = append(d.stack, member{k, v}) // json.Marshal never repeats a key
		if d.pos >= len(d.data) {
			return nil, errUnexpected
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			o := object(slices.Clone(d.stack[base:]))
			clear(d.stack[base:])
			d.stack = d.stack[:base]
			slices.SortFunc(o, func(a, b member) int { return strings.Compare(a.key, b.key) })
			return o, nil
		default:
			return nil, errUnexpected
		}
	}
}

func (d *jsonDecoder) array() (any, error) {
	d.pos++ // [
	s := []any{}
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return s, nil
	}
	for {
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		s = append(s, v)
		if d.pos >= len(d.data) {
			return nil, errUnexpected
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return s, nil
		default:
			return nil, errUnexpected
		}
	}
}

func (d *jsonDecoder) string() (string, error) {
	start := d.pos
	d.pos++ // "
	escaped := false
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case '\\':
			escaped = true
			d.pos += 2
			continue
		case '"':
			d.pos++
			if !escaped {
				return string(d.data[start+1 : d.pos-1]), nil
			}
			var s string
			if err := json.Unmarshal(d.data[start:d.pos], &s); err != nil {
				return "", err
			}
			return s, nil
		}
		d.pos++
	}
	return "", errUnexpected
}

// objects turns maps into sorted objects, the shape decodeJSON gives.
func objects(v any) any {
	switch x := v.(type) {
	case map[string]any:
		o := make(object, 0, len(x))
		for k, e := range x {
			o = append(o, member{k, objects(e)})
		}
		slices.SortFunc(o, func(a, b member) int { return strings.Compare(a.key, b.key) })
		return o
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = objects(e)
		}
		return out
	}
	return v
}
