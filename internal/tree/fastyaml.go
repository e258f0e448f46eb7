package tree

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"sync"

	yaml "go.yaml.in/yaml/v2"
)

// fastYAML writes the decoded JSON value v (maps, lists, strings,
// json.Number, booleans, null) exactly as yaml.Marshal(toYAML(v)) does,
// without the reflection and event machinery of the YAML library, which
// was the largest cost of a render. It covers the block layout that
// yaml.v2 produces for such values; every scalar's text is yaml.v2's own
// (asked once per distinct string and cached). Where yaml.v2 could lay a
// value out differently (a multi-line string yaml.v2 would not write as a
// literal block, a line long enough to be
// folded at 80 columns, a long key, a float), it reports false and the
// caller uses yaml.v2 for the whole document. TestFastYAMLMatchesYAMLv2
// compares both on every document of the example tree and on random values.
func fastYAML(v any) ([]byte, bool) {
	var b bytes.Buffer
	b.Grow(1024)
	m, ok := v.(object)
	if !ok {
		return nil, false
	}
	if len(m) == 0 {
		return []byte("{}\n"), true
	}
	if !writeMap(&b, m, 0, false) {
		return nil, false
	}
	return b.Bytes(), true
}

// writeMap writes a non-empty mapping whose keys start at column indent.
// With inSeq, the first key follows a "- " already written.
func writeMap(b *bytes.Buffer, m object, indent int, inSeq bool) bool {
	for i, mem := range m {
		k, v := mem.key, mem.val
		if i > 0 || !inSeq {
			writeIndent(b, indent)
		}
		// A key that is long or spans lines (even escaped, in quotes) is
		// written by yaml.v2 as a complex key ("? ").
		kt, ok := scalarText(k)
		if !ok || len(k) > 100 || breaksLine(k) || !fits(k, kt, indent) {
			return false
		}
		b.WriteString(kt)
		b.WriteByte(':')
		if s, ok := v.(string); ok && strings.ContainsRune(s, '\n') {
			if !writeBlock(b, s, indent) {
				return false
			}
			continue
		}
		if !writeValue(b, v, indent, indent+len(kt)+2) {
			return false
		}
	}
	return true
}

// writeValue writes what follows "key:" (or "-"): a scalar or an empty
// collection on the same line, a collection on the next lines. indent is
// the parent's column; col is where an inline scalar would start.
func writeValue(b *bytes.Buffer, v any, indent, col int) bool {
	switch x := v.(type) {
	case object:
		if len(x) == 0 {
			b.WriteString(" {}\n")
			return true
		}
		b.WriteByte('\n')
		return writeMap(b, x, indent+2, false)
	case []any:
		if len(x) == 0 {
			b.WriteString(" []\n")
			return true
		}
		b.WriteByte('\n')
		// yaml.v2 does not indent a sequence below a mapping key.
		return writeSeq(b, x, indent)
	}
	text, ok := scalar(v)
	if !ok || !fits(v, text, col) {
		return false
	}
	b.WriteByte(' ')
	b.WriteString(text)
	b.WriteByte('\n')
	return true
}

// writeSeq writes a non-empty sequence whose dashes are at column indent.
func writeSeq(b *bytes.Buffer, s []any, indent int) bool {
	for _, e := range s {
		writeIndent(b, indent)
		b.WriteByte('-')
		if !writeSeqElem(b, e, indent) {
			return false
		}
	}
	return true
}

// writeSeqElem writes what follows the dash of an element of a sequence
// whose dashes are at column indent.
func writeSeqElem(b *bytes.Buffer, e any, indent int) bool {
	switch x := e.(type) {
	case object:
		if len(x) == 0 {
			b.WriteString(" {}\n")
			return true
		}
		b.WriteByte(' ')
		return writeMap(b, x, indent+2, true)
	case []any:
		if len(x) == 0 {
			b.WriteString(" []\n")
			return true
		}
		// A sequence in a sequence starts on the dash's line.
		b.WriteByte(' ')
		var inner bytes.Buffer
		if !writeSeq(&inner, x, indent+2) {
			return false
		}
		b.Write(inner.Bytes()[indent+2:])
		return true
	}
	return writeValue(b, e, indent, indent+2)
}

// breaksLine reports whether s holds a character YAML breaks a line at.
func breaksLine(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\n' || c == '\r':
			return true
		case c >= 0x80: // NEL, LS and PS are not ASCII: the slow way from here
			return strings.ContainsAny(s[i:], "\r\n\u0085\u2028\u2029")
		}
	}
	return false
}

const spaces = "                                                                "

func writeIndent(b *bytes.Buffer, n int) {
	for n > len(spaces) {
		b.WriteString(spaces)
		n -= len(spaces)
	}
	b.WriteString(spaces[:n])
}

// fits reports whether a scalar written at column col cannot be folded:
// yaml.v2 breaks a line at a space once it has passed 80 columns.
func fits(v any, text string, col int) bool {
	s, isString := v.(string)
	return !isString || !strings.ContainsRune(s, ' ') || col+len(text) <= 80
}

// scalar is the YAML text of a scalar value, as yaml.v2 writes it.
func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "null", true
	case bool:
		return strconv.FormatBool(x), true
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return strconv.FormatInt(n, 10), true
		}
		return "", false // floats: left to yaml.v2
	case string:
		return scalarText(x)
	}
	return "", false
}

// scalarTexts caches yaml.v2's text of each distinct string: a render
// writes the same names, labels and keys thousands of times.
var scalarTexts sync.Map // string → string ("" when not single-line)

// scalarText is yaml.v2's text of the string s (plain, single- or
// double-quoted), or false when it spans lines.
func scalarText(s string) (string, bool) {
	if plainAsIs(s) {
		return s, true
	}
	if t, ok := scalarTexts.Load(s); ok {
		return t.(string), t.(string) != ""
	}
	out, err := yaml.Marshal(s)
	text := strings.TrimSuffix(string(out), "\n")
	if err != nil || strings.Contains(text, "\n") {
		text = ""
	}
	scalarTexts.Store(s, text)
	return text, text != ""
}

// blockTexts caches yaml.v2's layout of each distinct multi-line string
// as a mapping value at column 0: the header after "k:" and the content
// lines, indented relative to the key.
var blockTexts sync.Map // string → string ("" when not a literal block)

// writeBlock writes a multi-line string that follows "key:" at column
// indent the way yaml.v2 does when it chooses a literal block ("|"):
// the content is indented two columns past the key, whatever the key's
// column, so yaml.v2's layout at column 0 is shifted by indent. Any other
// style (a double-quoted string folded over lines) is left to yaml.v2.
func writeBlock(b *bytes.Buffer, s string, indent int) bool {
	t, ok := blockTexts.Load(s)
	if !ok {
		out, err := yaml.Marshal(map[string]string{"k": s})
		text := strings.TrimPrefix(string(out), "k:")
		if err != nil || !strings.HasPrefix(text, " |") {
			text = ""
		}
		blockTexts.Store(s, text)
		t = text
	}
	text := t.(string)
	if text == "" {
		return false
	}
	header, body, _ := strings.Cut(text, "\n")
	b.WriteString(header)
	b.WriteByte('\n')
	for line := range strings.Lines(body) {
		if line != "\n" {
			writeIndent(b, indent)
		}
		b.WriteString(line)
	}
	return true
}

// plainAsIs reports, without asking yaml.v2, whether it writes s plain and
// unchanged: a letter, then letters, digits and "-_./" only, and not a
// word YAML 1.1 reads as a boolean or null. Names, labels and keys, most
// of a render's strings, are such; they skip the cache's hashing.
// TestFastYAMLMatchesYAMLv2 holds it to yaml.v2.
func plainAsIs(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	if c := s[0]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '/') {
			return false
		}
	}
	if len(s) > len("false") {
		return true // longer than any word below
	}
	switch strings.ToLower(s) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
		return false
	}
	return true
}
