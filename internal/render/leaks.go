package render

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"sync"

	"cuelang.org/go/cue"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/secretscan"
	"github.com/idpgen/idpgen/internal/tree"
)

// Leaks is the last line of defence against secrets in generated/: every
// rendered file goes through the detectors validate applies to env
// (internal/secretscan), so a credential that reached the output by another
// road (args, a description, an add-on value, a bug in an emitter) fails the
// render, naming the file and the CUE source that produced it. Values a
// service accepted with envNotSecret pass. It runs alongside the emitters'
// verifiers, its files spread over every CPU: one linear pass over the bytes
// of each file, regular expressions only where a cheap test says they may
// match.
func Leaks(p *model.Platform, t *tree.Tree) error {
	files := t.Files()
	found := make([][]error, len(files))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(files); i += workers {
				found[i] = scanFile(p, files[i])
			}
		})
	}
	wg.Wait()
	var errs []error
	for _, f := range found {
		errs = append(errs, f...)
	}
	return errors.Join(errs...)
}

func scanFile(p *model.Platform, f tree.File) []error {
	svc, env := owner(p, f.Path)
	accepted := func(match string) bool {
		if svc == nil {
			return false
		}
		for name := range svc.EnvNotSecret {
			for _, v := range svc.EnvValues(name) {
				if strings.Contains(v, match) {
					return true
				}
			}
		}
		return false
	}
	var errs []error
	report := func(name, format string, args ...any) {
		args = append([]any{f.Path}, args...)
		format = "%s: " + format + "; secrets belong in Vault (a service's secrets), never in generated/"
		switch {
		case svc != nil && name != "" && svc.HasEnv(name):
			errs = append(errs, diag.AtPath(svc.Src, diag.Sel("env", name), format, args...))
		case svc != nil:
			errs = append(errs, diag.AtPath(svc.Src, cue.Path{}, format, args...))
		case env != nil:
			errs = append(errs, diag.AtPath(env.Src, cue.Path{}, format, args...))
		default:
			errs = append(errs, diag.AtPath(p.Src, cue.Path{}, format, args...))
		}
	}
	secretscan.Scan(f.Data, func(x secretscan.Finding) bool {
		if !accepted(x.Match) {
			report("", "found %s (%.8s…)", x.Kind, x.Match)
		}
		return true
	})
	for _, e := range envEntries(f.Data) {
		if _, ok := svc.EnvNotSecretOK(e.name); ok {
			continue
		}
		if word, ok := secretscan.Name(e.name); ok && secretscan.Literal(e.value) {
			report(e.name, "env variable %s is named like a secret (%s) and has a literal value", e.name, word)
		}
	}
	return errs
}

// owner is the service or environment a file of the tree belongs to, by
// the layout the emitters share: base/services/<svc>/…,
// environments/<env>/services/<svc>/…, environments/<env>/….
func owner(p *model.Platform, path string) (*model.Service, *model.Environment) {
	parts := strings.Split(path, "/")
	var env *model.Environment
	if len(parts) > 2 && parts[0] == "environments" {
		env = p.Environments[parts[1]]
		parts = parts[2:]
	} else if len(parts) > 1 && parts[0] == "base" {
		parts = parts[1:]
	}
	if len(parts) > 2 && (parts[0] == "services" || parts[0] == "secrets") {
		if svc := p.Services[parts[1]]; svc != nil {
			return svc, env
		}
	}
	return nil, env
}

type envVar struct{ name, value string }

// envEntries finds container env variables with a literal value as the
// YAML encoder writes them: "- name: X" and, on the next line, indented two
// more, "value: v". A byte search, not a regular expression: it runs on
// every rendered workload.
func envEntries(data []byte) []envVar {
	var out []envVar
	marker := []byte("- name: ")
	for i := 0; ; {
		j := bytes.Index(data[i:], marker)
		if j < 0 {
			return out
		}
		at := i + j
		i = at + len(marker)
		lineStart := bytes.LastIndexByte(data[:at], '\n') + 1
		indent := data[lineStart:at]
		if len(bytes.TrimLeft(indent, " ")) != 0 {
			continue // "- name: " inside a value
		}
		end := bytes.IndexByte(data[i:], '\n')
		if end < 0 {
			return out
		}
		name := string(data[i : i+end])
		next := data[i+end+1:]
		prefix := append(bytes.Repeat([]byte(" "), len(indent)+2), "value: "...)
		if !bytes.HasPrefix(next, prefix) {
			continue
		}
		next = next[len(prefix):]
		if k := bytes.IndexByte(next, '\n'); k >= 0 {
			next = next[:k]
		}
		out = append(out, envVar{name, strings.Trim(string(next), `"'`)})
	}
}
