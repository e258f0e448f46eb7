package terraform

import (
	"github.com/idpgen/idpgen/internal/netplan"
)

// outputs are for people and CI: the Kubernetes side never reads them (it
// computes the same names with awsnames), but a kubeconfig, the Argo CD
// cluster secret and a quick check after apply do.
func (b *builder) outputs() {
	n := b.n
	b.output("cluster_name", "EKS cluster name: aws eks update-kubeconfig --name <this>; Karpenter settings.clusterName.", ref(clusterAddr, "name"))
	b.output("cluster_endpoint", "Kubernetes API endpoint: kubeconfig and the Argo CD cluster secret (server).", ref(clusterAddr, "endpoint"))
	b.output("cluster_certificate_authority_data", "Base64 CA bundle of the API server: kubeconfig and the Argo CD cluster secret (caData).", ref(clusterAddr, "certificate_authority[0].data"))
	b.output("cluster_security_group_id", "Security group EKS created for the control plane.", clusterSG)
	b.output("region", "AWS region of the environment: Helm values of the AWS add-ons (region).", b.env.Region)
	b.output("vpc_id", "VPC id: AWS Load Balancer Controller vpcId.", ref(vpcAddr, "id"))
	b.output("private_subnet_ids", "Subnets of nodes and internal load balancers (Karpenter finds them by the discovery tag).", b.subnetIDs(netplan.Private))
	b.output("public_subnet_ids", "Subnets of internet-facing load balancers.", b.subnetIDs(netplan.Public))
	b.output("node_security_group_id", "Security group of every node (Karpenter finds it by the discovery tag).", ref(nodeSGAddr, "id"))

	if b.karpenter() {
		b.output("karpenter_node_role_name", "EC2NodeClass spec.role.", ref(roleAddr("karpenter_node"), "name"))
		b.output("karpenter_interruption_queue", "Karpenter Helm value settings.interruptionQueue.", ref(interruptQ, "name"))
	}
	roles := obj{}
	for _, id := range n.PodIdentities(b.p) {
		roles[id.Namespace+"/"+id.ServiceAccount] = ref(roleAddr(id.ID), "arn")
	}
	b.output("pod_identity_role_arns", "IAM role of each namespace/service account bound through EKS Pod Identity (no annotation needed on the service account).", roles)
	teams := obj{}
	for _, t := range b.p.TeamList {
		teams[t.Name] = ref(roleAddr("team_"+tfName(t.Name)), "arn")
	}
	b.output("team_role_arns", "Role each team assumes (from its SSO permission set) for read-only access to its namespaces.", teams)
	if b.velero() {
		b.output("backup_bucket", "Velero BackupStorageLocation bucket.", ref(backupBucket, "bucket"))
		b.output("backup_kms_key_arn", "KMS key encrypting the backup bucket (Velero config.kmsKeyId).", ref(keyAddr("backups"), "arn"))
	}
	if b.vault() {
		b.output("vault_kms_key_alias", "Vault seal \"awskms\" kms_key_id.", ref("aws_kms_alias.vault_unseal", "name"))
	}
	if !n.Registry().Central { // else generated/registry/terraform has them
		repos := obj{}
		for _, svc := range b.p.ServiceList {
			if svc.Enabled(b.env.Name) {
				repos[svc.Name] = ref("aws_ecr_repository."+tfName(svc.Name), "repository_url")
			}
		}
		b.output("ecr_repository_urls", "Image repository of each service: CI pushes here.", repos)
	}
	queues := obj{}
	for _, q := range n.ServiceQueues(b.p) {
		queues[q] = ref("aws_sqs_queue.svc_"+tfName(q), "url")
	}
	if len(queues) > 0 {
		b.output("service_queue_urls", "SQS queue URL of each queue services declare.", queues)
	}
}
