// Package netplan lays out an environment's VPC at compile time: which
// availability zones it spans and the CIDR of every subnet. The Terraform
// emitter writes the layout literally and validate reports a layout that
// cannot exist (too small a VPC, too few zones) at the CUE source, so the
// two can never disagree.
package netplan

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/model"
)

// Subnet kinds, in the order they are allocated at equal size.
const (
	Private = "private"
	Public  = "public"
	Intra   = "intra"
)

// Kinds lists the subnet kinds.
var Kinds = []string{Private, Public, Intra}

// Subnet is one subnet of the layout.
type Subnet struct {
	Kind string
	Zone string // e.g. "eu-west-1a"
	CIDR netip.Prefix
}

// Suffix is the zone letter ("a"), used in resource names.
func (s Subnet) Suffix() string { return s.Zone[len(s.Zone)-1:] }

// Layout is the VPC of one environment.
type Layout struct {
	VPC     netip.Prefix
	Zones   []string
	Subnets []Subnet // by kind (Kinds order), then zone
}

// Of returns the subnets of one kind, by zone.
func (l Layout) Of(kind string) []Subnet {
	var out []Subnet
	for _, s := range l.Subnets {
		if s.Kind == kind {
			out = append(out, s)
		}
	}
	return out
}

// Error is a layout that cannot exist. Field is the path of the offending
// value below the environment (e.g. "network.vpcCIDR"), for diag.At.
type Error struct {
	Field string
	Msg   string
}

func (e *Error) Error() string { return e.Field + ": " + e.Msg }

// Plan lays out env's VPC. Subnets are allocated largest first, each at
// the next address aligned to its size, so none overlap and the layout of
// an environment changes only when its network settings do.
func Plan(env *model.Environment) (Layout, error) {
	net := env.Network
	vpc, err := netip.ParsePrefix(net.VPCCIDR)
	if err != nil || !vpc.Addr().Is4() {
		return Layout{}, &Error{"network.vpcCIDR", fmt.Sprintf("%q is not an IPv4 CIDR", net.VPCCIDR)}
	}
	vpc = vpc.Masked()
	zones, ok := awsnames.Zones(env.Region)
	if !ok {
		return Layout{}, &Error{"region", fmt.Sprintf("unknown region %q: idpgen has no availability-zone data for it; supported regions: %s", env.Region, strings.Join(awsnames.Regions(), ", "))}
	}
	if net.AvailabilityZones > len(zones) {
		return Layout{}, &Error{"network.availabilityZones", fmt.Sprintf("region %s has %d availability zones (%s), but %d are asked for", env.Region, len(zones), strings.Join(zones, ", "), net.AvailabilityZones)}
	}
	if net.AvailabilityZones < 2 {
		return Layout{}, &Error{"network.availabilityZones", fmt.Sprintf("EKS needs subnets in at least 2 availability zones, got %d", net.AvailabilityZones)}
	}
	zones = zones[:net.AvailabilityZones]

	prefix := map[string]int{Private: net.Subnets.Private, Public: net.Subnets.Public, Intra: net.Subnets.Intra}
	var need uint64
	for _, k := range Kinds {
		if prefix[k] < 16 || prefix[k] > 28 {
			return Layout{}, &Error{"network.subnets." + k, fmt.Sprintf("AWS subnets are /16 to /28, got /%d", prefix[k])}
		}
		// A subnet larger than the VPC makes need exceed have below.
		need += uint64(len(zones)) << (32 - prefix[k])
	}
	have := uint64(1) << (32 - vpc.Bits())
	if need > have {
		return Layout{}, &Error{"network.vpcCIDR", fmt.Sprintf("%s is too small: %d availability zones of subnets (/%d private, /%d public, /%d intra each) need %d addresses, the VPC has %d; use a larger vpcCIDR or smaller network.subnets",
			vpc, len(zones), prefix[Private], prefix[Public], prefix[Intra], need, have)}
	}

	// Allocate largest first; equal sizes keep the Kinds order.
	order := slices.Clone(Kinds)
	slices.SortStableFunc(order, func(a, b string) int { return prefix[a] - prefix[b] })
	next := ipv4(vpc.Addr())
	alloc := map[string][]Subnet{}
	for _, k := range order {
		size := uint32(1) << (32 - prefix[k])
		for _, z := range zones {
			p := netip.PrefixFrom(fromIPv4(next), prefix[k])
			alloc[k] = append(alloc[k], Subnet{Kind: k, Zone: z, CIDR: p})
			next += size
		}
	}
	l := Layout{VPC: vpc, Zones: zones}
	for _, k := range Kinds {
		l.Subnets = append(l.Subnets, alloc[k]...)
	}
	return l, nil
}

func ipv4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func fromIPv4(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
