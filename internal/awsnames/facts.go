package awsnames

import (
	"maps"
	"slices"
)

// zoneSuffixes are the availability zones of each region the schema
// accepts (#Region), as the letters that follow the region name. Only
// zones open to every account are listed (ap-northeast-1b, for instance, is
// not offered to new accounts). A region missing here is rejected by
// validate with "unknown region" rather than guessed.
var zoneSuffixes = map[string]string{
	"us-east-1":      "abcdf", // us-east-1e lacks current instance types
	"us-east-2":      "abc",
	"us-west-2":      "abcd",
	"eu-west-1":      "abc",
	"eu-west-2":      "abc",
	"eu-central-1":   "abc",
	"eu-north-1":     "abc",
	"ap-southeast-1": "abc",
	"ap-southeast-2": "abc",
	"ap-northeast-1": "acd",
}

// Zones returns the availability zone names of region, in order, and
// whether the region is known.
func Zones(region string) ([]string, bool) {
	s, ok := zoneSuffixes[region]
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(s))
	for _, c := range s {
		out = append(out, region+string(c))
	}
	return out, true
}

// Regions lists the regions Zones knows, sorted.
func Regions() []string { return slices.Sorted(maps.Keys(zoneSuffixes)) }
