package k8sallowedrepos

violation contains {"msg": msg} if {
	some c in all_containers
	not allowed(c.image)
	msg := sprintf("container %s: image %s is not from an allowed registry (%s)", [c.name, c.image, concat(", ", input.parameters.repos)])
}

allowed(image) if {
	some repo in input.parameters.repos
	startswith(image, repo)
}
