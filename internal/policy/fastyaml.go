package policy

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
)

// decodeDoc parses one YAML document into maps, lists and scalars. Most
// of the tree was written by tree's fast YAML writer in yaml.v2's block
// layout, which readBlock reads about ten times faster than a YAML
// library (parsing was the largest cost of the policy evaluation); any
// other construct (block or folded scalars, flow collections, anchors,
// floats, escapes) makes it give up, and yaml.v3 parses the document.
// TestFastDecodeMatchesYAML compares both on every document of the
// example tree.
func decodeDoc(doc []byte) (map[string]any, error) {
	if m, ok := fastDecode(string(doc)); ok {
		return m, nil
	}
	if m, ok := jsonDecode(doc); ok {
		return m, nil // the inline patches of kustomizations are JSON
	}
	var m map[string]any
	err := yamlv3.Unmarshal(doc, &m)
	return m, err
}

type line struct {
	indent int
	text   string // without the indentation
}

func fastDecode(doc string) (map[string]any, bool) {
	var lines []line
	for l := range strings.SplitSeq(doc, "\n") {
		t := strings.TrimLeft(l, " ")
		if t == "" || t[0] == '#' {
			continue
		}
		lines = append(lines, line{len(l) - len(t), strings.TrimRight(t, " ")})
	}
	if len(lines) == 0 {
		return nil, false
	}
	r := &blockReader{lines: lines}
	v, ok := r.value(0)
	m, isMap := v.(map[string]any)
	if !ok || !isMap || r.i != len(lines) {
		return nil, false
	}
	return m, true
}

type blockReader struct {
	lines []line
	i     int
}

// value reads the collection starting at the current line, at indent.
func (r *blockReader) value(indent int) (any, bool) {
	if r.i >= len(r.lines) || r.lines[r.i].indent != indent {
		return nil, false
	}
	if isItem(r.lines[r.i].text) {
		return r.seq(indent)
	}
	return r.mapping(indent, "")
}

// mapping reads "key: value" lines at indent. first, when set, is the
// first entry's text (after a sequence's "- ").
func (r *blockReader) mapping(indent int, first string) (any, bool) {
	m := map[string]any{}
	for {
		var text string
		switch {
		case first != "":
			text, first = first, ""
		case r.i < len(r.lines) && r.lines[r.i].indent == indent && !isItem(r.lines[r.i].text):
			text = r.lines[r.i].text
			r.i++
		default:
			return m, true
		}
		key, rest, ok := splitKey(text)
		if !ok {
			return nil, false
		}
		if _, dup := m[key]; dup {
			return nil, false
		}
		if rest != "" {
			v, ok := scalarValue(rest)
			if !ok {
				return nil, false
			}
			m[key] = v
			continue
		}
		// A nested collection: a mapping indented further, or a sequence
		// at the same indentation (yaml.v2 does not indent those).
		if r.i >= len(r.lines) {
			return nil, false
		}
		next := r.lines[r.i]
		switch {
		case next.indent == indent && isItem(next.text):
			v, ok := r.seq(indent)
			if !ok {
				return nil, false
			}
			m[key] = v
		case next.indent > indent:
			v, ok := r.value(next.indent)
			if !ok {
				return nil, false
			}
			m[key] = v
		default:
			return nil, false // "key:" with nothing: null, left to yaml.v3
		}
	}
}

// seq reads "- item" lines at indent.
func (r *blockReader) seq(indent int) (any, bool) {
	s := []any{}
	for r.i < len(r.lines) && r.lines[r.i].indent == indent && isItem(r.lines[r.i].text) {
		text := r.lines[r.i].text
		if !strings.HasPrefix(text, "- ") {
			return nil, false
		}
		item := text[2:]
		r.i++
		if _, _, isKey := splitKey(item); isKey {
			v, ok := r.mapping(indent+2, item)
			if !ok {
				return nil, false
			}
			s = append(s, v)
			continue
		}
		if isItem(item) {
			return nil, false // a sequence in a sequence
		}
		v, ok := scalarValue(item)
		if !ok {
			return nil, false
		}
		s = append(s, v)
	}
	return s, true
}

// isItem reports whether a line is a sequence entry.
func isItem(text string) bool { return text == "-" || strings.HasPrefix(text, "- ") }

// splitKey splits "key: rest" or "key:" (a plain, single-quoted, or
// double-quoted key without escapes: yaml.v2 double-quotes a key that
// would read as a number, such as a port in portLevelMtls).
func splitKey(text string) (key, rest string, ok bool) {
	if q := text[:min(1, len(text))]; q == "'" || q == "\"" {
		end := strings.Index(text[1:], q)
		if end < 0 || strings.Contains(text[1:end+1], "''") || strings.Contains(text[1:end+1], "\\") {
			return "", "", false
		}
		key, text = text[1:end+1], text[end+2:]
		if text == ":" {
			return key, "", true
		}
		if !strings.HasPrefix(text, ": ") {
			return "", "", false
		}
		return key, text[2:], true
	}
	if strings.HasPrefix(text, "? ") {
		return "", "", false
	}
	if k, ok := strings.CutSuffix(text, ":"); ok && !strings.Contains(k, ": ") {
		return k, "", plainKey(k)
	}
	k, rest, found := strings.Cut(text, ": ")
	if !found || !plainKey(k) {
		return "", "", false
	}
	return k, rest, true
}

func plainKey(k string) bool {
	return k != "" && !strings.ContainsAny(k, "#{}[]&*!|>'\"%@`,") && !strings.HasPrefix(k, "- ")
}

// scalarValue reads a scalar as yaml.v2 writes it: plain, single-quoted
// or double-quoted without escapes; empty flow collections.
func scalarValue(s string) (any, bool) {
	switch s {
	case "{}":
		return map[string]any{}, true
	case "[]":
		return []any{}, true
	case "null", "~":
		return nil, true
	case "true":
		return true, true
	case "false":
		return false, true
	}
	switch s[0] {
	case '\'':
		if len(s) < 2 || s[len(s)-1] != '\'' {
			return nil, false
		}
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), !strings.Contains(strings.ReplaceAll(s[1:len(s)-1], "''", ""), "'")
	case '"':
		if len(s) < 2 || s[len(s)-1] != '"' || strings.ContainsAny(s[1:len(s)-1], "\\\"") {
			return nil, false
		}
		return s[1 : len(s)-1], true
	case '{', '[', '&', '*', '!', '|', '>', '%', '@', '`', '?':
		return nil, false
	}
	if strings.Contains(s, " #") || strings.Contains(s, ": ") {
		return nil, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && (s == "0" || (s[0] != '0' && s[0] != '+' && !strings.HasPrefix(s, "-0"))) {
		return int(n), true
	}
	// Anything YAML could read as another type (floats, 1.1 booleans,
	// octal, hex, timestamps) is left to yaml.v3.
	if (strings.ContainsAny(s[:1], "0123456789+-.") && numberLike.MatchString(s)) || looksSpecial(s) {
		return nil, false
	}
	return s, true
}

// numberLike matches what YAML 1.1 or 1.2 may resolve to a number or a
// timestamp: floats, sexagesimals, hex, octal, binary, dates.
var numberLike = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$|^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$|^[-+]?0[xXoObB]|^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|^[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$`)

func looksSpecial(s string) bool {
	switch strings.ToLower(s) {
	case "yes", "no", "on", "off", "y", "n", "true", "false", "null", "~", ".inf", ".nan":
		return true
	}
	return false
}

// jsonDecode reads a document that is a JSON object (JSON is YAML) as
// yaml.v3 would: integers as int, other numbers as float64.
func jsonDecode(doc []byte) (map[string]any, bool) {
	trimmed := bytes.TrimSpace(doc)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || dec.More() {
		return nil, false
	}
	v, ok := yamlNumbers(m)
	if !ok {
		return nil, false
	}
	return v.(map[string]any), true
}

// yamlNumbers replaces json.Numbers by what yaml.v3 makes of them; ok is
// false for a number it would read otherwise (an exponent, -0).
func yamlNumbers(v any) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			n, ok := yamlNumbers(e)
			if !ok {
				return nil, false
			}
			x[k] = n
		}
	case []any:
		for i, e := range x {
			n, ok := yamlNumbers(e)
			if !ok {
				return nil, false
			}
			x[i] = n
		}
	case json.Number:
		s := string(x)
		if i, err := strconv.ParseInt(s, 10, 64); err == nil && s != "-0" {
			return int(i), true
		}
		if s == "-0" || strings.ContainsAny(s, "eE") {
			return nil, false
		}
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil
	}
	return v, true
}

var yamlv3Unmarshal = yamlv3.Unmarshal
