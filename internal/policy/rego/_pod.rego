
# The pod spec of the object under review: a Pod, or the pod template of a
# workload (so that a Deployment is refused, not only the pods it would
# create).
pod_spec := input.review.object.spec if input.review.kind.kind == "Pod"

pod_spec := input.review.object.spec.template.spec if {
	input.review.kind.kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"}
}

pod_spec := input.review.object.spec.jobTemplate.spec.template.spec if input.review.kind.kind == "CronJob"

pod_meta := input.review.object.metadata if input.review.kind.kind == "Pod"

pod_meta := input.review.object.spec.template.metadata if {
	input.review.kind.kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"}
}

pod_meta := input.review.object.spec.jobTemplate.spec.template.metadata if input.review.kind.kind == "CronJob"

containers contains c if some c in pod_spec.containers

containers contains c if some c in pod_spec.initContainers

all_containers contains c if some c in containers

all_containers contains c if some c in pod_spec.ephemeralContainers
