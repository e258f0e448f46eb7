package k8scontainerresources

violation contains {"msg": msg} if {
	some c in containers
	some r in input.parameters.requests
	not set(c, "requests", r)
	msg := sprintf("container %s has no %s request", [c.name, r])
}

violation contains {"msg": msg} if {
	some c in containers
	some r in input.parameters.limits
	not set(c, "limits", r)
	msg := sprintf("container %s has a %s request but no %s limit", [c.name, r, r])
}

set(c, field, r) if {
	q := c.resources[field][r]
	q != ""
	q != "0"
	q != 0
}
