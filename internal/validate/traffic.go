package validate

import (
	"fmt"
	"net/netip"

	"cuelang.org/go/cue/errors"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/model"
)

// trafficChecks checks a service's external egress: each entry names a
// network or a host, and a network is outside the VPC of every environment
// the service runs in. Pods, load balancers and endpoints of the platform
// live in the VPC; a service reaches another one through dependsOn, which
// opens exactly that service's ports in both enforcement layers.
func trafficChecks(p *model.Platform, svc *model.Service, add func(errors.Error)) {
	if svc.Resilience != nil && svc.Public == nil {
		add(diag.At(svc.Src, "resilience", "resilience is enforced by the ingress gateway, so only for a public service; ztunnel has no connection pools or outlier detection"))
	}
	for i, e := range svc.Egress {
		sel := fmt.Sprintf("egress[%d]", i)
		switch {
		case e.CIDR == "" && e.Host == "":
			add(diag.At(svc.Src, sel, "an egress destination needs cidr or host"))
			continue
		case e.CIDR != "" && e.Host != "":
			add(diag.At(svc.Src, sel, "an egress destination has either cidr or host, not both; list them as two destinations"))
			continue
		case e.CIDR == "":
			continue
		}
		pfx, err := netip.ParsePrefix(e.CIDR)
		if err != nil {
			add(diag.At(svc.Src, sel+".cidr", "invalid CIDR: %v", err))
			continue
		}
		if pfx.Masked() != pfx {
			add(diag.At(svc.Src, sel+".cidr", "%s has host bits set; did you mean %s?", pfx, pfx.Masked()))
			continue
		}
		for _, env := range p.EnvironmentList {
			vpc, err := netip.ParsePrefix(env.Network.VPCCIDR)
			if err != nil || !svc.Enabled(env.Name) || !vpc.Overlaps(pfx) {
				continue
			}
			add(diag.At(svc.Src, sel+".cidr", "egress CIDR %s overlaps the VPC %s of environment %q: the platform's own services are reached through dependsOn, not egress", pfx, vpc, env.Name))
			break
		}
	}
}
