// Package ec2types is the EC2 instance-type data idpgen sizes and prices
// node pools with: vCPUs, memory, architecture and ENI-limited pod count of
// every instance type, Linux on-demand prices per region, and the spot
// savings assumption per region. The data is generated (zz_generated.go)
// from an upstream snapshot in the Go module cache, dated DataDate; see
// DataSource and package gen.
package ec2types

import (
	"slices"
	"sort"
)

//go:generate go run ./gen/cmd

// Type is one EC2 instance type.
type Type struct {
	Name string
	// Category and Generation are Karpenter's instance-category and
	// instance-generation ("m", 7 for m7i-flex.large).
	Category     string
	Generation   int
	Architecture string // "amd64" or "arm64"
	VCPU         int
	MemoryMiB    int
	// MaxPods is the ENI-limited pod count EKS AMIs and Karpenter
	// configure: ENIs × (IPv4 addresses per ENI − 1) + 2.
	MaxPods int
}

// Lookup returns the named instance type.
func Lookup(name string) (Type, bool) {
	i, ok := index(name)
	if !ok {
		return Type{}, false
	}
	return types[i], true
}

func index(name string) (int, bool) {
	i := sort.Search(len(types), func(i int) bool { return types[i].Name >= name })
	return i, i < len(types) && types[i].Name == name
}

// OnDemandHourly is the Linux on-demand price in USD per hour of the type
// in region; false when the type is not offered there or the region has no
// data.
func OnDemandHourly(region, name string) (float64, bool) {
	i, ok := index(name)
	j := slices.Index(Regions, region)
	if !ok || j < 0 || onDemand[i][j] == 0 {
		return 0, false
	}
	return onDemand[i][j], true
}

// SpotSavingsPercent is the assumed saving of spot over on-demand in
// region, in percent: the median over the region's c, m and r types of
// generation 5 and newer in the snapshot. Spot prices move hourly; this is
// an estimate's assumption, not a quote.
func SpotSavingsPercent(region string) (int, bool) {
	s, ok := spotSavingsPercent[region]
	return s, ok
}

// Shape selects instance types the way a Karpenter NodePool's requirements
// on instance-category, instance-generation (Gt MinGeneration-1) and
// kubernetes.io/arch do.
type Shape struct {
	Categories    []string
	MinGeneration int
	Architectures []string
}

// Allows reports whether the shape admits t.
func (s Shape) Allows(t Type) bool {
	return slices.Contains(s.Categories, t.Category) && t.Generation >= s.MinGeneration && slices.Contains(s.Architectures, t.Architecture)
}

// Offered lists the types the shape admits that are offered in region, by
// name.
func (s Shape) Offered(region string) []Type {
	j := slices.Index(Regions, region)
	var out []Type
	for i, t := range types {
		if s.Allows(t) && j >= 0 && onDemand[i][j] > 0 {
			out = append(out, t)
		}
	}
	return out
}

// Allocatable is what a node of type t offers pods: its capacity minus
// the kubelet and system reservations of the EKS AMIs (and Karpenter's
// defaults for them):
//   - kube-reserved memory: 11 MiB per pod of MaxPods + 255 MiB;
//   - kube-reserved CPU: 6% of the first core, 1% of the second, 0.5% of
//     the third and fourth, 0.25% of every further core;
//   - the hard eviction threshold memory.available: 100 MiB.
//
// DaemonSet pods (CNI, kube-proxy, the mesh's node agents) also take their
// share; they are not counted here, so a request that "fits" may still be
// tight on the smallest type.
func Allocatable(t Type) (cpuMillis, memoryMiB int64) {
	cores := int64(t.VCPU)
	var reserved int64 // in 1/100 millicores for exact quarters of a percent
	for c := int64(1); c <= cores; c++ {
		switch {
		case c == 1:
			reserved += 6000 // 6% of 1000m, ×100
		case c == 2:
			reserved += 1000
		case c <= 4:
			reserved += 500
		default:
			reserved += 250
		}
	}
	cpuMillis = cores*1000 - (reserved+99)/100
	memoryMiB = int64(t.MemoryMiB) - (11*int64(t.MaxPods) + 255) - 100
	return cpuMillis, memoryMiB
}
