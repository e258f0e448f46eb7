// Package cost estimates the monthly AWS cost of each environment from the
// model alone (no emitter runs): the system node group and the workload
// nodes Karpenter would launch, bin-packed from the services' requests, are
// priced from package ec2types (on-demand Linux prices of the region, the
// spot savings assumption for pools that may use spot); the EKS control
// plane, NAT gateways, load balancers, KMS keys and interface endpoints
// are counted from the model and priced from Prices (prices.go: each with
// its source and dates). Usage-based charges (GB processed, NLCU-hours,
// KMS requests) are not known from the model: they are counted as zero,
// and each line says so with the unit price.
package cost

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/ec2types"
	"github.com/idpgen/idpgen/internal/eksversions"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/poolnames"
)

// HoursPerMonth is AWS's own monthly figure (8,760 hours / 12).
const HoursPerMonth = 730

// Report is the estimate of every environment.
type Report struct {
	DataSource    string        `json:"dataSource"`
	DataDate      string        `json:"dataDate"`
	HoursPerMonth int           `json:"hoursPerMonth"`
	Prices        []Price       `json:"prices"` // the prices of what is not EC2, with their sources
	Environments  []Environment `json:"environments"`
}

// Environment is one environment's estimate. Monthly counts the priced
// lines at the expected size (minimum replicas, system group minimum);
// MonthlyMax at the upper bound (HPA maxima, system group maximum).
type Environment struct {
	Name       string    `json:"name"`
	Region     string    `json:"region"`
	Tier       string    `json:"tier"`
	Lines      []Line    `json:"lines"`
	Services   []Service `json:"services"`
	Monthly    float64   `json:"monthlyUSD"`
	MonthlyMax float64   `json:"monthlyMaxUSD"`
}

// Line is one item of an environment's bill. Hourly is the unit price in
// USD, nil where the data has none (then the line is not in the totals).
// Note says what the line leaves out or assumes: usage counted as zero, a
// US East price used for another region.
type Line struct {
	Item       string   `json:"item"`
	Detail     string   `json:"detail"`
	Note       string   `json:"note,omitempty"`
	Quantity   int      `json:"quantity"`
	MaxQty     int      `json:"maxQuantity"`
	Hourly     *float64 `json:"hourlyUSD"`
	Monthly    float64  `json:"monthlyUSD"`
	MonthlyMax float64  `json:"monthlyMaxUSD"`
}

// Priced reports whether the line has a price.
func (l Line) Priced() bool { return l.Hourly != nil }

// Service is a service's share of its pool's workload nodes: the pool's
// cost split by the service's requests, half by CPU and half by memory.
type Service struct {
	Name       string  `json:"name"`
	Pool       string  `json:"pool"`
	Replicas   int     `json:"replicas"`
	MaxReplica int     `json:"maxReplicas"`
	CPUMillis  int64   `json:"cpuMillis"`
	MemoryMiB  int64   `json:"memoryMiB"`
	Monthly    float64 `json:"monthlyUSD"`
	MonthlyMax float64 `json:"monthlyMaxUSD"`
}

// Estimate prices every environment of p, in promotion order.
func Estimate(p *model.Platform) *Report {
	r := &Report{DataSource: ec2types.DataSource, DataDate: ec2types.DataDate, HoursPerMonth: HoursPerMonth, Prices: Prices}
	for _, env := range p.EnvironmentList {
		r.Environments = append(r.Environments, environment(p, env))
	}
	return r
}

func environment(p *model.Platform, env *model.Environment) Environment {
	e := Environment{Name: env.Name, Region: env.Region, Tier: env.Tier}
	fixed := func(item, detail string, n int, key string, usage ...string) {
		if n > 0 {
			e.Lines = append(e.Lines, fixedLine(item, detail, env.Region, n, key, usage...))
		}
	}

	ver, _ := eksversions.Lookup(env.Kubernetes.Version)
	phase := ver.PhaseOn(eksversions.Today())
	eks := PriceEKSStandard
	if phase != eksversions.Standard {
		eks = PriceEKSExtended
	}
	fixed("EKS control plane", "Kubernetes "+env.Kubernetes.Version+", "+string(phase)+" support", 1, eks)
	nat := 1
	if env.Network.NATGateways == "perAZ" {
		nat = env.Network.AvailabilityZones
	}
	fixed("NAT gateways", env.Network.NATGateways, nat, PriceNATHour, PriceNATGB)

	sys := env.Sizing.SystemNodes
	e.Lines = append(e.Lines, priced("System nodes", sys.InstanceType+", on-demand", env.Region, sys.InstanceType, sys.Min, sys.Max))

	// Workload pods, per NodePool.
	k := env.Sizing.Karpenter
	shape := ec2types.Shape{Categories: k.InstanceCategories, MinGeneration: k.MinGeneration, Architectures: k.Architectures}
	offered := shape.Offered(env.Region)
	pools := map[string][]pods{}
	schemes := map[string]bool{}
	for _, svc := range p.ServiceList {
		if svc.Invalid || !svc.Enabled(env.Name) {
			continue
		}
		w := svc.In(env)
		maxN := w.Replicas
		if w.Autoscaling != nil {
			maxN = int(w.Autoscaling.MaxReplicas)
		}
		pool := poolnames.General
		if svc.Capacity == "on-demand" || svc.Kind == model.KindStateful {
			pool = poolnames.OnDemand
		}
		pools[pool] = append(pools[pool], pods{svc.Name, w.Resources.Requests.CPUMillis, w.Resources.Requests.MemoryMiB, w.Replicas, maxN})
		// One NLB per scheme in use (one gateway each; see README, ingress).
		if svc.Public != nil {
			schemes[svc.Public.Scheme] = true
		}
	}
	for _, pool := range []string{poolnames.General, poolnames.OnDemand} {
		ps := pools[pool]
		if len(ps) == 0 {
			continue
		}
		savings := 0
		capacity := "on-demand"
		if pool == poolnames.General && k.Spot {
			savings, _ = ec2types.SpotSavingsPercent(env.Region)
			capacity = "spot"
		}
		exp := pack(ps, offered, env.Region, savings, func(x pods) int { return x.n })
		upper := pack(ps, offered, env.Region, savings, func(x pods) int { return x.max })
		line := Line{Item: "Workload nodes (" + pool + ")", Detail: capacity}
		if exp.typ != "" {
			line.Detail = exp.typ + ", " + capacity
			if savings > 0 {
				line.Detail += " (" + strconv.Itoa(savings) + "% below on-demand)"
			}
			h := exp.hourly
			line.Hourly = &h
		}
		if upper.typ != "" && upper.typ != exp.typ {
			line.Detail += "; at the maximum " + upper.typ
		}
		line.Quantity, line.MaxQty = exp.nodes, upper.nodes
		line.Monthly, line.MonthlyMax = exp.monthly(), upper.monthly()
		e.Lines = append(e.Lines, line)
		for _, x := range ps {
			e.Services = append(e.Services, Service{Name: x.name, Pool: pool, Replicas: x.n, MaxReplica: x.max, CPUMillis: x.cpu, MemoryMiB: x.mem,
				Monthly: exp.share(x, x.n), MonthlyMax: upper.share(x, x.max)})
		}
	}
	slices.SortFunc(e.Services, func(a, b Service) int { return cmp.Compare(a.Name, b.Name) })

	for _, s := range slices.Sorted(maps.Keys(schemes)) {
		fixed("Network load balancers", s, 1, PriceNLBHour, PriceNLCU)
	}
	// The keys the Terraform foundation creates.
	kmsKeys := len(awsnames.For(p, env).KeyAliases(p))
	fixed("KMS keys", "customer managed", kmsKeys, PriceKMSKey, PriceKMSRequests)
	// An interface endpoint is billed per availability zone it has a
	// network interface in: every zone's intra subnet.
	fixed("Interface VPC endpoints", joinComma(env.Network.InterfaceEndpoints), len(env.Network.InterfaceEndpoints)*env.Network.AvailabilityZones, PriceEndpointHour, PriceEndpointGB)

	for _, l := range e.Lines {
		e.Monthly += l.Monthly
		e.MonthlyMax += l.MonthlyMax
	}
	e.Monthly, e.MonthlyMax = cents(e.Monthly), cents(e.MonthlyMax)
	return e
}

// priced is a line of n (up to max) instances of an on-demand type.
func priced(item, detail, region, typ string, n, max int) Line {
	l := Line{Item: item, Detail: detail, Quantity: n, MaxQty: max}
	if h, ok := ec2types.OnDemandHourly(region, typ); ok {
		l.Hourly = &h
		l.Monthly = cents(float64(n) * h * HoursPerMonth)
		l.MonthlyMax = cents(float64(max) * h * HoursPerMonth)
	}
	return l
}

// fixedLine is a line of n items at the price key, with the usage-based
// prices of the item (counted at zero usage) and any US East assumption in
// its note.
func fixedLine(item, detail, region string, n int, key string, usage ...string) Line {
	p := priceOf(key)
	h := p.USD
	if p.Unit == "month" {
		h = p.USD / HoursPerMonth
	}
	m := cents(float64(n) * h * HoursPerMonth)
	l := Line{Item: item, Detail: detail, Quantity: n, MaxQty: n, Hourly: &h, Monthly: m, MonthlyMax: m}
	var notes []string
	assumed := p.assumedIn(region)
	for _, k := range usage {
		u := priceOf(k)
		notes = append(notes, "+ $"+strconv.FormatFloat(u.USD, 'f', -1, 64)+" per "+u.Unit+", counted as 0")
		assumed = assumed || u.assumedIn(region)
	}
	if assumed {
		notes = append(notes, "US East price assumed")
	}
	l.Note = strings.Join(notes, "; ")
	return l
}

func cents(x float64) float64 { return math.Round(x*100) / 100 }

func joinComma(s []string) string { return strings.Join(s, ", ") }
