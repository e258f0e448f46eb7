package traffic_test

import (
	"slices"
	"testing"

	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/traffic"
)

func platform(deps map[string][]string, disabled ...string) (*model.Platform, *model.Environment) {
	env := &model.Environment{Name: "dev", Network: model.Network{VPCCIDR: "10.1.0.0/16"}}
	p := &model.Platform{Environments: map[string]*model.Environment{"dev": env}, Services: map[string]*model.Service{}}
	p.Addons.Istio.Enabled = true
	off := false
	for name, d := range deps {
		s := &model.Service{Name: name, Team: "t", Namespace: "t", DependsOn: d, Ports: []model.Port{{Name: "http", Port: 8080, Protocol: "TCP"}}}
		if slices.Contains(disabled, name) {
			s.Overrides = map[string]model.Override{"dev": {Enabled: &off}}
		}
		p.Services[name] = s
	}
	p.Index()
	return p, env
}

// Cycles are found (two separate ones here), and only edges inside one
// are marked.
func TestCycles(t *testing.T) {
	p, env := platform(map[string][]string{
		"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, // a -> b -> c -> a
		"d": {"e"}, "e": {"d"}, // d <-> e
		"f": {"a"},
	})
	g := traffic.Build(p, env)
	c := g.Cycles()
	if len(c) != 5 || c["a"] != c["b"] || c["b"] != c["c"] || c["d"] != c["e"] || c["a"] == c["d"] {
		t.Fatalf("cycles %v", c)
	}
	for _, e := range g.Edges() {
		want := e.From != "f" && !(e.From == "c" && e.To == "d")
		if e.Cycle != want {
			t.Errorf("%s -> %s: cycle=%v, want %v", e.From, e.To, e.Cycle, want)
		}
	}
}

// Callers are the reverse of dependsOn, limited to what is deployed.
func TestCallersAndDisabledServices(t *testing.T) {
	p, env := platform(map[string][]string{"a": {"c"}, "b": {"c"}, "c": nil, "d": {"c"}}, "d")
	g := traffic.Build(p, env)
	if g.Node("d") != nil {
		t.Fatal("a disabled service is in the graph")
	}
	var callers []string
	for _, n := range g.Node("c").Callers {
		callers = append(callers, n.Service.Name)
	}
	if !slices.Equal(callers, []string{"a", "b"}) {
		t.Errorf("callers of c: %v", callers)
	}
}

// "Public" leaves out the private ranges, and a VPC outside them.
func TestPublicExcept(t *testing.T) {
	env := &model.Environment{Network: model.Network{VPCCIDR: "100.64.0.0/16"}}
	if got := traffic.PublicExcept(env); !slices.Contains(got, "100.64.0.0/16") || !slices.Contains(got, "10.0.0.0/8") {
		t.Errorf("%v", got)
	}
	env.Network.VPCCIDR = "10.20.0.0/16"
	if got := traffic.PublicExcept(env); len(got) != 3 {
		t.Errorf("%v", got)
	}
}
