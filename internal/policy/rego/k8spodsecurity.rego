package k8spodsecurity

# Pod Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/):
# the baseline checks always, the restricted ones when level is
# "restricted", and a read-only root filesystem when asked.

baseline_capabilities := {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

restricted if input.parameters.level == "restricted"

violation contains {"msg": sprintf("container %s is privileged", [c.name])} if {
	some c in all_containers
	c.securityContext.privileged == true
}

violation contains {"msg": sprintf("the pod shares the host's %s namespace (%s)", [ns, field])} if {
	some field, ns in {"hostNetwork": "network", "hostPID": "process", "hostIPC": "IPC"}
	pod_spec[field] == true
}

violation contains {"msg": sprintf("volume %s is a hostPath volume", [v.name])} if {
	some v in pod_spec.volumes
	v.hostPath
}

violation contains {"msg": sprintf("container %s binds host port %v", [c.name, p.hostPort])} if {
	some c in all_containers
	some p in c.ports
	p.hostPort != 0
}

violation contains {"msg": sprintf("container %s adds capability %s", [c.name, cap])} if {
	some c in all_containers
	some cap in c.securityContext.capabilities.add
	not allowed_capability(cap)
}

allowed_capability(cap) if {
	restricted
	cap == "NET_BIND_SERVICE"
}

allowed_capability(cap) if {
	not restricted
	cap in baseline_capabilities
}

violation contains {"msg": sprintf("container %s does not drop ALL capabilities", [c.name])} if {
	restricted
	some c in all_containers
	not "ALL" in object.get(c, ["securityContext", "capabilities", "drop"], [])
}

violation contains {"msg": sprintf("container %s does not set allowPrivilegeEscalation: false", [c.name])} if {
	restricted
	some c in all_containers
	object.get(c, ["securityContext", "allowPrivilegeEscalation"], true) != false
}

violation contains {"msg": sprintf("container %s may run as root (runAsNonRoot is not true)", [c.name])} if {
	restricted
	some c in all_containers
	not non_root(c)
}

non_root(c) if c.securityContext.runAsNonRoot == true

non_root(c) if {
	pod_spec.securityContext.runAsNonRoot == true
	object.get(c, ["securityContext", "runAsNonRoot"], true) != false
}

violation contains {"msg": sprintf("container %s runs as user 0", [c.name])} if {
	restricted
	some c in all_containers
	object.get(c, ["securityContext", "runAsUser"], object.get(pod_spec, ["securityContext", "runAsUser"], -1)) == 0
}

violation contains {"msg": sprintf("container %s has no RuntimeDefault or Localhost seccomp profile", [c.name])} if {
	restricted
	some c in all_containers
	not seccomp_ok(object.get(c, ["securityContext", "seccompProfile", "type"], object.get(pod_spec, ["securityContext", "seccompProfile", "type"], "")))
}

seccomp_ok("RuntimeDefault")

seccomp_ok("Localhost")

violation contains {"msg": sprintf("container %s has a writable root filesystem", [c.name])} if {
	input.parameters.readOnlyRootFilesystem
	some c in containers
	object.get(c, ["securityContext", "readOnlyRootFilesystem"], false) != true
}
