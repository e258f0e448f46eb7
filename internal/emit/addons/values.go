package addons

import (
	"fmt"
	"strings"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/traffic"
	"github.com/idpgen/idpgen/internal/vaultnames"
)

// M is a values map.
type M = map[string]any

type valuesFor struct {
	p   *model.Platform
	env *model.Environment
	n   awsnames.Names
}

// tier picks the prod or the nonprod value.
func tier[T any](env *model.Environment, prod, nonprod T) T {
	if env.Prod() {
		return prod
	}
	return nonprod
}

func res(cpuReq, memReq, memLimit string) M {
	return M{"requests": M{"cpu": cpuReq, "memory": memReq}, "limits": M{"memory": memLimit}}
}

// RoleAnnotation records, on an add-on's service account, the IAM role EKS
// Pod Identity maps it to (the association itself is Terraform's). It is
// informational: Pod Identity needs no annotation, unlike IRSA.
const RoleAnnotation = "idpgen.dev/pod-identity-role-arn"

func (v valuesFor) serviceAccount(name, role string) M {
	sa := M{"create": true, "name": name}
	if role != "" {
		sa["annotations"] = M{RoleAnnotation: v.n.RoleARN(role)}
	}
	return sa
}

func (v valuesFor) values(r Release) (M, error) {
	env := v.env
	prod := env.Prod()
	switch r.Addon.Key {
	case model.AddonArgoCD:
		return v.argocd(), nil
	case model.AddonVault:
		return v.vault(), nil
	case model.AddonKarpenter:
		return M{
			"settings": M{
				"clusterName":       v.n.Cluster(),
				"interruptionQueue": v.n.InterruptionQueue(),
			},
			"serviceAccount":    v.serviceAccount("karpenter", v.n.KarpenterControllerRole()),
			"replicas":          tier(env, 2, 1),
			"priorityClassName": "system-cluster-critical",
			"controller":        M{"resources": tier(env, res("1", "1Gi", "1Gi"), res("250m", "512Mi", "512Mi"))},
		}, nil
	case model.AddonGatekeeper:
		return M{
			"replicas":                  tier(env, 3, 1),
			"auditInterval":             60,
			"constraintViolationsLimit": 20,
			// prod fails closed (three replicas keep the webhook up);
			// nonprod keeps deploying when the webhook is down.
			"validatingWebhookFailurePolicy": tier(env, "Fail", "Ignore"),
			"logDenies":                      true,
			"enableK8sNativeValidation":      true,
			// The chart (3.23) passes controllerManager.exemptNamespaces
			// as --exempt-namespace to both the controller manager and the
			// audit Deployment; there is no audit-specific key. The
			// controller manager exempts the release namespace on its own,
			// the audit pod (which also generates the ValidatingAdmission-
			// Policies, excluding exempt namespaces) only through this list.
			"controllerManager": M{"exemptNamespaces": []string{r.Namespace}},
		}, nil
	case model.AddonIstio:
		return v.istio(r), nil
	case model.AddonMetricsServer:
		vals := M{"replicas": tier(env, 2, 1)}
		if prod {
			vals["podDisruptionBudget"] = M{"enabled": true, "maxUnavailable": 1}
		}
		return vals, nil
	case model.AddonAWSLoadBalancerController:
		return M{
			"clusterName": v.n.Cluster(),
			"region":      v.n.Region(),
			// Pods cannot reach the instance metadata service (hop limit
			// 1), so the controller finds the VPC by its tags.
			"vpcTags":        M{"Name": v.n.Cluster()},
			"replicaCount":   tier(env, 2, 1),
			"serviceAccount": v.serviceAccount("aws-load-balancer-controller", v.n.AddonRole("aws-load-balancer-controller")),
			"defaultTags":    M{"idpgen.dev/platform": v.p.Name, "idpgen.dev/environment": env.Name},
		}, nil
	case model.AddonSecretsOperator:
		return M{
			"installCRDs":    true,
			"replicaCount":   tier(env, 2, 1),
			"leaderElect":    prod,
			"serviceAccount": M{"create": true, "name": "external-secrets"},
			"webhook":        M{"replicaCount": tier(env, 2, 1)},
			"podDisruptionBudget": M{
				"enabled": prod,
			},
			"resources": tier(env, res("100m", "256Mi", "256Mi"), res("50m", "128Mi", "128Mi")),
		}, nil
	case model.AddonVPA:
		replicas := tier(env, 2, 1)
		return M{
			"recommender":         M{"replicas": 1}, // one active recommender; it does not shard
			"updater":             M{"replicas": 1},
			"admissionController": M{"replicas": replicas},
		}, nil
	case model.AddonTrivyOperator:
		return M{
			"excludeNamespaces": "kube-system," + r.Namespace,
			"operator": M{
				"scanJobsConcurrentLimit":                      tier(env, 10, 3),
				"scannerReportTTL":                             "24h",
				"vulnerabilityScannerScanOnlyCurrentRevisions": true,
			},
			"trivy":          M{"severity": "HIGH,CRITICAL", "ignoreUnfixed": !prod},
			"serviceMonitor": M{"enabled": false},
		}, nil
	case model.AddonDatadog:
		return v.datadog(), nil
	case model.AddonVelero:
		return v.velero(), nil
	}
	return nil, fmt.Errorf("no values for add-on %s", r.Addon.Key)
}

// applicationHealth makes Argo CD assess the health of Application objects
// (off by default since Argo CD 1.8), so that the bootstrap Application's
// sync waves wait for each add-on to be healthy before the next wave.
const applicationHealth = `hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil then
  if obj.status.health ~= nil then
    hs.status = obj.status.health.status
    if obj.status.health.message ~= nil then
      hs.message = obj.status.health.message
    end
  end
end
return hs
`

func (v valuesFor) argocd() M {
	env := v.env
	prod := env.Prod()
	replicas := tier(env, 2, 1)
	vals := M{
		"crds": M{"install": true, "keep": true},
		"configs": M{
			"cm": M{
				"resource.customizations.health.argoproj.io_Application": applicationHealth,
				"exec.enabled": false,
			},
			"params": M{
				// idpgen's ApplicationSets decide sync policy per tier
				// (prod: create-update). An explicit controller policy
				// takes precedence over spec.syncPolicy.applicationsSync
				// unless the override is enabled.
				"applicationsetcontroller.policy":                 "sync",
				"applicationsetcontroller.enable.policy.override": true,
			},
			"rbac": M{
				"policy.default": "role:readonly",
				"scopes":         "[groups]",
			},
		},
		"controller":     M{"replicas": 1},
		"server":         M{"replicas": replicas},
		"repoServer":     M{"replicas": replicas},
		"applicationSet": M{"replicas": replicas},
		"redis-ha":       M{"enabled": prod},
	}
	if prod {
		for _, c := range []string{"server", "repoServer", "applicationSet"} {
			vals[c].(M)["pdb"] = M{"enabled": true, "minAvailable": 1}
		}
	}
	return vals
}

func (v valuesFor) vault() M {
	env := v.env
	tls := "/vault/userconfig/" + v.p.Addons.Vault.TLSSecret
	var join strings.Builder
	for i := range 3 {
		fmt.Fprintf(&join, `  retry_join {
    leader_api_addr       = "https://vault-%d.vault-internal:8200"
    leader_tls_servername = "vault-%d.vault-internal"
    leader_ca_cert_file   = "%s/ca.crt"
  }
`, i, i, tls)
	}
	config := fmt.Sprintf(`ui = true
disable_mlock = true

listener "tcp" {
  address            = "[::]:8200"
  cluster_address    = "[::]:8201"
  tls_cert_file      = "%[1]s/tls.crt"
  tls_key_file       = "%[1]s/tls.key"
  tls_client_ca_file = "%[1]s/ca.crt"
}

storage "raft" {
  path = "/vault/data"
%[2]s}

seal "awskms" {
  region     = "%[3]s"
  kms_key_id = "%[4]s"
}

service_registration "kubernetes" {}
`, tls, join.String(), v.n.Region(), v.n.VaultUnsealKeyAlias())
	return M{
		"global":   M{"tlsDisable": false},
		"injector": M{"enabled": false}, // the secrets operator syncs Secrets instead
		"ui":       M{"enabled": true},
		"server": M{
			"resources":      tier(env, res("500m", "1Gi", "1Gi"), res("100m", "256Mi", "256Mi")),
			"serviceAccount": v.serviceAccount("vault", v.n.AddonRole("vault")),
			// The chart already sets VAULT_ADDR (https when TLS is on): a
			// second entry is a duplicate env key, which server-side apply
			// rejects.
			"extraEnvironmentVars": M{"VAULT_CACERT": tls + "/ca.crt"},
			"volumes":              []M{{"name": "tls", "secret": M{"secretName": v.p.Addons.Vault.TLSSecret}}},
			"volumeMounts":         []M{{"name": "tls", "mountPath": tls, "readOnly": true}},
			"dataStorage":          M{"enabled": true, "size": tier(env, "50Gi", "10Gi"), "storageClass": "gp3"},
			"auditStorage":         M{"enabled": true, "size": tier(env, "50Gi", "10Gi"), "storageClass": "gp3"},
			"ha": M{
				"enabled":          true,
				"replicas":         3,
				"raft":             M{"enabled": true, "setNodeId": true, "config": config},
				"disruptionBudget": M{"enabled": true, "maxUnavailable": 1},
			},
		},
		"csi": M{"enabled": false},
		// The pods are vault-0..2 behind the Services vault, vault-active
		// and vault-internal whatever the release is called.
		"fullnameOverride": "vault",
	}
}

func (v valuesFor) istio(r Release) M {
	env := v.env
	switch r.Chart {
	case "base":
		return M{"defaultRevision": "default"}
	case "istiod":
		return M{
			"profile": "ambient",
			"pilot": M{
				"autoscaleMin": tier(env, 2, 1),
				"autoscaleMax": tier(env, 5, 2),
				"resources":    tier(env, res("500m", "2Gi", "2Gi"), res("100m", "512Mi", "512Mi")),
			},
			"meshConfig": M{"accessLogFile": "/dev/stdout"},
		}
	case "cni":
		return M{"profile": "ambient"}
	}
	// ztunnel runs on every node.
	return M{"resources": tier(env, res("200m", "512Mi", "1Gi"), res("50m", "128Mi", "512Mi"))}
}

// DatadogAPIKeySecret is the Secret (key "api-key") the secrets operator
// builds from addons.datadog.apiKey; the chart reads it by name.
const DatadogAPIKeySecret = "datadog-api-key"

// DatadogAppKeySecret is the Secret (key "app-key") the secrets operator
// builds from addons.datadog.appKey for the bundled Datadog Operator.
const DatadogAppKeySecret = vaultnames.DatadogAppKeySecret

func (v valuesFor) datadog() M {
	env := v.env
	dd := v.p.Addons.Datadog
	vals := M{
		"datadog": M{
			"clusterName":          v.n.Cluster(),
			"site":                 v.p.Addons.Datadog.Site,
			"apiKeyExistingSecret": DatadogAPIKeySecret,
			"tags":                 []string{"env:" + env.Name, "platform:" + v.p.Name},
			"logs":                 M{"enabled": true, "containerCollectAll": true},
			// Tracers reach the trace agent on their node's IP
			// (DD_AGENT_HOST from status.hostIP, internal/emit/kustomize):
			// the host port, not the socket, whose hostPath mount the
			// restricted Pod Security Standard refuses in team namespaces.
			"apm":                  M{"socketEnabled": false, "portEnabled": true, "port": traffic.APMPort},
			"kubeStateMetricsCore": M{"enabled": true},
		},
		"clusterAgent": M{
			"enabled":             true,
			"replicas":            tier(env, 2, 1),
			"tokenExistingSecret": DatadogClusterAgentTokenSecret,
			"pdb":                 M{"create": env.Prod()}, // createPodDisruptionBudget is deprecated
		},
		"agents": M{"containers": M{"agent": M{"resources": tier(env, res("200m", "512Mi", "512Mi"), res("100m", "256Mi", "256Mi"))}}},
	}
	// The chart's bundled Datadog Operator (the datadog-operator chart as
	// the dependency "operator", on by default since 3.x) manages the
	// DatadogSLOs and DatadogMonitors of the services' slo
	// (internal/emit/monitors) with the API and application keys from
	// Vault. The parent chart hands it the keys only through a lookup of
	// its endpoint ConfigMap, which a `helm template` (Argo CD) cannot
	// do, so the Secrets and the site are named here.
	if dd.AppKey != nil {
		vals["datadog"].(M)["operator"] = M{"enabled": true}
		vals["operator"] = M{
			"apiKeyExistingSecret": DatadogAPIKeySecret,
			"appKeyExistingSecret": DatadogAppKeySecret,
			"site":                 dd.Site,
			"clusterName":          v.n.Cluster(),
			"datadogMonitor":       M{"enabled": true},
			"datadogSLO":           M{"enabled": true},
			// Deleting the chart must not delete every monitor with
			// its CRD.
			"datadogCRDs": M{"keepCrds": true, "crds": M{"datadogMonitors": true, "datadogSLOs": true}},
		}
	}
	return vals
}

// VeleroAWSPlugin is the object store / snapshot plugin image: the
// velero-plugin-for-aws line that matches Velero 1.18 (chart 12.x).
const VeleroAWSPlugin = "velero/velero-plugin-for-aws:v1.14.0"

func (v valuesFor) velero() M {
	env := v.env
	schedules, nodeAgent := v.veleroSchedules() // velero.go
	bsl, vsl := v.veleroLocations()
	return M{
		"initContainers": []M{{
			"name":            "velero-plugin-for-aws",
			"image":           VeleroAWSPlugin,
			"imagePullPolicy": "IfNotPresent",
			"volumeMounts":    []M{{"mountPath": "/target", "name": "plugins"}},
		}},
		"configuration": M{
			"backupStorageLocation":  bsl,
			"volumeSnapshotLocation": vsl,
		},
		// Pod Identity supplies credentials: no static key Secret.
		"credentials":     M{"useSecret": false},
		"serviceAccount":  M{"server": v.serviceAccount("velero", v.n.AddonRole("velero"))},
		"deployNodeAgent": nodeAgent,
		"resources":       tier(env, res("500m", "512Mi", "1Gi"), res("100m", "256Mi", "512Mi")),
		"schedules":       schedules,
	}
}
