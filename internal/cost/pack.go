package cost

import (
	"cmp"
	"math"
	"slices"

	"github.com/idpgen/idpgen/internal/ec2types"
)

// pods are the replicas of one service: each requests cpu millicores and
// mem MiB; n at the expected size, max at the upper bound.
type pods struct {
	name     string
	cpu, mem int64
	n, max   int
}

// packing is the cheapest way found to run a pool's pods: nodes of one
// instance type, first-fit decreasing.
type packing struct {
	typ      string
	nodes    int
	hourly   float64 // per node, after the spot savings
	cpu, mem int64   // requested in total, for the services' shares
}

func (k packing) monthly() float64 { return cents(float64(k.nodes) * k.hourly * HoursPerMonth) }

// share is the part of the pool's cost that n replicas of x account for:
// half by their share of the requested CPU, half by memory.
func (k packing) share(x pods, n int) float64 {
	if n == 0 || k.nodes == 0 {
		return 0
	}
	var f float64
	parts := 0.0
	if k.cpu > 0 {
		f += float64(int64(n)*x.cpu) / float64(k.cpu)
		parts++
	}
	if k.mem > 0 {
		f += float64(int64(n)*x.mem) / float64(k.mem)
		parts++
	}
	if parts == 0 {
		return 0
	}
	return cents(k.monthly() * f / parts)
}

// pack chooses the instance type whose nodes run all the pods (count
// replicas of each) at the lowest price, trying the types in order of
// their lower bound (the nodes the total requests and pod count need on
// that type) and stopping when no remaining type can beat the best packing
// found. One type per pool is what a consolidated Karpenter pool tends to
// converge to for a steady mix; it is an estimate, not Karpenter's
// scheduler.
func pack(ps []pods, offered []ec2types.Type, region string, savingsPercent int, count func(pods) int) packing {
	var res packing
	npods := 0
	for _, x := range ps {
		c := int64(count(x))
		res.cpu += c * x.cpu
		res.mem += c * x.mem
		npods += count(x)
	}
	if npods == 0 {
		return res
	}
	type candidate struct {
		t          ec2types.Type
		cpu, mem   int64
		hourly     float64
		lowerBound float64 // USD per hour
	}
	var cands []candidate
	for _, t := range offered {
		cpu, mem := ec2types.Allocatable(t)
		if cpu <= 0 || mem <= 0 || t.MaxPods <= 0 {
			continue
		}
		fits := true
		for _, x := range ps {
			if count(x) > 0 && (x.cpu > cpu || x.mem > mem) {
				fits = false
				break
			}
		}
		h, ok := ec2types.OnDemandHourly(region, t.Name)
		if !fits || !ok {
			continue
		}
		h = h * float64(100-savingsPercent) / 100
		n := max(ceilDiv(res.cpu, cpu), ceilDiv(res.mem, mem), ceilDiv(int64(npods), int64(t.MaxPods)))
		cands = append(cands, candidate{t, cpu, mem, h, float64(n) * h})
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(a.lowerBound, b.lowerBound), cmp.Compare(a.t.Name, b.t.Name))
	})

	// Largest pods first; ties by name, for a deterministic result.
	order := slices.Clone(ps)
	slices.SortFunc(order, func(a, b pods) int {
		return cmp.Or(cmp.Compare(b.cpu, a.cpu), cmp.Compare(b.mem, a.mem), cmp.Compare(a.name, b.name))
	})
	best := math.Inf(1)
	for _, c := range cands {
		if c.lowerBound >= best {
			break
		}
		n := firstFit(order, count, c.cpu, c.mem, int64(c.t.MaxPods))
		if cost := float64(n) * c.hourly; cost < best {
			best = cost
			res.typ, res.nodes, res.hourly = c.t.Name, n, c.hourly
		}
	}
	return res
}

// firstFit packs the pods (count replicas of each, largest first) onto
// nodes of allocatable cpu, mem and pod slots, and returns how many nodes
// it opened. Replicas of one service are placed together: as many as fit
// into each open node, then into new ones.
func firstFit(order []pods, count func(pods) int, cpu, mem, slots int64) int {
	type node struct{ cpu, mem, slots int64 }
	var nodes []node
	fit := func(n node, x pods) int64 {
		m := n.slots
		if x.cpu > 0 {
			m = min(m, n.cpu/x.cpu)
		}
		if x.mem > 0 {
			m = min(m, n.mem/x.mem)
		}
		return m
	}
	first := 0 // nodes before it have no pod slot left
	for _, x := range order {
		k := int64(count(x))
		for first < len(nodes) && nodes[first].slots == 0 {
			first++
		}
		for i := first; i < len(nodes); i++ {
			if k == 0 {
				break
			}
			if m := min(k, fit(nodes[i], x)); m > 0 {
				nodes[i].cpu -= m * x.cpu
				nodes[i].mem -= m * x.mem
				nodes[i].slots -= m
				k -= m
			}
		}
		for k > 0 {
			n := node{cpu, mem, slots}
			m := min(k, fit(n, x))
			n.cpu -= m * x.cpu
			n.mem -= m * x.mem
			n.slots -= m
			k -= m
			nodes = append(nodes, n)
		}
	}
	return len(nodes)
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }
