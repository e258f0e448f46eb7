package k8sprodavailability

# A Deployment or StatefulSet runs at least minReplicas pods (itself or
# through a HorizontalPodAutoscaler's minReplicas) and a
# PodDisruptionBudget selects its pods. The autoscalers and budgets come
# from data.inventory, which Gatekeeper fills as its Config's sync lists.

workload := input.review.object

ns := workload.metadata.namespace

exempt if concat("/", [ns, workload.metadata.name]) in input.parameters.exempt

violation contains {"msg": msg} if {
	not exempt
	replicas := min_replicas
	replicas < input.parameters.minReplicas
	msg := sprintf("%s %s runs %v replica(s); at least %v in this environment", [input.review.kind.kind, workload.metadata.name, replicas, input.parameters.minReplicas])
}

min_replicas := workload.spec.replicas

min_replicas := m if {
	not workload.spec.replicas
	some hpa in data.inventory.namespace[ns]["autoscaling/v2"].HorizontalPodAutoscaler
	hpa.spec.scaleTargetRef.kind == input.review.kind.kind
	hpa.spec.scaleTargetRef.name == workload.metadata.name
	m := object.get(hpa.spec, "minReplicas", 1)
}

violation contains {"msg": msg} if {
	not exempt
	not budgeted
	msg := sprintf("no PodDisruptionBudget selects the pods of %s %s", [input.review.kind.kind, workload.metadata.name])
}

budgeted if {
	some pdb in data.inventory.namespace[ns]["policy/v1"].PodDisruptionBudget
	count(pdb.spec.selector.matchLabels) > 0
	every k, v in pdb.spec.selector.matchLabels {
		workload.spec.template.metadata.labels[k] == v
	}
}
