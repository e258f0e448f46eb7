// Package suggest finds the known name a misspelt one was meant to be, for
// "did you mean" hints in errors.
package suggest

import "strings"

// Closest returns the candidate nearest to name: the smallest edit
// distance (insertions, deletions, substitutions and swaps of two adjacent
// letters), at most one edit per three letters of name and at least one
// (ties go to the first in sorted order), or one that differs only in case. It returns "" when none is close. A candidate whose length
// alone rules it out costs nothing, so a long list is cheap.
func Closest(name string, candidates []string) string {
	limit := max(1, len(name)/3)
	best, bestDist := "", limit+1
	for _, c := range candidates {
		if c == name {
			continue
		}
		d := limit + 1
		if strings.EqualFold(c, name) {
			d = 0
		} else if abs(len(c)-len(name)) <= limit {
			d = distance(name, c, bestDist+1) // exact up to a tie with best
		}
		if d < bestDist || d == bestDist && d <= limit && c < best {
			best, bestDist = c, d
		}
	}
	return best
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// distance is the edit distance between a and b counting a swap of two
// adjacent letters as one edit (optimal string alignment), or any value >=
// bound once it is known to be at least bound.
func distance(a, b string, bound int) int {
	before := make([]int, len(b)+1) // row i-2, for swaps
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], before[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= bound {
			return bound
		}
		before, prev, cur = prev, cur, before
	}
	return prev[len(b)]
}
