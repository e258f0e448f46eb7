package eksversions

import (
	"slices"
	"testing"
	"time"
)

// TestTable checks the table's own consistency: dates well formed and in
// order, extended support exactly 12 months after standard support (EKS's
// rule), and everything that follows the cluster version filled in for
// every minor a cluster can still run.
func TestTable(t *testing.T) {
	prev := 0
	for _, v := range All() {
		n, ok := ParseMinor(v.Minor)
		if !ok || n != prev+1 && prev != 0 {
			t.Errorf("%s: minors must be consecutive (after 1.%d)", v.Minor, prev)
		}
		prev = n
		day := func(s string) time.Time {
			d, err := time.Parse(time.DateOnly, s)
			if err != nil {
				t.Errorf("%s: %v", v.Minor, err)
			}
			return d
		}
		rel, std, ext := day(v.EKSRelease), day(v.StandardEnd), day(v.ExtendedEnd)
		if !rel.Before(std) || !std.Before(ext) {
			t.Errorf("%s: release %s, standard end %s, extended end %s out of order", v.Minor, v.EKSRelease, v.StandardEnd, v.ExtendedEnd)
		}
		if !std.AddDate(1, 0, 0).Equal(ext) {
			t.Errorf("%s: extended support ends %s, want 12 months after standard support (%s)", v.Minor, v.ExtendedEnd, std.AddDate(1, 0, 0).Format(time.DateOnly))
		}
		if months := (std.Year()-rel.Year())*12 + int(std.Month()-rel.Month()); months < 13 || months > 15 {
			t.Errorf("%s: %d months of standard support, EKS gives 14", v.Minor, months)
		}
		if v.Approximate && v.Note == "" {
			t.Errorf("%s: approximate dates need a note saying where they come from", v.Minor)
		}
		if v.PhaseOn(Checked) == Ended {
			continue
		}
		if v.AMIAlias == "" {
			t.Errorf("%s: no AMI alias for a minor clusters still run", v.Minor)
		}
		for _, a := range Addons {
			if v.Addons[a] == "" {
				t.Errorf("%s: no version for add-on %s", v.Minor, a)
			}
		}
	}
}

func TestPhases(t *testing.T) {
	v, ok := Lookup("1.34")
	if !ok {
		t.Fatal("1.34 missing")
	}
	for day, want := range map[string]Phase{
		"2026-12-01": Standard,
		"2026-12-02": Extended, // billing starts at the beginning of the end day
		"2027-12-01": Extended,
		"2027-12-02": Ended,
	} {
		if got := v.PhaseOn(day); got != want {
			t.Errorf("1.34 on %s: %s, want %s", day, got, want)
		}
	}
	if got, want := Offered("2026-12-02"), []string{"1.32", "1.33", "1.34", "1.35", "1.36"}; !slices.Equal(got, want) {
		t.Errorf("offered on 2026-12-02: %v, want %v", got, want)
	}
	if _, ok := Lookup("1.37"); ok {
		t.Error("1.37 is listed, but its EKS release was not confirmed")
	}
}

func TestMinors(t *testing.T) {
	for in, want := range map[string]int{"1.35": 35, "1.9": 9} {
		if n, ok := ParseMinor(in); !ok || n != want {
			t.Errorf("ParseMinor(%q) = %d, %v", in, n, ok)
		}
	}
	for _, bad := range []string{"2.1", "1.", "1.x", "135", "1.-3", "1.+3"} {
		if _, ok := ParseMinor(bad); ok {
			t.Errorf("ParseMinor(%q) accepted", bad)
		}
	}
	if n, _ := Next("1.35"); n != "1.36" {
		t.Errorf("Next(1.35) = %s", n)
	}
	if Addon("1.35", "coredns") != AddonDefault || Addon("1.99", "coredns") != AddonDefault {
		t.Error("add-ons default to EKS's default build")
	}
	if AMIAlias("1.35") != "al2023@v20260714" || AMIAlias("1.99") != "" {
		t.Errorf("AMIAlias: %q %q", AMIAlias("1.35"), AMIAlias("1.99"))
	}
}

func TestToday(t *testing.T) {
	t.Setenv(TodayEnv, "2027-04-01")
	if Today() != "2027-04-01" {
		t.Errorf("Today() = %s with %s set", Today(), TodayEnv)
	}
	t.Setenv(TodayEnv, "April")
	if _, err := time.Parse(time.DateOnly, Today()); err != nil || Today() == "April" {
		t.Errorf("a malformed %s is ignored, got %q", TodayEnv, Today())
	}
}
