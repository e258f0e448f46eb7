package cost

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/ec2types"
	"github.com/idpgen/idpgen/internal/model"
)

func ptr[T any](v T) *T { return &v }

// fixture: one environment whose NodePools allow only Graviton m8g types,
// in eu-west-1, with spot; a web service (3 pods of 1 vCPU, 2 GiB; HPA up
// to 7), a worker (1 pod of 0.5 vCPU, 1 GiB, with a bucket) and a database
// (on-demand, 1 pod of 0.25 vCPU, 512 MiB).
func fixture(spot bool) *model.Platform {
	env := &model.Environment{Name: "dev", Tier: "nonprod", Region: "eu-west-1"}
	env.Kubernetes.Version = "1.35"
	env.Network.AvailabilityZones = 3
	env.Network.NATGateways = "perAZ"
	env.Network.InterfaceEndpoints = []string{"sts", "ecr.api"}
	env.Sizing.DefaultReplicas = 1
	env.Sizing.SystemNodes.InstanceType = "m7i.large"
	env.Sizing.SystemNodes.Min, env.Sizing.SystemNodes.Max = 2, 4
	k := &env.Sizing.Karpenter
	k.Spot, k.InstanceCategories, k.MinGeneration, k.Architectures = spot, []string{"m"}, 8, []string{"arm64"}
	p := &model.Platform{
		Environments: map[string]*model.Environment{"dev": env},
		Services: map[string]*model.Service{
			"web": {Name: "web", Kind: model.KindWeb, Capacity: "spot-ok", Public: &model.Exposure{Host: "x.example.com", Scheme: "internet-facing"},
				Resources:   model.Resources{Requests: model.Quantities{CPUMillis: 1000, MemoryMiB: 2048}},
				Autoscaling: &model.Autoscaling{MinReplicas: 3, MaxReplicas: 7}},
			"worker": {Name: "worker", Kind: model.KindWorker, Capacity: "spot-ok",
				Resources: model.Resources{Requests: model.Quantities{CPUMillis: 500, MemoryMiB: 1024}},
				AWS:       model.ServiceAWS{Buckets: []string{"uploads"}}},
			"db": {Name: "db", Kind: model.KindStateful, Capacity: "on-demand", Replicas: ptr(1),
				Resources: model.Resources{Requests: model.Quantities{CPUMillis: 250, MemoryMiB: 512}}},
		},
	}
	p.Index()
	return p
}

func price(t *testing.T, typ string) float64 {
	t.Helper()
	h, ok := ec2types.OnDemandHourly("eu-west-1", typ)
	if !ok {
		t.Fatalf("no price for %s in eu-west-1", typ)
	}
	return h
}

func line(t *testing.T, e Environment, item string) Line {
	t.Helper()
	for _, l := range e.Lines {
		if l.Item == item {
			return l
		}
	}
	t.Fatalf("no line %q in %+v", item, e.Lines)
	return Line{}
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.006 }

// The arithmetic, by hand. Allocatable after the EKS reservations:
// m8g.medium 940m (too small for a 1 vCPU pod), m8g.large 1930m,
// m8g.xlarge 3920m, m8g.2xlarge 7910m.
//   - general pool, expected: web 3 × 1000m + worker 500m = 3500m, 7 GiB
//     → one m8g.xlarge (3920m); three m8g.large would cost 1.5 times as much;
//   - general pool, at the maximum: 7 × 1000m + 500m = 7500m → one
//     m8g.2xlarge (7910m), half the price of two xlarge plus one more;
//   - on-demand pool: db 250m, 512 MiB → one m8g.medium;
//   - system nodes: 2 (4 at most) m7i.large, on-demand;
//   - shares of the general pool: web ½·3000/3500 + ½·6144/7168 = 6/7,
//     worker 1/7.
func TestEstimateArithmetic(t *testing.T) {
	for _, spot := range []bool{false, true} {
		e := Estimate(fixture(spot)).Environments[0]
		factor := 1.0
		if spot {
			s, _ := ec2types.SpotSavingsPercent("eu-west-1")
			factor = float64(100-s) / 100
		}
		general := line(t, e, "Workload nodes (general)")
		if general.Quantity != 1 || general.MaxQty != 1 || general.Detail[:10] != "m8g.xlarge" {
			t.Errorf("spot %v: general pool = %+v, want 1 m8g.xlarge, 1 m8g.2xlarge at the maximum", spot, general)
		}
		wantGeneral := price(t, "m8g.xlarge") * factor * 730
		wantGeneralMax := price(t, "m8g.2xlarge") * factor * 730
		if !near(general.Monthly, wantGeneral) || !near(general.MonthlyMax, wantGeneralMax) {
			t.Errorf("spot %v: general pool costs %.2f (max %.2f), want %.2f (%.2f)", spot, general.Monthly, general.MonthlyMax, wantGeneral, wantGeneralMax)
		}
		onDemand := line(t, e, "Workload nodes (on-demand)")
		if onDemand.Quantity != 1 || !near(onDemand.Monthly, price(t, "m8g.medium")*730) {
			t.Errorf("on-demand pool = %+v, want one m8g.medium at %.2f, never spot", onDemand, price(t, "m8g.medium")*730)
		}
		sys := line(t, e, "System nodes")
		if !near(sys.Monthly, 2*price(t, "m7i.large")*730) || !near(sys.MonthlyMax, 4*price(t, "m7i.large")*730) {
			t.Errorf("system nodes = %+v", sys)
		}
		// 235.78: the fixed items (TestFixedItems).
		if want := sys.Monthly + general.Monthly + onDemand.Monthly + 235.78; !near(e.Monthly, want) {
			t.Errorf("total %.2f, want the priced lines' sum %.2f", e.Monthly, want)
		}
		if want := sys.MonthlyMax + general.MonthlyMax + onDemand.MonthlyMax + 235.78; !near(e.MonthlyMax, want) {
			t.Errorf("total at max %.2f, want %.2f", e.MonthlyMax, want)
		}
		shares := map[string]Service{}
		for _, s := range e.Services {
			shares[s.Name] = s
		}
		if !near(shares["web"].Monthly, general.Monthly*6/7) || !near(shares["worker"].Monthly, general.Monthly/7) || !near(shares["db"].Monthly, onDemand.Monthly) {
			t.Errorf("shares %+v of %.2f", shares, general.Monthly)
		}
		if shares["web"].Replicas != 3 || shares["web"].MaxReplica != 7 || shares["db"].Pool != "on-demand" {
			t.Errorf("services %+v", e.Services)
		}
	}
}

// The items that are not EC2 instances, counted from the model and priced
// from Prices, by hand: EKS standard support $0.10 × 730 h = 73.00; three
// NAT gateways (perAZ, 3 zones) × $0.045 × 730 = 98.55; one NLB (web is
// public) $0.0225 × 730 = 16.425 → 16.43; four KMS keys (EKS secrets,
// logs, the ECR repositories and the services' bucket) × $1 = 4.00; 2
// interface endpoints × 3 zones × $0.01 × 730 = 43.80. Together 235.78,
// in both totals.
func TestFixedItems(t *testing.T) {
	e := Estimate(fixture(true)).Environments[0]
	want := map[string]struct {
		n       int
		monthly float64
	}{
		"EKS control plane":       {1, 73.00},
		"NAT gateways":            {3, 98.55},
		"Network load balancers":  {1, 16.43},
		"KMS keys":                {4, 4.00},
		"Interface VPC endpoints": {6, 43.80},
	}
	for item, w := range want {
		l := line(t, e, item)
		if l.Quantity != w.n || l.MaxQty != w.n || !l.Priced() || l.Monthly != w.monthly || l.MonthlyMax != w.monthly {
			t.Errorf("%s = %+v, want %d costing %.2f", item, l, w.n, w.monthly)
		}
	}
	var ec2, ec2Max float64
	for _, item := range []string{"System nodes", "Workload nodes (general)", "Workload nodes (on-demand)"} {
		ec2 += line(t, e, item).Monthly
		ec2Max += line(t, e, item).MonthlyMax
	}
	if !near(e.Monthly, ec2+235.78) || !near(e.MonthlyMax, ec2Max+235.78) {
		t.Errorf("totals %.2f, %.2f; want EC2 %.2f, %.2f + 235.78", e.Monthly, e.MonthlyMax, ec2, ec2Max)
	}
	// Usage is counted as zero, visibly; eu-west-1 uses the US East price
	// where the source has no other.
	for item, note := range map[string]string{
		"EKS control plane":       "",
		"NAT gateways":            "+ $0.045 per GB, counted as 0; US East price assumed",
		"Network load balancers":  "+ $0.006 per NLCU-hour, counted as 0; US East price assumed",
		"KMS keys":                "+ $0.03 per 10,000 requests, counted as 0",
		"Interface VPC endpoints": "+ $0.01 per GB, counted as 0; US East price assumed",
	} {
		if l := line(t, e, item); l.Note != note {
			t.Errorf("%s note %q, want %q", item, l.Note, note)
		}
	}
	if l := line(t, e, "EKS control plane"); l.Detail != "Kubernetes 1.35, standard support" {
		t.Errorf("control plane detail %q", l.Detail)
	}

	// Extended support costs $0.60 an hour (438.00 a month); one NAT
	// gateway 32.85; in us-east-1 nothing is assumed.
	p := fixture(true)
	p.Environments["dev"].Kubernetes.Version = "1.32"
	p.Environments["dev"].Network.NATGateways = "single"
	p.Environments["dev"].Region = "us-east-1"
	e = Estimate(p).Environments[0]
	if l := line(t, e, "EKS control plane"); l.Detail != "Kubernetes 1.32, extended support" || l.Monthly != 438.00 {
		t.Errorf("control plane %+v, want extended support at 438.00", l)
	}
	if l := line(t, e, "NAT gateways"); l.Quantity != 1 || l.Monthly != 32.85 || strings.Contains(l.Note, "assumed") {
		t.Errorf("single NAT in us-east-1: %+v", l)
	}
	// No public service: no load balancer.
	p.Services["web"].Public = nil
	for _, l := range Estimate(p).Environments[0].Lines {
		if l.Item == "Network load balancers" {
			t.Errorf("NLB without a public service: %+v", l)
		}
	}
}

// Every price says where it comes from and when it was read.
func TestPricesAreSourced(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range Prices {
		if seen[p.Key] {
			t.Errorf("%s twice", p.Key)
		}
		seen[p.Key] = true
		if p.USD <= 0 || p.Item == "" || p.Unit == "" || !strings.HasPrefix(p.Source, "https://") || p.PageDate == "" || p.Read != "2026-12-02" {
			t.Errorf("price %+v is not fully sourced", p)
		}
		if !p.ByAWS && !strings.Contains(p.Note, "aws.amazon.com") {
			t.Errorf("%s: a third-party price must name the AWS page it stands in for: %q", p.Key, p.Note)
		}
	}
	if !reflect.DeepEqual(Estimate(fixture(true)).Prices, Prices) {
		t.Error("the report does not carry the price data")
	}
}

// The delta lists every environment and only the services whose cost
// changed.
func TestCompare(t *testing.T) {
	base := Estimate(fixture(true))
	p := fixture(true)
	p.Services["web"].Autoscaling.MinReplicas = 6
	head := Estimate(p)
	d := Compare("main", base, head)
	if len(d.Environments) != 1 {
		t.Fatalf("%+v", d)
	}
	e := d.Environments[0]
	if e.Base != base.Environments[0].Monthly || e.Head != head.Environments[0].Monthly || e.Head <= e.Base {
		t.Errorf("environment delta %+v", e)
	}
	names := map[string]bool{}
	for _, s := range e.Services {
		names[s.Name] = true
	}
	// 6 × 1000m + 500m no longer fits one xlarge: web's and worker's
	// shares change; db's pool does not.
	if !names["web"] || names["db"] {
		t.Errorf("changed services %+v", e.Services)
	}
}

// Each exposure scheme in use has its own gateway and NLB.
func TestOneLoadBalancerPerScheme(t *testing.T) {
	p := fixture(true)
	nlbs := func() []string {
		var out []string
		for _, l := range Estimate(p).Environments[0].Lines {
			if l.Item == "Network load balancers" {
				out = append(out, l.Detail)
			}
		}
		return out
	}
	if got := nlbs(); !slices.Equal(got, []string{"internet-facing"}) {
		t.Fatalf("one public service: NLBs %v", got)
	}
	p.Services["worker"].Public = &model.Exposure{Host: "admin.internal.example", Scheme: "internal"}
	if got := nlbs(); !slices.Equal(got, []string{"internal", "internet-facing"}) {
		t.Errorf("an internal and an internet-facing service: NLBs %v", got)
	}
	p.Services["web"].Public.Scheme = "internal"
	if got := nlbs(); !slices.Equal(got, []string{"internal"}) {
		t.Errorf("two internal services: NLBs %v", got)
	}
}
