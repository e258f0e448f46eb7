package k8srequiredlabels

violation contains {"msg": msg} if {
	some key in input.parameters.labels
	not input.review.object.metadata.labels[key]
	msg := sprintf("%s %s has no label %s", [input.review.kind.kind, input.review.object.metadata.name, key])
}

violation contains {"msg": msg} if {
	some key in input.parameters.labels
	pod_meta
	not pod_meta.labels[key]
	msg := sprintf("the pod template of %s %s has no label %s", [input.review.kind.kind, input.review.object.metadata.name, key])
}
