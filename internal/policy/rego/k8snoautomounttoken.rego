package k8snoautomounttoken

violation contains {"msg": msg} if {
	input.review.kind.kind == "ServiceAccount"
	object.get(input.review.object, "automountServiceAccountToken", true) != false
	msg := sprintf("ServiceAccount %s does not set automountServiceAccountToken: false", [input.review.object.metadata.name])
}

violation contains {"msg": msg} if {
	pod_spec
	object.get(pod_spec, "automountServiceAccountToken", true) != false
	msg := "the pod does not set automountServiceAccountToken: false (the API token is mounted by default)"
}
