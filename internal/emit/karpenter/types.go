package karpenter

// Local types for the fields idpgen sets, with the upstream JSON names
// (karpenter-provider-aws pkg/apis/v1, kubernetes-sigs/karpenter
// pkg/apis/v1). The tests validate every rendered object strictly against
// the upstream CRDs, so a misspelt or misplaced field fails them.

// Meta is the object metadata idpgen sets.
type Meta struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
}

// NodeClass is a karpenter.k8s.aws/v1 EC2NodeClass.
type NodeClass struct {
	APIVersion string        `json:"apiVersion"`
	Kind       string        `json:"kind"`
	Metadata   Meta          `json:"metadata"`
	Spec       NodeClassSpec `json:"spec"`
}

type NodeClassSpec struct {
	Role                       string               `json:"role"`
	AMISelectorTerms           []AMISelectorTerm    `json:"amiSelectorTerms"`
	SubnetSelectorTerms        []SelectorTerm       `json:"subnetSelectorTerms"`
	SecurityGroupSelectorTerms []SelectorTerm       `json:"securityGroupSelectorTerms"`
	MetadataOptions            MetadataOptions      `json:"metadataOptions"`
	BlockDeviceMappings        []BlockDeviceMapping `json:"blockDeviceMappings"`
	Tags                       map[string]string    `json:"tags,omitempty"`
}

type AMISelectorTerm struct {
	Alias string `json:"alias"`
}

type SelectorTerm struct {
	Tags map[string]string `json:"tags"`
}

type MetadataOptions struct {
	HTTPEndpoint            string `json:"httpEndpoint"`
	HTTPProtocolIPv6        string `json:"httpProtocolIPv6"`
	HTTPPutResponseHopLimit int    `json:"httpPutResponseHopLimit"`
	HTTPTokens              string `json:"httpTokens"`
}

type BlockDeviceMapping struct {
	DeviceName string `json:"deviceName"`
	RootVolume bool   `json:"rootVolume,omitempty"`
	EBS        EBS    `json:"ebs"`
}

type EBS struct {
	VolumeSize          string `json:"volumeSize"`
	VolumeType          string `json:"volumeType"`
	Encrypted           bool   `json:"encrypted"`
	KMSKeyID            string `json:"kmsKeyID"`
	DeleteOnTermination bool   `json:"deleteOnTermination"`
}

// NodePool is a karpenter.sh/v1 NodePool.
type NodePool struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Metadata   Meta         `json:"metadata"`
	Spec       NodePoolSpec `json:"spec"`
}

type NodePoolSpec struct {
	Template   NodeClaimTemplate `json:"template"`
	Disruption Disruption        `json:"disruption"`
	Limits     map[string]string `json:"limits"`
	Weight     int               `json:"weight"`
}

type NodeClaimTemplate struct {
	Spec NodeClaimTemplateSpec `json:"spec"`
}

type NodeClaimTemplateSpec struct {
	NodeClassRef NodeClassRef  `json:"nodeClassRef"`
	Requirements []Requirement `json:"requirements"`
	Taints       []Taint       `json:"taints,omitempty"`
	ExpireAfter  string        `json:"expireAfter"`
}

type NodeClassRef struct {
	Group string `json:"group"`
	Kind  string `json:"kind"`
	Name  string `json:"name"`
}

type Requirement struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator"`
	Values   []string `json:"values"`
}

type Taint struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Effect string `json:"effect"`
}

type Disruption struct {
	ConsolidationPolicy string   `json:"consolidationPolicy"`
	ConsolidateAfter    string   `json:"consolidateAfter"`
	Budgets             []Budget `json:"budgets"`
}

// Budget has the fields of model.DisruptionBudget, so one converts to the
// other.
type Budget struct {
	Nodes    string   `json:"nodes"`
	Schedule string   `json:"schedule,omitempty"`
	Duration string   `json:"duration,omitempty"`
	Reasons  []string `json:"reasons,omitempty"`
}
