package model

import "strings"

// The types below are the AWS foundation of an environment (schemas/aws.cue),
// read by the Terraform emitter and the network checks.

// TerraformSettings pins the tools every root module is planned with.
type TerraformSettings struct {
	RequiredVersion    string `json:"requiredVersion"`
	AWSProviderVersion string `json:"awsProviderVersion"`
}

// SubnetPrefixes are the prefix lengths of the subnets carved out of the VPC
// in each availability zone.
type SubnetPrefixes struct {
	Private int `json:"private"`
	Public  int `json:"public"`
	Intra   int `json:"intra"`
}

// FlowLogs configures the VPC flow logs.
type FlowLogs struct {
	RetentionDays int    `json:"retentionDays"`
	TrafficType   string `json:"trafficType"`
}

// EKS support types.
const (
	SupportStandard = "STANDARD"
	SupportExtended = "EXTENDED"
)

// AddonVersionDefault selects the version EKS marks as default for the
// cluster's Kubernetes version.
const AddonVersionDefault = "default"

// Backup configures the backup bucket.
type Backup struct {
	NoncurrentVersionDays int `json:"noncurrentVersionDays"`
	// ObjectLockDays is the governance-mode retention of backup objects
	// (0: no Object Lock).
	ObjectLockDays int `json:"objectLockDays"`
}

// Registry is the one ECR holding every service's repository, pulled from
// by every environment (aws.registry).
type Registry struct {
	Account            string `json:"account"`
	Region             string `json:"region"`
	KeepTaggedImages   int    `json:"keepTaggedImages"`
	UntaggedExpiryDays int    `json:"untaggedExpiryDays"`
}

// AllowsRegistry reports whether image (a repository, without tag) starts
// with a prefix of allowedRegistries.
func (p Policy) AllowsRegistry(image string) bool {
	for _, r := range p.AllowedRegistries {
		if strings.HasPrefix(image, r) {
			return true
		}
	}
	return false
}

// ECR configures the per-service image repositories.
type ECR struct {
	KeepTaggedImages   int `json:"keepTaggedImages"`
	UntaggedExpiryDays int `json:"untaggedExpiryDays"`
}
