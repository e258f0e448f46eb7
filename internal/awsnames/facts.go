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

// EKS support phases of a Kubernetes version.
const (
	SupportStandard = "standard"
	SupportExtended = "extended" // only with upgrade_policy.support_type = EXTENDED
)

// eksVersions are the Kubernetes minor versions EKS offers, with the
// support phase each is in (EKS user guide, kubernetes-versions, checked
// 2026-11-26: 1.31's extended support ends that day, 1.30 ended 2026-07-23).
var eksVersions = map[string]string{
	"1.32": SupportExtended,
	"1.33": SupportExtended,
	"1.34": SupportStandard,
	"1.35": SupportStandard,
	"1.36": SupportStandard,
}

// EKSVersion returns the support phase of a Kubernetes minor version on
// EKS, and whether EKS offers it at all.
func EKSVersion(v string) (phase string, ok bool) {
	phase, ok = eksVersions[v]
	return phase, ok
}

// EKSVersions lists the offered versions, oldest first.
func EKSVersions() []string { return slices.Sorted(maps.Keys(eksVersions)) }
