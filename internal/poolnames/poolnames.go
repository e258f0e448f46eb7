// Package poolnames holds the names the node pools and the workloads must
// agree on: which Karpenter NodePools exist, the taint that keeps the
// on-demand pool to the workloads that asked for it, and the node labels a
// workload selects on. The Karpenter objects and the workload emitter both
// call this package.
package poolnames

// NodePool names.
const (
	// General is the pool for workloads that tolerate spot: spot and
	// on-demand where the environment allows spot, on-demand otherwise.
	General = "general"
	// OnDemand is the tainted on-demand pool for workloads that must never
	// run on spot (stateful services always; any service with capacity
	// "on-demand").
	OnDemand = "on-demand"
)

// NodeClass is the name of the environment's EC2NodeClass.
const NodeClass = "default"

// The taint on the OnDemand pool's nodes; workloads with capacity
// "on-demand" tolerate it and select the pool by NodePoolLabel.
const (
	OnDemandTaintKey    = "idpgen.dev/capacity"
	OnDemandTaintValue  = "on-demand"
	OnDemandTaintEffect = "NoSchedule"
)

// Well-known node labels Karpenter sets.
const (
	NodePoolLabel     = "karpenter.sh/nodepool"
	CapacityTypeLabel = "karpenter.sh/capacity-type"
)
