package validate

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"maps"
	"slices"
)

// maxEdits is how far a misspelling may be from the name it suggests.
const maxEdits = 2

// suggester finds, for a misspelt name, the closest known one (edit
// distance at most maxEdits, ties broken alphabetically).
//
// Comparing a misspelling with every known name is quadratic: 10,000
// services each with an unknown dependency took minutes. Instead, every
// known name is indexed under its deletion variants (the name with up to
// maxEdits characters deleted): two names within maxEdits edits always
// share one, so a lookup probes the variants of the misspelling and
// computes the real distance only for the few names found. Variants are
// kept as hashes in one sorted slice: a few megabytes for 10,000 names.
type suggester struct {
	names    []string
	variants []variant // sorted by hash, then name
	seed     maphash.Seed
	memo     map[string]string
}

type variant struct {
	hash uint64
	name int32 // index in names
}

func newSuggester(names []string) *suggester {
	s := &suggester{names: slices.Sorted(slices.Values(names)), seed: maphash.MakeSeed(), memo: map[string]string{}}
	for i, n := range s.names {
		s.eachVariant(n, func(h uint64) { s.variants = append(s.variants, variant{h, int32(i)}) })
	}
	slices.SortFunc(s.variants, func(a, b variant) int {
		return cmp.Or(cmp.Compare(a.hash, b.hash), cmp.Compare(a.name, b.name))
	})
	s.variants = slices.Compact(s.variants)
	return s
}

// eachVariant calls fn with the hash of every string made by deleting up
// to maxEdits (2) bytes of name, name itself included; names are ASCII
// (#Name). The hash of the pieces written one after the other is the hash
// of the string they make, so no variant is allocated.
func (s *suggester) eachVariant(name string, fn func(uint64)) {
	var h maphash.Hash
	h.SetSeed(s.seed)
	sum := func(parts ...string) uint64 {
		h.Reset()
		for _, p := range parts {
			h.WriteString(p)
		}
		return h.Sum64()
	}
	fn(sum(name))
	for i := range len(name) {
		fn(sum(name[:i], name[i+1:]))
		for j := i + 1; j < len(name); j++ {
			fn(sum(name[:i], name[i+1:j], name[j+1:]))
		}
	}
}

// suggest returns the closest known name to name, or "".
func (s *suggester) suggest(name string) string {
	if best, ok := s.memo[name]; ok {
		return best
	}
	best, bestDist := "", maxEdits+1
	checked := map[int32]bool{}
	s.eachVariant(name, func(h uint64) {
		i, _ := slices.BinarySearchFunc(s.variants, h, func(v variant, h uint64) int { return cmp.Compare(v.hash, h) })
		for ; i < len(s.variants) && s.variants[i].hash == h; i++ {
			n := s.variants[i].name
			if checked[n] {
				continue
			}
			checked[n] = true
			k := s.names[n]
			if d := boundedDistance(name, k, bestDist); d < bestDist || d == bestDist && k < best {
				best, bestDist = k, d
			}
		}
	})
	s.memo[name] = best
	return best
}

// lazySuggester builds its index on the first lookup: most platforms
// have no misspelt name at all.
type lazySuggester struct {
	names []string
	s     *suggester
}

func (l *lazySuggester) suggest(name string) string {
	if l.s == nil {
		l.s = newSuggester(l.names)
	}
	return l.s.suggest(name)
}

// didYouMean suggests the closest known name, for typos. For many lookups
// in the same set, build one suggester instead.
func didYouMean[V any](name string, known map[string]V) string {
	return hint(newSuggester(slices.Collect(maps.Keys(known))).suggest(name))
}

func hint(best string) string {
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// distance is the Levenshtein edit distance when it is at most maxEdits,
// and a number above maxEdits otherwise.
func distance(a, b string) int { return boundedDistance(a, b, maxEdits) }

// boundedDistance is the Levenshtein edit distance of a and b when it is
// at most bound, and bound+1 otherwise: it stops as soon as every cell of
// a row exceeds bound, which for most candidates is within a few rows.
func boundedDistance(a, b string, bound int) int {
	if d := len(a) - len(b); d > bound || -d > bound {
		return bound + 1 // at least that many insertions or deletions
	}
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
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > bound {
			return bound + 1
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], bound+1)
}
