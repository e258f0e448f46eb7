package validate

import "testing"

// The longest gap between two runs of a cron schedule, the bound a
// backup's retention is checked against.
func TestLongestGap(t *testing.T) {
	for expr, want := range map[string]int{
		"0 * * * *":     60,
		"*/15 * * * *":  15,
		"0 3 * * *":     24 * 60,
		"30 2,14 * * *": 12 * 60,
		"0 9-17 * * *":  16 * 60, // 17:00 to 09:00
		"0 4 * * 1":     7 * 24 * 60,
		"0 4 * * 1-5":   3 * 24 * 60, // Friday to Monday
		"0 0 1 * *":     31 * 24 * 60,
		"0 0 1 1 *":     366 * 24 * 60, // 2024 is a leap year
		"0 0 1 * 0":     7 * 24 * 60,   // either day field matches
		"0 */6 * * *":   6 * 60,
		"0 12 * * 0,7":  7 * 24 * 60,
		"5/20 * * * *":  20,
		"0 0 29 2 *":    -1,
		"61 * * * *":    -1,
		"0 3 * *":       -1,
		"0 3 * * MON":   -1,
		"0 3-1 * * *":   -1,
		"*/0 * * * *":   -1,
	} {
		got := longestGap(expr)
		if want < 0 {
			if got.err == nil {
				t.Errorf("%q: gap %d, want an error", expr, got.minutes)
			}
			continue
		}
		if got.err != nil || got.minutes != want {
			t.Errorf("%q: gap %d (%v), want %d", expr, got.minutes, got.err, want)
		}
	}
}
