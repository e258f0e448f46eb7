package ec2types

import (
	"bytes"
	"os"
	"testing"

	"github.com/idpgen/idpgen/internal/ec2types/gen"
)

// The data file is what the generator makes of the pinned upstream snapshot
// and the schema's regions: nobody edited it by hand, and a region added to
// the schema gets its prices.
func TestGeneratedDataIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a 95 MB upstream file")
	}
	want, err := gen.Generate("../../schemas/types.cue")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("zz_generated.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("zz_generated.go is stale: run go generate ./internal/ec2types")
	}
}

// EKS's published reservations for an m5.large (2 vCPUs, 8 GiB, 29 pods):
// 70m CPU (6% + 1%), 574 MiB memory (255 + 11 × 29), plus the 100 MiB
// eviction threshold.
func TestAllocatable(t *testing.T) {
	m5, ok := Lookup("m5.large")
	if !ok {
		t.Fatal("no m5.large")
	}
	if m5.VCPU != 2 || m5.MemoryMiB != 8192 || m5.MaxPods != 29 || m5.Category != "m" || m5.Generation != 5 || m5.Architecture != "amd64" {
		t.Fatalf("m5.large = %+v", m5)
	}
	cpu, mem := Allocatable(m5)
	if cpu != 1930 || mem != 8192-574-100 {
		t.Errorf("Allocatable(m5.large) = %dm, %d MiB; want 1930m, 7518 MiB", cpu, mem)
	}
	// 16 cores: 60 + 10 + 2×5 + 12×2.5 = 110m.
	big := Type{VCPU: 16, MemoryMiB: 65536, MaxPods: 234}
	if cpu, mem := Allocatable(big); cpu != 16000-110 || mem != 65536-(11*234+255)-100 {
		t.Errorf("Allocatable(16 vCPU) = %dm, %d MiB", cpu, mem)
	}
}

func TestShape(t *testing.T) {
	s := Shape{Categories: []string{"m"}, MinGeneration: 7, Architectures: []string{"arm64"}}
	got := s.Offered("eu-west-1")
	if len(got) == 0 {
		t.Fatal("no m7g/m8g types in eu-west-1")
	}
	for _, ty := range got {
		if ty.Category != "m" || ty.Generation < 7 || ty.Architecture != "arm64" {
			t.Errorf("%s offered for %+v", ty.Name, s)
		}
		if _, ok := OnDemandHourly("eu-west-1", ty.Name); !ok {
			t.Errorf("%s offered without a price", ty.Name)
		}
	}
	for _, r := range Regions {
		if _, ok := SpotSavingsPercent(r); !ok {
			t.Errorf("no spot savings for %s", r)
		}
	}
	if _, ok := OnDemandHourly("mars-1", "m5.large"); ok {
		t.Error("a price in an unknown region")
	}
}
