package validate

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The index finds exactly what comparing with every name finds.
func TestSuggesterMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abc-1"[r.IntN(5)] // a small alphabet: many near misses
		}
		return string(b)
	}
	var names []string
	for range 300 {
		names = append(names, word(1+r.IntN(8)))
	}
	s := newSuggester(names)
	for range 2000 {
		q := word(1 + r.IntN(9))
		want, wantDist := "", maxEdits+1
		for _, n := range names {
			if d := distance(q, n); d < wantDist || d == wantDist && n < want {
				want, wantDist = n, d
			}
		}
		if got := s.suggest(q); got != want {
			t.Fatalf("suggest(%q) = %q, want %q", q, got, want)
		}
	}
	if got := didYouMean("catalgo", map[string]int{"catalog": 1, "cart": 2}); got != `; did you mean "catalog"?` {
		t.Errorf("didYouMean: %s", got)
	}
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"db", "dbb", 1}, {"catalog", "catalgo", 2}, {"svc-1", "svc-1x", 1}, {"ab", "ba", 2}} {
		if got := distance(tt.a, tt.b); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	for _, tt := range []struct{ a, b string }{{"a", "abcdef"}, {"kitten", "sitting"}, {"abcdef", "badcfe"}} {
		if got := distance(tt.a, tt.b); got != maxEdits+1 {
			t.Errorf("distance(%q, %q) = %d, want %d (beyond the bound)", tt.a, tt.b, got, maxEdits+1)
		}
	}
}

// 10,000 misspelt names among 10,000 known ones: each finds its match.
func TestSuggesterAtScale(t *testing.T) {
	var names []string
	for i := range 10000 {
		names = append(names, fmt.Sprintf("svc-%d", i))
	}
	s := newSuggester(names)
	for i := range 10000 {
		if got, want := s.suggest(fmt.Sprintf("svc-%dx", i)), fmt.Sprintf("svc-%d", i); got != want {
			t.Fatalf("svc-%dx: got %q", i, got)
		}
	}
}
