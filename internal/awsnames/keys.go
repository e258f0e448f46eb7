package awsnames

import "github.com/idpgen/idpgen/internal/model"

// KeyAliases lists the alias of every customer managed KMS key the
// environment's Terraform creates, for what counts them (idpgen cost: a
// key is billed per month). internal/cost's tests hold the list to the
// rendered Terraform.
func (n Names) KeyAliases(p *model.Platform) []string {
	env := n.env.Name
	out := []string{n.EKSSecretsKeyAlias(), n.LogsKeyAlias()}
	karpenter := p.Addons.Karpenter.In(env)
	if karpenter || len(n.ServiceQueues(p)) > 0 {
		out = append(out, n.QueuesKeyAlias())
	}
	if !n.Registry().Central {
		for _, svc := range p.ServiceList {
			if svc.Enabled(env) {
				out = append(out, n.ECRKeyAlias())
				break
			}
		}
	}
	if karpenter {
		out = append(out, n.NodeVolumeKeyAlias())
	}
	if p.Addons.Vault.In(env) {
		out = append(out, n.VaultUnsealKeyAlias())
	}
	if p.Addons.Velero.In(env) {
		out = append(out, n.BackupKeyAlias())
		for range n.env.BackupRegions {
			// One replica key in each backup region, under the same alias.
			out = append(out, n.BackupReplicaKeyAlias())
		}
	}
	if len(n.ServiceBuckets(p))+len(n.serviceDataCatalog(p)) > 0 {
		out = append(out, n.ServiceDataKeyAlias())
	}
	return out
}
