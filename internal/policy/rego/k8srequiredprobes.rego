package k8srequiredprobes

violation contains {"msg": msg} if {
	some c in pod_spec.containers
	some probe in input.parameters.probes
	not c[probe]
	msg := sprintf("container %s has no %s", [c.name, probe])
}
