// Package eksversions is idpgen's one table of the Kubernetes minor versions
// EKS offers: when each one's standard and extended support end, and what
// follows the cluster version (the EKS managed add-ons and the Karpenter
// node image). The Terraform and Karpenter emitters, the upgrade checks and
// `idpgen upgrade plan` all read it; nothing else hard-codes a version.
//
// The table is dated (Checked). It goes stale: re-check it against Source
// when EKS announces a version, and update Checked.
package eksversions

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Source is the EKS release calendar the dates come from.
const Source = "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html#kubernetes-release-calendar"

// Checked is the day the table was last compared with its sources.
const Checked = "2026-12-02"

// Prices of the control plane per cluster-hour, in USD (Amazon EKS pricing;
// the $0.60 extended-support rate is also the one AWS quotes in its
// extended-support notices). internal/cost prices the same two keys.
const (
	StandardUSDPerHour = 0.10
	ExtendedUSDPerHour = 0.60
)

// Version is one Kubernetes minor on EKS. Dates are YYYY-MM-DD, UTC; an end
// date is the first day no longer covered (EKS bills extended support "from
// the beginning of the day that the version reaches end of standard
// support", and upgrades clusters after the end of extended support).
type Version struct {
	Minor       string
	EKSRelease  string
	StandardEnd string
	ExtendedEnd string
	// Approximate marks dates not confirmed on an AWS page (see Note).
	Approximate bool
	// Note says where the dates come from when it is not Source.
	Note string

	// AMIAlias is the Karpenter EC2NodeClass alias that nodes of a cluster
	// on this minor use unless the environment pins sizing.karpenter.amiAlias.
	// An al2023 alias names an amazon-eks-ami release, which Karpenter
	// resolves to that release's AMI built for the cluster's minor: moving
	// the cluster to the next minor changes the AMI, and Karpenter replaces
	// the nodes (drift).
	AMIAlias string
	// Addons is the version of each EKS managed add-on on this minor:
	// AddonDefault (what EKS marks as default for the minor, resolved by
	// Terraform's aws_eks_addon_version data source with kubernetes_version
	// = Minor, so it moves with the cluster) or a pinned
	// "vX.Y.Z-eksbuild.N" build.
	Addons map[string]string
	// MinKarpenter is the oldest Karpenter release that supports the minor
	// (Karpenter's compatibility matrix, website/content/en/docs/upgrading/
	// compatibility.md, v1.14.1); "" where the matrix was not read.
	MinKarpenter string
}

// AddonDefault selects the build EKS marks as default for the cluster's
// minor (aws eks describe-addon-versions --kubernetes-version MINOR).
const AddonDefault = "default"

// Addons are the EKS managed add-ons every cluster runs, in the order the
// Terraform emitter writes them.
var Addons = []string{"vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns", "aws-ebs-csi-driver"}

// alias20260714 is amazon-eks-ami release v20260714, the release idpgen's
// schema pinned before this table existed; that it ships AL2023 AMIs for
// 1.30 to 1.36 is what the project recorded then (not re-checked against
// the release page on Checked).
const alias20260714 = "al2023@v20260714"

func defaults() map[string]string {
	m := map[string]string{}
	for _, a := range Addons {
		m[a] = AddonDefault
	}
	return m
}

// table holds every minor EKS offered in the two years before Checked.
// 1.29 to 1.34: the EKS user guide's release calendar (Source). 1.35: the
// same dates on endoflife.date/amazon-eks and in aws-samples'
// eks-operation-review calendar (verified there 2026-04-24); the AWS page
// copy read did not list it yet. 1.36: approximate, see its Note. 1.37 is
// not listed: its EKS release was not confirmed on Checked.
var table = []Version{
	{Minor: "1.29", EKSRelease: "2024-01-23", StandardEnd: "2025-03-23", ExtendedEnd: "2026-03-23"},
	{Minor: "1.30", EKSRelease: "2024-05-23", StandardEnd: "2025-07-23", ExtendedEnd: "2026-07-23"},
	{Minor: "1.31", EKSRelease: "2024-09-26", StandardEnd: "2025-11-26", ExtendedEnd: "2026-11-26"},
	{Minor: "1.32", EKSRelease: "2025-01-23", StandardEnd: "2026-03-23", ExtendedEnd: "2027-03-23",
		AMIAlias: alias20260714, Addons: defaults()},
	{Minor: "1.33", EKSRelease: "2025-05-29", StandardEnd: "2026-07-29", ExtendedEnd: "2027-07-29",
		AMIAlias: alias20260714, Addons: defaults()},
	{Minor: "1.34", EKSRelease: "2025-10-02", StandardEnd: "2026-12-02", ExtendedEnd: "2027-12-02",
		AMIAlias: alias20260714, Addons: defaults(), MinKarpenter: "1.6"},
	{Minor: "1.35", EKSRelease: "2026-01-28", StandardEnd: "2027-03-27", ExtendedEnd: "2028-03-27",
		Note:     "dates from endoflife.date/amazon-eks and aws-samples/sample-apex-skills (cluster-lifecycle.md)",
		AMIAlias: alias20260714, Addons: defaults(), MinKarpenter: "1.9"},
	{Minor: "1.36", EKSRelease: "2026-06-02", StandardEnd: "2027-08-02", ExtendedEnd: "2028-08-02",
		Approximate: true,
		Note:        "approximate: EKS release and end of standard support from a third-party blog (the EKS standard-support release notes list 1.36 without dates); end of extended support is standard + 12 months, EKS's rule",
		AMIAlias:    alias20260714, Addons: defaults(), MinKarpenter: "1.13"},
}

// Lookup returns the table's entry for minor ("1.35").
func Lookup(minor string) (Version, bool) {
	for _, v := range table {
		if v.Minor == minor {
			return v, true
		}
	}
	return Version{}, false
}

// All returns every entry, oldest first.
func All() []Version { return slices.Clone(table) }

// Offered lists the minors a cluster can run on day: those not past their
// extended support, oldest first.
func Offered(day string) []string {
	var out []string
	for _, v := range table {
		if v.PhaseOn(day) != Ended {
			out = append(out, v.Minor)
		}
	}
	return out
}

// Phase is where a version is in its EKS life.
type Phase string

const (
	Standard Phase = "standard"
	Extended Phase = "extended"
	Ended    Phase = "ended" // past extended support: EKS upgrades the control plane
)

// PhaseOn is v's phase on day (YYYY-MM-DD, which sorts as text).
func (v Version) PhaseOn(day string) Phase {
	switch {
	case day >= v.ExtendedEnd:
		return Ended
	case day >= v.StandardEnd:
		return Extended
	}
	return Standard
}

// AMIAlias is the node image alias for minor ("" for a minor not in the
// table).
func AMIAlias(minor string) string {
	v, _ := Lookup(minor)
	return v.AMIAlias
}

// Addon is the version of the EKS add-on name on minor: AddonDefault
// unless the table pins one.
func Addon(minor, name string) string {
	v, ok := Lookup(minor)
	if !ok || v.Addons[name] == "" {
		return AddonDefault
	}
	return v.Addons[name]
}

// TodayEnv overrides the clock (YYYY-MM-DD): tests and reproducible CI runs
// set it, so that a support phase does not change under them.
const TodayEnv = "IDPGEN_TODAY"

// Today is the current UTC day, or TodayEnv when set and well formed.
func Today() string {
	if d := os.Getenv(TodayEnv); d != "" {
		if _, err := time.Parse(time.DateOnly, d); err == nil {
			return d
		}
	}
	return time.Now().UTC().Format(time.DateOnly)
}

// ParseMinor returns the minor number of "1.35" (35).
func ParseMinor(v string) (int, bool) {
	major, m, ok := strings.Cut(v, ".")
	if !ok || major != "1" || m == "" || strings.ContainsAny(m, "+-") {
		return 0, false
	}
	n, err := strconv.Atoi(m)
	return n, err == nil && n >= 0
}

// Minor formats a minor number as "1.N".
func Minor(n int) string { return fmt.Sprintf("1.%d", n) }

// Next is the minor after v ("1.36" after "1.35").
func Next(v string) (string, bool) {
	n, ok := ParseMinor(v)
	if !ok {
		return "", false
	}
	return Minor(n + 1), true
}

// MonthlyExtra is the extra cost of one month (730 hours) of extended
// support over standard support, in USD.
func MonthlyExtra() float64 { return (ExtendedUSDPerHour - StandardUSDPerHour) * 730 }
