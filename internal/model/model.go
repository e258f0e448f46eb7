// Package model is the typed form of a platform: what CUE evaluated, decoded
// into Go structs that the emitters read. It is the only thing emitters see;
// none of them touches CUE. Every node keeps its CUE value (Src) so that a
// later phase can report an error at the exact file:line:col it came from.
package model

import (
	"cmp"
	"slices"

	"cuelang.org/go/cue"

	"github.com/idpgen/idpgen/internal/eksversions"
)

// Platform is the whole Internal Developer Platform.
type Platform struct {
	Name         string                  `json:"name"`
	Repo         Repo                    `json:"repo"`
	AWS          AWSOrganization         `json:"aws"`
	Teams        map[string]*Team        `json:"teams"`
	Addons       Addons                  `json:"addons"`
	Policy       Policy                  `json:"policy"`
	Environments map[string]*Environment `json:"environments"`
	Services     map[string]*Service     `json:"services"`
	Catalog      Catalog                 `json:"catalog"`  // see addons.go
	Delivery     Delivery                `json:"delivery"` // see delivery.go

	Src cue.Value `json:"-"`
	// Dir is the platform package's directory relative to the CUE module
	// root (slash-separated; "." when they are one): the generated
	// workflows, which run at the repository root, pass it as --platform.
	Dir string `json:"-"`

	// The ordered views below are filled by Index so that every emitter
	// iterates in the same, stable order.
	TeamList        []*Team        `json:"-"`
	EnvironmentList []*Environment `json:"-"` // by promotion order
	ServiceList     []*Service     `json:"-"` // by name
}

// Repo is the Git repository Argo CD deploys from.
type Repo struct {
	URL      string `json:"url"`
	Revision string `json:"revision"`
	Path     string `json:"path"` // of the rendered tree in the repository
}

// AWSOrganization holds settings shared by every environment's account.
type AWSOrganization struct {
	OrganizationID               string `json:"organizationID,omitempty"`
	StateBucket                  string `json:"stateBucket"`
	AdminRoleName                string `json:"adminRoleName"`
	AllowAccountReuseAcrossTiers bool   `json:"allowAccountReuseAcrossTiers"`

	Terraform   TerraformSettings `json:"terraform"`             // see aws.go
	StateRegion string            `json:"stateRegion,omitempty"` // region of StateBucket
	Registry    *Registry         `json:"registry,omitempty"`    // central ECR; nil: each environment's own (see aws.go)
}

// Team is a group of people owning services and namespaces.
type Team struct {
	Name     string   `json:"name"`
	Owners   []string `json:"owners"`
	SSOGroup string   `json:"ssoGroup"`
	// PermissionSet is the IAM Identity Center permission set whose roles
	// may assume the team's role.
	PermissionSet string   `json:"permissionSet"`
	Namespaces    []string `json:"namespaces"`
	CostCenter    string   `json:"costCenter,omitempty"`
	Notify        *Notify  `json:"notify,omitempty"` // see slo.go

	Src cue.Value `json:"-"`
}

// Policy sets the platform-wide guard rails.
type Policy struct {
	AllowedRegistries   []string `json:"allowedRegistries"`
	RequireDigestInProd bool     `json:"requireDigestInProd"`
	PodSecurity         string   `json:"podSecurity"`
	Enforcement         struct {
		Prod    string `json:"prod"`
		Nonprod string `json:"nonprod"`
	} `json:"enforcement"`
	RequiredLimits []string                 `json:"requiredLimits"`
	Custom         map[string]*CustomPolicy `json:"custom"` // see policy.go
}

// Tier values.
const (
	TierProd    = "prod"
	TierNonprod = "nonprod"
)

// Environment is one AWS account, region and EKS cluster.
type Environment struct {
	Name          string     `json:"name"`
	Tier          string     `json:"tier"`
	Account       string     `json:"account"`
	Region        string     `json:"region"`
	BackupRegions []string   `json:"backupRegions"`
	Promotion     int        `json:"promotion"`
	Kubernetes    Kubernetes `json:"kubernetes"`
	Network       Network    `json:"network"`
	Sizing        Sizing     `json:"sizing"`
	Backup        Backup     `json:"backup"` // see aws.go
	ECR           ECR        `json:"ecr"`
	Ingress       Ingress    `json:"ingress"` // see ingress.go

	AddonResources AddonResources `json:"addonResources"` // see addons.go

	Src cue.Value `json:"-"`
}

// Prod reports whether the environment serves production traffic.
func (e *Environment) Prod() bool { return e.Tier == TierProd }

// Kubernetes describes an environment's EKS cluster.
type Kubernetes struct {
	Version           string   `json:"version"`
	PublicEndpoint    bool     `json:"publicEndpoint"`
	PublicAccessCIDRs []string `json:"publicAccessCIDRs"`

	// AWS foundation (see aws.go).
	SupportType      string            `json:"supportType"`
	ControlPlaneLogs []string          `json:"controlPlaneLogs"`
	LogRetentionDays int               `json:"logRetentionDays"`
	NodeSSMAccess    bool              `json:"nodeSSMAccess"` // AmazonSSMManagedInstanceCore on node roles
	Addons           map[string]string `json:"addons"`        // EKS add-on name -> version or "default"
}

// Network describes an environment's VPC.
type Network struct {
	VPCCIDR           string `json:"vpcCIDR"`
	AvailabilityZones int    `json:"availabilityZones"`
	NATGateways       string `json:"natGateways"`

	// AWS foundation (see aws.go).
	Shared             bool           `json:"shared"`
	Subnets            SubnetPrefixes `json:"subnets"`
	InterfaceEndpoints []string       `json:"interfaceEndpoints"`
	FlowLogs           FlowLogs       `json:"flowLogs"`
}

// Sizing holds an environment's capacity knobs.
type Sizing struct {
	DefaultReplicas int `json:"defaultReplicas"`
	SystemNodes     struct {
		InstanceType string `json:"instanceType"`
		Min          int    `json:"min"`
		Max          int    `json:"max"`
	} `json:"systemNodes"`
	Karpenter struct {
		CPULimit           int      `json:"cpuLimit"`
		Spot               bool     `json:"spot"`
		ConsolidateAfter   string   `json:"consolidateAfter"`
		MemoryLimitGiB     int      `json:"memoryLimitGiB"`
		InstanceCategories []string `json:"instanceCategories"`
		MinGeneration      int      `json:"minGeneration"`
		Architectures      []string `json:"architectures"`
		// The EC2NodeClass and NodePool knobs (internal/emit/karpenter).
		AMIAlias            string             `json:"amiAlias"`
		RootVolumeGiB       int                `json:"rootVolumeGiB"`
		ConsolidationPolicy string             `json:"consolidationPolicy"`
		ExpireAfter         string             `json:"expireAfter"`
		DisruptionBudgets   []DisruptionBudget `json:"disruptionBudgets"`
	} `json:"karpenter"`
}

// DisruptionBudget is one Karpenter NodePool disruption budget
// (#DisruptionBudget).
type DisruptionBudget struct {
	Nodes    string   `json:"nodes"`
	Schedule string   `json:"schedule,omitempty"`
	Duration string   `json:"duration,omitempty"`
	Reasons  []string `json:"reasons,omitempty"`
}

// Addons selects the cluster add-ons.
type Addons struct {
	ArgoCD Addon `json:"argocd"`
	Vault  struct {
		Addon
		TLSSecret string         `json:"tlsSecret"`
		Snapshots VaultSnapshots `json:"snapshots"`
	} `json:"vault"`
	Karpenter                 Addon `json:"karpenter"`
	Gatekeeper                Addon `json:"gatekeeper"`
	Istio                     Addon `json:"istio"`
	MetricsServer             Addon `json:"metricsServer"`
	AWSLoadBalancerController Addon `json:"awsLoadBalancerController"`
	SecretsOperator           Addon `json:"secretsOperator"`
	VPA                       Addon `json:"vpa"`
	TrivyOperator             Addon `json:"trivyOperator"`
	Datadog                   struct {
		Addon
		Site   string    `json:"site"`
		APIKey *VaultRef `json:"apiKey,omitempty"`
		AppKey *VaultRef `json:"appKey,omitempty"`
	} `json:"datadog"`
	Velero struct {
		Addon
	} `json:"velero"`
}

// Addon is the switch every add-on shares.
type Addon struct {
	Enabled      bool     `json:"enabled"`
	Environments []string `json:"environments"`
	Namespace    string   `json:"namespace"`
	Version      string   `json:"version,omitempty"` // chart version pin; see addons.go
}

// In reports whether the add-on is installed in env.
func (a Addon) In(env string) bool {
	return a.Enabled && (len(a.Environments) == 0 || slices.Contains(a.Environments, env))
}

// Service kinds.
const (
	KindWeb      = "web"
	KindWorker   = "worker"
	KindStateful = "stateful"
)

// Service is a workload a team owns, as declared (before per-environment
// overrides; see In).
type Service struct {
	Name        string              `json:"name"`
	Team        string              `json:"team"`
	Namespace   string              `json:"namespace,omitempty"`
	Description string              `json:"description,omitempty"`
	Kind        string              `json:"kind"`
	Image       Image               `json:"image"`
	Ports       []Port              `json:"ports"`
	Command     []string            `json:"command,omitempty"`
	Args        []string            `json:"args,omitempty"`
	Env         map[string]string   `json:"env"`
	Secrets     map[string]VaultRef `json:"secrets"`
	// EnvNotSecret accepts env variables the secret detectors flag, each
	// with the reviewer's reason (internal/secretscan).
	EnvNotSecret map[string]string   `json:"envNotSecret"`
	Resources    Resources           `json:"resources"`
	Replicas     *int                `json:"replicas,omitempty"`
	Probes       Probes              `json:"probes"`
	Autoscaling  *Autoscaling        `json:"autoscaling,omitempty"`
	DependsOn    []string            `json:"dependsOn"`
	Public       *Exposure           `json:"public,omitempty"`
	Egress       []Egress            `json:"egress"`               // see traffic.go
	Resilience   *Resilience         `json:"resilience,omitempty"` // see traffic.go
	Capacity     string              `json:"capacity"`
	Storage      *Storage            `json:"storage,omitempty"`
	AWS          ServiceAWS          `json:"aws"`
	RunAsUser    int64               `json:"runAsUser"`
	Overrides    map[string]Override `json:"overrides"`

	Priority        string           `json:"priority"`                  // see capacity.go
	Disruption      *Disruption      `json:"disruption,omitempty"`      // see capacity.go
	VerticalScaling *VerticalScaling `json:"verticalScaling,omitempty"` // see capacity.go

	WritablePaths       []WritablePath `json:"writablePaths"`       // see workload.go
	SingleReplicaInProd bool           `json:"singleReplicaInProd"` // see workload.go
	Backup              ServiceBackup  `json:"backup"`              // see backup.go
	SLO                 *SLO           `json:"slo,omitempty"`       // see slo.go

	Src cue.Value `json:"-"`
	// Invalid marks a service whose CUE has errors, in a model loaded only
	// so that the cross checks can run on everything else: it has nothing
	// but its name, and is never checked or rendered.
	Invalid bool `json:"-"`
}

// Image pins a container image.
type Image struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag,omitempty"`
	Digest     string `json:"digest,omitempty"`
}

// Port is a named container port.
type Port struct {
	Name     string `json:"name"`
	Port     int32  `json:"port"`
	Protocol string `json:"protocol"`
	// AppProtocol is what the port speaks, if declared; see SpeaksHTTP.
	AppProtocol string `json:"appProtocol,omitempty"`
	Metrics     bool   `json:"metrics"` // scraped by the monitoring agent
}

// VaultRef points at one key of a Vault KV v2 secret.
type VaultRef struct {
	Path string `json:"path"`
	Key  string `json:"key"`
}

// Resources are requests and limits in explicit units.
type Resources struct {
	Requests Quantities `json:"requests"`
	Limits   Quantities `json:"limits"`
}

// Quantities is a CPU and memory amount.
type Quantities struct {
	CPUMillis int64 `json:"cpuMillis"`
	MemoryMiB int64 `json:"memoryMiB"`
}

// Probes configures health checks.
type Probes struct {
	Liveness  *Probe `json:"liveness,omitempty"`
	Readiness *Probe `json:"readiness,omitempty"`
	Startup   *Probe `json:"startup,omitempty"`
}

// Probe is an HTTP GET on a named port, or a command.
type Probe struct {
	HTTP *struct {
		Path string `json:"path"`
		Port string `json:"port"`
	} `json:"http,omitempty"`
	Exec                []string `json:"exec,omitempty"`
	PeriodSeconds       int32    `json:"periodSeconds"`
	TimeoutSeconds      int32    `json:"timeoutSeconds"`
	FailureThreshold    int32    `json:"failureThreshold"`
	InitialDelaySeconds int32    `json:"initialDelaySeconds"`
}

// Autoscaling asks for a HorizontalPodAutoscaler.
type Autoscaling struct {
	MinReplicas             int32  `json:"minReplicas"`
	MaxReplicas             int32  `json:"maxReplicas"`
	TargetCPUUtilization    *int32 `json:"targetCPUUtilization,omitempty"` // see CPUTarget
	TargetMemoryUtilization *int32 `json:"targetMemoryUtilization,omitempty"`

	Metrics  []HPAMetric      `json:"metrics"`            // see capacity.go
	Behavior *ScalingBehavior `json:"behavior,omitempty"` // see capacity.go
}

// Exposure publishes a service through the shared load balancer.
type Exposure struct {
	Host string `json:"host"`
	Path string `json:"path"`
	Port string `json:"port"`
	// Scheme is "internet-facing" or "internal" (meshnames.InternetFacing,
	// meshnames.Internal).
	Scheme string `json:"scheme"`
}

// Storage is the persistent volume of a stateful service.
type Storage struct {
	SizeGiB      int    `json:"sizeGiB"`
	StorageClass string `json:"storageClass"`
	MountPath    string `json:"mountPath"`
}

// ServiceAWS declares AWS resources a service uses.
type ServiceAWS struct {
	Queues         []string                 `json:"queues"`
	Buckets        []string                 `json:"buckets"`
	Tables         map[string]DynamoDBTable `json:"tables"`
	Topics         map[string]SNSTopic      `json:"topics"`
	Email          map[string]SESSending    `json:"email"`
	SecretsManager []string                 `json:"secretsManager"`
	Statements     []IAMStatement           `json:"statements"`
}

// Any reports whether the service declares any AWS access (and so gets a
// role).
func (a ServiceAWS) Any() bool {
	return len(a.Queues)+len(a.Buckets)+len(a.Tables)+len(a.Topics)+len(a.Email)+len(a.SecretsManager)+len(a.Statements) > 0
}

// Access levels of tables and topics.
const (
	AccessRead             = "read"
	AccessWrite            = "write"
	AccessReadWrite        = "readwrite"
	AccessPublish          = "publish"
	AccessSubscribe        = "subscribe"
	AccessPublishSubscribe = "publishsubscribe"
)

// DynamoDBTable is a table a service uses.
type DynamoDBTable struct {
	Access       string       `json:"access"`
	PartitionKey DynamoDBKey  `json:"partitionKey"`
	SortKey      *DynamoDBKey `json:"sortKey,omitempty"`
}

// DynamoDBKey is a key attribute of a table.
type DynamoDBKey struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// SNSTopic is a topic a service uses.
type SNSTopic struct {
	Access string `json:"access"`
}

// SESSending lets a service send from an SES identity.
type SESSending struct {
	From []string `json:"from"`
}

// IAMStatement is a reviewed extra statement of a service's role.
type IAMStatement struct {
	Reason    string   `json:"reason"`
	Actions   []string `json:"actions"`
	Resources []string `json:"resources"`
}

// Override is what an environment may change about a service. A nil field
// is not changed.
type Override struct {
	Image *struct {
		Tag    string `json:"tag,omitempty"`
		Digest string `json:"digest,omitempty"`
	} `json:"image,omitempty"`
	Replicas  *int `json:"replicas,omitempty"`
	Resources *struct {
		Requests QuantitiesOverride `json:"requests"`
		Limits   QuantitiesOverride `json:"limits"`
	} `json:"resources,omitempty"`
	Env         map[string]string `json:"env,omitempty"`
	Autoscaling *struct {
		MinReplicas             *int32           `json:"minReplicas,omitempty"`
		MaxReplicas             *int32           `json:"maxReplicas,omitempty"`
		TargetCPUUtilization    *int32           `json:"targetCPUUtilization,omitempty"`
		TargetMemoryUtilization *int32           `json:"targetMemoryUtilization,omitempty"`
		Behavior                *ScalingBehavior `json:"behavior,omitempty"`
	} `json:"autoscaling,omitempty"`
	Storage *struct {
		SizeGiB int `json:"sizeGiB,omitempty"`
	} `json:"storage,omitempty"`
	Enabled *bool `json:"enabled,omitempty"`

	Disruption      *Disruption              `json:"disruption,omitempty"`      // see capacity.go
	VerticalScaling *VerticalScalingOverride `json:"verticalScaling,omitempty"` // see capacity.go
	SLO             *SLOOverride             `json:"slo,omitempty"`             // see slo.go
}

// QuantitiesOverride changes some of a Quantities.
type QuantitiesOverride struct {
	CPUMillis *int64 `json:"cpuMillis,omitempty"`
	MemoryMiB *int64 `json:"memoryMiB,omitempty"`
}

// Index fills the ordered views. Load calls it; tests that build a Platform
// by hand call it too.
func (p *Platform) Index() {
	p.TeamList = sortedValues(p.Teams, func(t *Team) string { return t.Name })
	p.ServiceList = sortedValues(p.Services, func(s *Service) string { return s.Name })
	p.EnvironmentList = sortedValues(p.Environments, func(e *Environment) string { return e.Name })
	slices.SortStableFunc(p.EnvironmentList, func(a, b *Environment) int { return cmp.Compare(a.Promotion, b.Promotion) })
	for _, e := range p.Environments {
		// An unpinned node image follows the cluster version (the one
		// version table; "" for a version it does not know, which
		// validate reports).
		if k := &e.Sizing.Karpenter; k.AMIAlias == "" {
			k.AMIAlias = eksversions.AMIAlias(e.Kubernetes.Version)
		}
	}
	for _, s := range p.Services {
		if s.Namespace == "" {
			if t := p.Teams[s.Team]; t != nil && len(t.Namespaces) > 0 {
				s.Namespace = t.Namespaces[0]
			}
		}
	}
}

func sortedValues[T any](m map[string]T, key func(T) string) []T {
	out := make([]T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b T) int { return cmp.Compare(key(a), key(b)) })
	return out
}
