package netplan

import (
	"errors"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/model"
)

func env(cidr string, zones int, region string) *model.Environment {
	return &model.Environment{Name: "dev", Region: region, Network: model.Network{
		VPCCIDR: cidr, AvailabilityZones: zones,
		Subnets: model.SubnetPrefixes{Private: 19, Public: 24, Intra: 24},
	}}
}

func TestLayoutProperties(t *testing.T) {
	for _, tc := range []struct {
		cidr   string
		zones  int
		region string
		subs   model.SubnetPrefixes
	}{
		{"10.10.0.0/16", 3, "eu-west-1", model.SubnetPrefixes{Private: 19, Public: 24, Intra: 24}},
		{"10.20.0.0/17", 2, "eu-west-1", model.SubnetPrefixes{Private: 20, Public: 24, Intra: 28}},
		{"172.16.0.0/16", 5, "us-east-1", model.SubnetPrefixes{Private: 20, Public: 22, Intra: 26}},
		{"10.0.0.0/18", 3, "ap-northeast-1", model.SubnetPrefixes{Private: 22, Public: 22, Intra: 22}},
	} {
		e := env(tc.cidr, tc.zones, tc.region)
		e.Network.Subnets = tc.subs
		l, err := Plan(e)
		if err != nil {
			t.Fatalf("%s: %v", tc.cidr, err)
		}
		if len(l.Subnets) != 3*tc.zones || len(l.Zones) != tc.zones {
			t.Errorf("%s: %d subnets in %d zones, want %d in %d", tc.cidr, len(l.Subnets), len(l.Zones), 3*tc.zones, tc.zones)
		}
		for i, s := range l.Subnets {
			if !l.VPC.Contains(s.CIDR.Addr()) || s.CIDR.Bits() < l.VPC.Bits() {
				t.Errorf("%s: %s %s is outside the VPC", tc.cidr, s.Kind, s.CIDR)
			}
			if s.CIDR.Masked() != s.CIDR {
				t.Errorf("%s: %s is not aligned", tc.cidr, s.CIDR)
			}
			if !strings.HasPrefix(s.Zone, tc.region) {
				t.Errorf("zone %s not in region %s", s.Zone, tc.region)
			}
			for _, o := range l.Subnets[i+1:] {
				if s.CIDR.Overlaps(o.CIDR) {
					t.Errorf("%s: %s overlaps %s", tc.cidr, s.CIDR, o.CIDR)
				}
			}
		}
		for _, k := range Kinds {
			if got := len(l.Of(k)); got != tc.zones {
				t.Errorf("%s: %d %s subnets, want %d", tc.cidr, got, k, tc.zones)
			}
		}
	}
}

func TestLayoutIsStable(t *testing.T) {
	l, err := Plan(env("10.10.0.0/16", 3, "eu-west-1"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range l.Subnets {
		got = append(got, s.Kind+"/"+s.Zone+"="+s.CIDR.String())
	}
	want := "private/eu-west-1a=10.10.0.0/19 private/eu-west-1b=10.10.32.0/19 private/eu-west-1c=10.10.64.0/19 " +
		"public/eu-west-1a=10.10.96.0/24 public/eu-west-1b=10.10.97.0/24 public/eu-west-1c=10.10.98.0/24 " +
		"intra/eu-west-1a=10.10.99.0/24 intra/eu-west-1b=10.10.100.0/24 intra/eu-west-1c=10.10.101.0/24"
	if strings.Join(got, " ") != want {
		t.Errorf("layout changed:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

func TestLayoutErrors(t *testing.T) {
	for _, tc := range []struct {
		env   *model.Environment
		field string
		msg   string
	}{
		{env("10.10.0.0/20", 3, "eu-west-1"), "network.vpcCIDR", "10.10.0.0/20 is too small: 3 availability zones of subnets (/19 private, /24 public, /24 intra each) need 26112 addresses, the VPC has 4096"},
		{env("10.10.0.0/16", 4, "eu-west-1"), "network.availabilityZones", "region eu-west-1 has 3 availability zones (eu-west-1a, eu-west-1b, eu-west-1c), but 4 are asked for"},
		{env("10.10.0.0/16", 1, "eu-west-1"), "network.availabilityZones", "at least 2 availability zones"},
		{env("10.10.0.0/16", 3, "mars-north-1"), "region", `unknown region "mars-north-1"`},
		{env("fd00::/48", 3, "eu-west-1"), "network.vpcCIDR", "not an IPv4 CIDR"},
	} {
		_, err := Plan(tc.env)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Fatalf("%+v: got %v, want a *netplan.Error", tc.env.Network, err)
		}
		if pe.Field != tc.field || !strings.Contains(pe.Msg, tc.msg) {
			t.Errorf("got %s: %s\nwant %s: …%s…", pe.Field, pe.Msg, tc.field, tc.msg)
		}
	}
}
