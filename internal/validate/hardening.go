package validate

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"cuelang.org/go/cue/errors"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/model"
)

// nonPublic are the ranges no public API endpoint may be opened to: they
// are never the source address of a request reaching a public AWS endpoint
// (private, shared, loopback, link-local, multicast and reserved space), or
// are reserved for documentation (RFC 5737, RFC 3849), so a CIDR overlapping
// them is a placeholder or a mistake.
var nonPublic = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "\"this network\" (RFC 1122)"},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private range (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "the carrier-grade NAT range (RFC 6598)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private range (RFC 1918)"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation range (RFC 5737)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private range (RFC 1918)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "the benchmarking range (RFC 2544)"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation range (RFC 5737)"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation range (RFC 5737)"},
	{netip.MustParsePrefix("224.0.0.0/3"), "multicast and reserved space"},
	{netip.MustParsePrefix("::/8"), "reserved IPv6 space"},
	{netip.MustParsePrefix("2001:db8::/32"), "the IPv6 documentation range (RFC 3849)"},
	{netip.MustParsePrefix("fc00::/7"), "IPv6 unique local addresses"},
	{netip.MustParsePrefix("fe80::/10"), "IPv6 link-local"},
	{netip.MustParsePrefix("ff00::/8"), "IPv6 multicast"},
}

// publicAccessCIDRs checks the networks a public API endpoint is open to:
// public address space only, and not all of it.
func publicAccessCIDRs(env *model.Environment, add func(errors.Error)) {
	for i, c := range env.Kubernetes.PublicAccessCIDRs {
		pfx, err := netip.ParsePrefix(c)
		if err != nil {
			continue // the schema (#CIDR) reports it
		}
		sel := fmt.Sprintf("kubernetes.publicAccessCIDRs[%d]", i)
		if pfx.Bits() == 0 {
			add(diag.At(env.Src, sel, "the API endpoint may not be open to the whole internet (%s); list the networks that need it", c))
			continue
		}
		for _, r := range nonPublic {
			if pfx.Overlaps(r.prefix) {
				add(diag.At(env.Src, sel, "%s overlaps %s, %s: no request to the public API endpoint comes from there; list the public egress addresses of the networks that need it (or keep the endpoint private)", c, r.prefix, r.what))
				break
			}
		}
	}
}

// auditLogs are the control-plane log types every environment keeps: who
// called the API (api, audit) and who signed in (authenticator). prod
// keeps all five by default (schemas/aws.cue).
var auditLogs = []string{"api", "audit", "authenticator"}

// controlPlaneLogs checks that an environment keeps the audit logs.
func controlPlaneLogs(env *model.Environment, add func(errors.Error)) {
	var missing []string
	for _, l := range auditLogs {
		if !slices.Contains(env.Kubernetes.ControlPlaneLogs, l) {
			missing = append(missing, fmt.Sprintf("%q", l))
		}
	}
	if len(missing) > 0 {
		add(diag.At(env.Src, "kubernetes.controlPlaneLogs", "control-plane logs must include %s (who called the API and who signed in); add %s", strings.Join(quoted(auditLogs), ", "), strings.Join(missing, ", ")))
	}
}

func quoted(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
