package validate

import (
	"errors"
	"fmt"
	"strings"

	cueerrors "cuelang.org/go/cue/errors"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/netplan"
)

// awsFoundation checks what the Terraform root module of each environment
// needs to exist: a region with enough availability zones, a VPC that holds
// its subnets, and a Kubernetes version EKS offers under the chosen support
// policy. (VPC overlap and account reuse are checked in environments.)
func awsFoundation(p *model.Platform, add func(cueerrors.Error)) {
	for _, env := range p.EnvironmentList {
		at := func(sel, format string, args ...any) { add(diag.At(env.Src, sel, format, args...)) }

		if _, err := netplan.Plan(env); err != nil {
			var pe *netplan.Error
			if errors.As(err, &pe) {
				at(pe.Field, "%s", pe.Msg)
			} else {
				at("network", "%v", err)
			}
		}
		if env.Prod() && env.Network.AvailabilityZones < 3 {
			at("network.availabilityZones", "a prod environment needs at least 3 availability zones (one NAT gateway and system node per zone survives a zone outage), got %d", env.Network.AvailabilityZones)
		}
		for i, r := range env.BackupRegions {
			sel := fmt.Sprintf("backupRegions[%d]", i)
			if _, ok := awsnames.Zones(r); !ok {
				at(sel, "unknown region %q; supported regions: %s", r, strings.Join(awsnames.Regions(), ", "))
			}
			if r == env.Region {
				at(sel, "%s is the environment's own region; a backup region must be another one", r)
			}
		}

		k := env.Kubernetes
		switch phase, ok := awsnames.EKSVersion(k.Version); {
		case !ok:
			at("kubernetes.version", "EKS does not offer Kubernetes %s; offered versions: %s", k.Version, strings.Join(awsnames.EKSVersions(), ", "))
		case phase == awsnames.SupportExtended && k.SupportType != model.SupportExtended:
			at("kubernetes.version", "Kubernetes %s is past EKS standard support and runs only with extended support: set kubernetes.supportType: %q or upgrade", k.Version, model.SupportExtended)
		}
	}
}
