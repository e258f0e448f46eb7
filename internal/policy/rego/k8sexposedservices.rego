package k8sexposedservices

violation contains {"msg": msg} if {
	input.review.kind.kind == "Service"
	type := input.review.object.spec.type
	type in input.parameters.disallowedTypes
	msg := sprintf("Service %s is of type %s: traffic enters the cluster only through the ingress gateways", [input.review.object.metadata.name, type])
}
