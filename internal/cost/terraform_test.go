package cost

import (
	"encoding/json"
	"testing"

	"github.com/idpgen/idpgen/internal/render"
)

// The counted items are what the Terraform foundation really creates: for
// each environment of the example, the KMS keys, NAT gateways and
// interface endpoints (× zones) of the estimate match the rendered
// Terraform's resources. The estimate does not run the emitters, so this
// keeps its counting honest when the Terraform changes.
func TestCountsMatchRenderedTerraform(t *testing.T) {
	if testing.Short() {
		t.Skip("renders the example platform")
	}
	p, tr, err := render.Platform("../../platforms/example")
	if err != nil {
		t.Fatal(err)
	}
	r := Estimate(p)
	for _, e := range r.Environments {
		resources := map[string]map[string]map[string]any{}
		for _, f := range []string{"data", "network"} {
			file, ok := tr.Get("environments/" + e.Name + "/terraform/" + f + ".tf.json")
			if !ok {
				t.Fatalf("%s: no %s.tf.json", e.Name, f)
			}
			var doc struct {
				Resource map[string]map[string]map[string]any `json:"resource"`
			}
			if err := json.Unmarshal(file.Data, &doc); err != nil {
				t.Fatal(err)
			}
			for typ, rs := range doc.Resource {
				if resources[typ] == nil {
					resources[typ] = map[string]map[string]any{}
				}
				for name, body := range rs {
					resources[typ][name] = body
				}
			}
		}
		interfaces := 0
		for _, body := range resources["aws_vpc_endpoint"] {
			if body["vpc_endpoint_type"] == "Interface" {
				interfaces++
			}
		}
		zones := p.Environments[e.Name].Network.AvailabilityZones
		counted := map[string]int{}
		for _, l := range e.Lines {
			counted[l.Item] = l.Quantity
		}
		for item, want := range map[string]int{
			"KMS keys":                len(resources["aws_kms_key"]),
			"NAT gateways":            len(resources["aws_nat_gateway"]),
			"Interface VPC endpoints": interfaces * zones,
		} {
			if counted[item] != want {
				t.Errorf("%s: %s = %d, the Terraform has %d", e.Name, item, counted[item], want)
			}
		}
	}
}
