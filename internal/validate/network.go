package validate

import (
	"errors"
	"fmt"
	"strings"

	cueerrors "cuelang.org/go/cue/errors"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/eksversions"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/netplan"
)

// awsFoundation checks what the Terraform root module of each environment
// needs to exist: a region with enough availability zones, a VPC that holds
// its subnets, and a Kubernetes version EKS offers under the chosen support
// policy. (VPC overlap and account reuse are checked in environments.)
func awsFoundation(p *model.Platform, add func(cueerrors.Error)) {
	today := eksversions.Today()
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

		// The support calendar (internal/eksversions). internal/upgrade
		// warns about extended support and checks the upgrade rules.
		k := env.Kubernetes
		v, ok := eksversions.Lookup(k.Version)
		switch {
		case ok && v.PhaseOn(today) == eksversions.Ended:
			next, _ := eksversions.Next(k.Version)
			at("kubernetes.version", "Kubernetes %s is past EKS extended support (ended %s; EKS release calendar, table checked %s): EKS upgrades the control plane on its own schedule and no longer patches it; upgrade to %s (idpgen upgrade plan %s)",
				k.Version, v.ExtendedEnd, eksversions.Checked, next, env.Name)
		case !ok:
			at("kubernetes.version", "EKS does not offer Kubernetes %s; offered versions on %s: %s (idpgen's EKS version table, checked %s)",
				k.Version, today, strings.Join(eksversions.Offered(today), ", "), eksversions.Checked)
		case v.PhaseOn(today) == eksversions.Extended && k.SupportType != model.SupportExtended:
			at("kubernetes.version", "Kubernetes %s is past EKS standard support (ended %s) and runs only with extended support: set kubernetes.supportType: %q or upgrade", k.Version, v.StandardEnd, model.SupportExtended)
		}
	}
}
