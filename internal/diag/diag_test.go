package diag_test

import (
	"bytes"
	stderrors "errors"
	"fmt"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/idpgen/idpgen/internal/diag"
)

const src = `services: storefront: {
	autoscaling: {minReplicas: 2, maxReplicas: 10}
	overrides: "prod-use1": autoscaling: minReplicas: 40
	env: "_HIDDEN_LOOKING": "x"
}
`

func value(t *testing.T) cue.Value {
	t.Helper()
	v := cuecontext.New().CompileString(src, cue.Filename("shop.cue"))
	if v.Err() != nil {
		t.Fatal(v.Err())
	}
	return v
}

// emptyError is an error whose text is empty: it must still print
// something.
type emptyError struct{}

func (emptyError) Error() string { return "" }

// Every kind of error becomes entries with a message; nothing is dropped
// and located errors keep their positions.
func TestEntriesNeverEmpty(t *testing.T) {
	v := value(t)
	svc := v.LookupPath(cue.ParsePath("services.storefront"))
	located := diag.At(svc, "autoscaling.minReplicas", "located problem")
	list := errors.Append(diag.At(svc, "autoscaling", "first of a list"), diag.At(svc, "autoscaling.maxReplicas", "second of a list"))
	tests := []struct {
		name string
		err  error
		want []string // entries, as printed
	}{
		{"plain", fmt.Errorf("plain problem"), []string{"plain problem"}},
		{"promoted", errors.Promote(fmt.Errorf("promoted problem"), ""), []string{"promoted problem"}},
		{"cue wrap", errors.Wrapf(fmt.Errorf("inner"), token.NoPos, "outer"), []string{"outer: inner"}},
		{"empty", emptyError{}, []string{"an error without a message (diag_test.emptyError); please report it"}},
		{"joined plain and list", stderrors.Join(fmt.Errorf("a: plain"), list), []string{
			"a: plain",
			"shop.cue:2:2: services.storefront.autoscaling: first of a list",
			"shop.cue:2:32: services.storefront.autoscaling.maxReplicas: second of a list",
		}},
		{"joined list first", stderrors.Join(list, fmt.Errorf("b: plain")), []string{
			"b: plain",
			"shop.cue:2:2: services.storefront.autoscaling: first of a list",
			"shop.cue:2:32: services.storefront.autoscaling.maxReplicas: second of a list",
		}},
		{"wrapped located", fmt.Errorf("terraform: environment dev: %w", located), []string{
			"shop.cue:2:16: services.storefront.autoscaling.minReplicas: terraform: environment dev: located problem",
		}},
		{"wrapped list", fmt.Errorf("ctx: %w", list), []string{
			"shop.cue:2:2: services.storefront.autoscaling: ctx: first of a list",
			"shop.cue:2:32: services.storefront.autoscaling.maxReplicas: ctx: second of a list",
		}},
		{"wrapped join", fmt.Errorf("outer: %w", stderrors.Join(fmt.Errorf("x"), located)), []string{
			"outer: x",
			"shop.cue:2:16: services.storefront.autoscaling.minReplicas: outer: located problem",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range diag.Entries(tt.err) {
				if e.Message == "" {
					t.Errorf("empty message: %+v", e)
				}
				got = append(got, e.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// A label that is not an identifier keeps the position and prints quoted,
// as CUE prints it.
func TestAtPathQuotesLabels(t *testing.T) {
	v := value(t)
	svc := v.LookupPath(cue.ParsePath("services.storefront"))
	for _, tt := range []struct {
		err  errors.Error
		want string
	}{
		{diag.AtPath(svc, diag.Sel("overrides", "prod-use1", "autoscaling", "minReplicas"), "min above max"),
			`shop.cue:3:39: services.storefront.overrides."prod-use1".autoscaling.minReplicas: min above max`},
		// Absent below the override: the deepest value that exists.
		{diag.AtPath(svc, diag.Sel(diag.Sel("overrides", "prod-use1"), "resources"), "absent"),
			`shop.cue:3:13: services.storefront.overrides."prod-use1".resources: absent`},
		{diag.AtPath(svc, diag.Sel("env", "_HIDDEN_LOOKING"), "a variable"),
			`shop.cue:4:7: services.storefront.env."_HIDDEN_LOOKING": a variable`},
		{diag.At(svc, `overrides."prod-use1".autoscaling`, "static"),
			`shop.cue:3:26: services.storefront.overrides."prod-use1".autoscaling: static`},
		// A sel that is not CUE syntax is a bug in the code; the problem
		// is still reported, on the value.
		{diag.At(svc, "overrides.prod-use1", "spliced"),
			`shop.cue:1:11: services.storefront.overrides.prod-use1: spliced`},
	} {
		es := diag.Entries(tt.err)
		if len(es) != 1 || es[0].String() != tt.want {
			t.Errorf("got %q, want %q", es, tt.want)
		}
	}
	if got := diag.Label("prod-use1") + "," + diag.Label("prod"); got != `"prod-use1",prod` {
		t.Errorf("Label: %s", got)
	}
}

// Print lists the first MaxPrinted problems and counts the rest, in both
// formats.
func TestPrintCaps(t *testing.T) {
	var errs errors.Error
	for i := range 250 {
		errs = errors.Append(errs, diag.New(token.NoPos, []string{"services", fmt.Sprintf("svc-%03d", i)}, "problem %d", i))
	}
	for _, format := range []diag.Format{diag.Text, diag.GitHub} {
		var b bytes.Buffer
		diag.Print(&b, errs, format)
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		if len(lines) != diag.MaxPrinted+1 {
			t.Fatalf("%s: %d lines:\n%s", format, len(lines), b.String())
		}
		if !strings.Contains(lines[0], "services.svc-000: problem 0") || !strings.Contains(lines[diag.MaxPrinted-1], "problem 99") {
			t.Errorf("%s: not the first problems in order: %q ... %q", format, lines[0], lines[diag.MaxPrinted-1])
		}
		last := lines[diag.MaxPrinted]
		want := "and 150 more errors (250 in all)"
		if format == diag.GitHub {
			want = "::error title=idpgen::" + want
		}
		if last != want {
			t.Errorf("%s: last line %q, want %q", format, last, want)
		}
	}

	var b bytes.Buffer
	diag.Print(&b, errors.Append(diag.New(token.NoPos, nil, "one"), diag.New(token.NoPos, nil, "two")), diag.Text)
	if b.String() != "one\ntwo\n2 errors\n" {
		t.Errorf("uncapped: %q", b.String())
	}
}
