package cost

import (
	"math"
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
			"web": {Name: "web", Kind: model.KindWeb, Capacity: "spot-ok", Public: &model.Exposure{Host: "x.example.com"},
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
		if want := sys.Monthly + general.Monthly + onDemand.Monthly; !near(e.Monthly, want) {
			t.Errorf("total %.2f, want the priced lines' sum %.2f", e.Monthly, want)
		}
		if want := sys.MonthlyMax + general.MonthlyMax + onDemand.MonthlyMax; !near(e.MonthlyMax, want) {
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

// What has no price is counted from the model, and stays out of the total.
func TestUnpricedCounts(t *testing.T) {
	e := Estimate(fixture(true)).Environments[0]
	for item, want := range map[string]int{
		"EKS control plane":       1,
		"NAT gateways":            3, // perAZ, 3 zones
		"Network load balancers":  1, // web is public
		"KMS keys":                2, // EKS secrets, and the services' data (a bucket)
		"Interface VPC endpoints": 6, // 2 endpoints × 3 zones
	} {
		l := line(t, e, item)
		if l.Quantity != want || l.Priced() || l.Monthly != 0 {
			t.Errorf("%s = %+v, want %d unpriced", item, l, want)
		}
	}
	if l := line(t, e, "EKS control plane"); l.Detail != "Kubernetes 1.35, standard support" {
		t.Errorf("control plane detail %q", l.Detail)
	}
	p := fixture(true)
	p.Environments["dev"].Kubernetes.Version = "1.32"
	p.Environments["dev"].Network.NATGateways = "single"
	e = Estimate(p).Environments[0]
	if l := line(t, e, "EKS control plane"); l.Detail != "Kubernetes 1.32, extended support" {
		t.Errorf("control plane detail %q", l.Detail)
	}
	if l := line(t, e, "NAT gateways"); l.Quantity != 1 {
		t.Errorf("single NAT: %+v", l)
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
