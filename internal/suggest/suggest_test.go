package suggest

import "testing"

func TestClosest(t *testing.T) {
	fields := []string{"allowedRegistries", "enforcement", "podSecurity", "requireDigestInProd"}
	for _, c := range []struct {
		name  string
		cands []string
		want  string
	}{
		{"requireDigestInProdd", fields, "requireDigestInProd"},
		{"podsecurity", fields, "podSecurity"},   // case only
		{"enforcment", fields, "enforcement"},    // one deletion
		{"typo", fields, ""},                     // nothing close
		{"velero", []string{"vault", "vpa"}, ""}, // too far
		{"veloro", []string{"velero", "vault"}, "velero"},
		{"wbe", []string{"web", "wes"}, "web"}, // tie: sorted first
		{"x", nil, ""},
		{"web", []string{"web"}, ""}, // itself is no suggestion
	} {
		if got := Closest(c.name, c.cands); got != c.want {
			t.Errorf("Closest(%q, %q) = %q, want %q", c.name, c.cands, got, c.want)
		}
	}
}

func TestDistanceBound(t *testing.T) {
	if d := distance("ab", "ba", 100); d != 1 {
		t.Errorf("a swap: distance = %d, want 1", d)
	}
	if d := distance("kitten", "sitting", 100); d != 3 {
		t.Errorf("distance = %d, want 3", d)
	}
	if d := distance("abcdefgh", "zzzzzzzz", 2); d < 2 {
		t.Errorf("bounded distance = %d, want >= 2", d)
	}
}
