// Package secretscan recognises credentials: environment variable names that
// say they hold one, and values that look like one. The same detectors check
// a service's env in the CUE (internal/validate) and, as a last line of
// defence, every rendered file before anything is written (internal/render),
// so that a secret cannot reach generated/ by any path.
//
// Value detectors, each aimed at a credential format rather than at "long
// strings":
//   - AWS access key ids (AKIA…, ASIA…: 4 letters and 16 upper-case
//     letters or digits);
//   - PEM private keys ("-----BEGIN … PRIVATE KEY-----"; certificates and
//     public keys are not secret and pass);
//   - JWTs (three base64url parts, the first two starting "eyJ", i.e. "{");
//   - vendor tokens with a telling prefix (Slack xox?-, GitHub ghp_ and
//     github_pat_, GitLab glpat-, Stripe sk_live_ and rk_live_);
//   - passwords in URLs ("scheme://user:password@host");
//   - high-entropy strings: a run of at least MinEntropyLen characters of
//     the base64/base64url alphabet that mixes upper case, lower case and
//     digits, changes between them often (random text does, words and
//     CamelCase names do not) and carries at least EntropyBits bits of
//     Shannon entropy per character. Hexadecimal runs (git SHAs, image
//     digests, checksums, UUIDs) are deliberately not flagged: they are
//     common, public and indistinguishable from hex tokens, which the name
//     detector catches instead.
package secretscan

import (
	"bytes"
	"math"
	"regexp"
	"strings"
)

// Thresholds of the high-entropy detector (see the package comment and the
// tests' lists of realistic secrets and non-secrets they are tuned on).
const (
	// MinEntropyLen is the shortest run checked for entropy.
	MinEntropyLen = 20
	// EntropyBits is the least Shannon entropy, in bits per character, of
	// a flagged run. A random 20-character base62 string has about 4.0;
	// English words and identifiers stay below 3.7.
	EntropyBits = 3.8
	// minChangeRatio is the least share of adjacent alphanumeric pairs
	// that change class (lower, upper, digit), not counting upper to
	// lower. Random base62 text changes at about 44% of positions,
	// CamelCase identifiers (one change per word) at 10-20%.
	minChangeRatio = 0.3
)

// Finding is one credential found in a value.
type Finding struct {
	Kind  string // what was recognised, e.g. "an AWS access key id"
	Match string // the text recognised
}

// secretWords are the parts of a variable name that say it holds a
// credential, matched on the upper-cased name.
var secretWords = []string{
	"PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "API_KEY", "APIKEY",
	"PRIVATE_KEY", "PRIVATEKEY", "CREDENTIAL", "ACCESS_KEY", "AUTH_KEY",
	"SIGNING_KEY", "ENCRYPTION_KEY", "MASTER_KEY", "SESSION_KEY", "CLIENT_KEY",
}

// locationSuffixes end names that say where a credential is, or something
// about it, rather than holding it: DB_PASSWORD_FILE, TOKEN_URL,
// SECRET_NAME, TOKEN_TTL. Their values still go through the value
// detectors.
var locationSuffixes = []string{
	"_FILE", "_PATH", "_DIR", "_URL", "_URI", "_ENDPOINT", "_HOST", "_PORT",
	"_NAME", "_TTL", "_TIMEOUT", "_EXPIRY", "_LENGTH", "_HEADER", "_REF", "_ENABLED",
}

// Name reports whether a variable called name is meant to hold a
// credential, and the word that says so.
func Name(name string) (word string, ok bool) {
	up := strings.ToUpper(name)
	for _, s := range locationSuffixes {
		if strings.HasSuffix(up, s) {
			return "", false
		}
	}
	for _, w := range secretWords {
		if strings.Contains(up, w) {
			return w, true
		}
	}
	// PWD alone is the shell's working directory.
	if up != "PWD" && (strings.HasSuffix(up, "_PWD") || strings.HasPrefix(up, "PWD_")) {
		return "PWD", true
	}
	return "", false
}

// Literal reports whether value, given to a variable whose name says it is
// a credential, is a credential itself: anything but empty, a boolean, or
// a reference to another variable ($(OTHER), expanded by Kubernetes).
func Literal(value string) bool {
	switch strings.ToLower(value) {
	case "", "true", "false":
		return false
	}
	return !varRef.MatchString(value)
}

var varRef = regexp.MustCompile(`^\$\([A-Za-z_][A-Za-z0-9_.-]*\)$`)

var (
	awsKeyRE = regexp.MustCompile(`\b(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b`)
	pemRE    = regexp.MustCompile(`-----BEGIN ([A-Z0-9 ]*PRIVATE KEY|PGP PRIVATE KEY BLOCK)-----`)
	jwtRE    = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)
	// Tokens whose vendor prefix says what they are (Slack, GitHub,
	// GitLab, Stripe live keys), whatever their entropy.
	vendorRE = regexp.MustCompile(`\b(xox[abprs]-[0-9A-Za-z-]{10,}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}|glpat-[A-Za-z0-9_-]{20,}|[sr]k_live_[A-Za-z0-9]{16,})`)
	// A password in a URL's userinfo; $(VAR) references are not literal.
	urlPassRE = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:([^/\s@]+)@`)
)

// Value returns the first credential found in v.
func Value(v string) (Finding, bool) {
	var f Finding
	found := false
	Scan([]byte(v), func(x Finding) bool {
		f, found = x, true
		return false
	})
	return f, found
}

// Scan calls fn with every credential found in data, in order of detector;
// it stops when fn returns false. It is the hot path of the output scan:
// each regular expression runs only when a cheap byte test says it may
// match, and the entropy test is one pass over the bytes.
func Scan(data []byte, fn func(Finding) bool) {
	if containsAny(data, awsPrefixes) {
		for _, m := range awsKeyRE.FindAll(data, -1) {
			if !fn(Finding{"an AWS access key id", string(m)}) {
				return
			}
		}
	}
	if bytes.Contains(data, []byte("-----BEGIN ")) {
		for _, m := range pemRE.FindAll(data, -1) {
			if !fn(Finding{"a PEM private key", string(m)}) {
				return
			}
		}
	}
	if bytes.Contains(data, []byte("eyJ")) {
		for _, m := range jwtRE.FindAll(data, -1) {
			if !fn(Finding{"a JWT", string(m)}) {
				return
			}
		}
	}
	if containsAny(data, vendorPrefixes) {
		for _, m := range vendorRE.FindAll(data, -1) {
			if !fn(Finding{"a vendor API token", string(m)}) {
				return
			}
		}
	}
	if bytes.Contains(data, []byte("://")) && bytes.Contains(data, []byte("@")) {
		for _, m := range urlPassRE.FindAllSubmatch(data, -1) {
			if varRef.Match(m[1]) {
				continue
			}
			if !fn(Finding{"a password in a URL", string(m[0])}) {
				return
			}
		}
	}
	start := -1
	for i := 0; i <= len(data); i++ {
		if i < len(data) && base64Byte[data[i]] {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= MinEntropyLen {
			run := data[start:i]
			if highEntropy(run) && !fn(Finding{"a high-entropy string", string(run)}) {
				return
			}
		}
		start = -1
	}
}

var (
	awsPrefixes    = [][]byte{[]byte("AKIA"), []byte("ASIA"), []byte("ABIA"), []byte("ACCA")}
	vendorPrefixes = [][]byte{[]byte("xox"), []byte("ghp_"), []byte("gho_"), []byte("ghu_"), []byte("ghs_"), []byte("ghr_"), []byte("github_pat_"), []byte("glpat-"), []byte("k_live_")}
)

func containsAny(data []byte, subs [][]byte) bool {
	for _, s := range subs {
		if bytes.Contains(data, s) {
			return true
		}
	}
	return false
}

var base64Byte = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-" {
		t[c] = true
	}
	return t
}()

const (
	classOther = iota
	classLower
	classUpper
	classDigit
)

func class(c byte) int {
	switch {
	case c >= 'a' && c <= 'z':
		return classLower
	case c >= 'A' && c <= 'Z':
		return classUpper
	case c >= '0' && c <= '9':
		return classDigit
	}
	return classOther
}

// highEntropy applies the thresholds above to one run of base64 bytes.
func highEntropy(run []byte) bool {
	var seen [4]bool
	hex := true
	changes, pairs, prev := 0, 0, classOther
	var counts [256]int
	for _, c := range run {
		counts[c]++
		k := class(c)
		seen[k] = true
		if !(k == classDigit || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '-') {
			hex = false
		}
		if k == classOther {
			continue
		}
		if prev != classOther {
			pairs++
			// Upper to lower is how every capitalised word starts:
			// not counted, so CamelCase names stay low.
			if k != prev && !(prev == classUpper && k == classLower) {
				changes++
			}
		}
		prev = k
	}
	if hex || !seen[classLower] || !seen[classUpper] || !seen[classDigit] {
		return false
	}
	if pairs == 0 || float64(changes)/float64(pairs) < minChangeRatio {
		return false
	}
	return entropy(counts[:], len(run)) >= EntropyBits
}

// entropy is the Shannon entropy, in bits per character, of n characters
// with these counts.
func entropy(counts []int, n int) float64 {
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(n)
			h -= p * math.Log2(p)
		}
	}
	return h
}
