package addons

import (
	"fmt"
	"path"
	"strings"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/tree"
	"github.com/idpgen/idpgen/internal/vaultnames"
)

// RunbookPath is where an environment's restore runbook is rendered: in
// git, next to what it restores, so on-call has it when the cluster (or
// the wiki) is gone.
func RunbookPath(env string) string { return path.Join("environments", env, "runbooks", "restore.md") }

// RestoreCommand is the command restoring svc from the latest backup of
// its Schedule: the same namespace and selector the Schedule backs up, so
// nothing of another service is touched.
func RestoreCommand(svc *model.Service) string {
	return fmt.Sprintf("velero restore create %s-$(date -u +%%Y%%m%%d%%H%%M) --from-schedule %s%s --include-namespaces %s --selector app.kubernetes.io/name=%s --wait",
		svc.Name, VeleroSchedulePrefix, svc.Name, svc.Namespace, svc.Name)
}

// runbook writes env's restore runbook when Velero runs there.
func (e *Emitter) runbook(p *model.Platform, env *model.Environment, out *tree.Tree) error {
	if !p.Addons.Velero.In(env.Name) {
		return nil
	}
	n := awsnames.For(p, env)
	ns := p.Addons.Velero.Namespace
	if ns == "" {
		ns = "velero"
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# %s", tree.Marker)
	w("")
	w("# Restore runbook: %s (%s)", env.Name, env.Tier)
	w("")
	w("Cluster `%s` in account %s, region %s. Velero runs in namespace `%s`; backups are written to", n.Cluster(), env.Account, env.Region, ns)
	w("`s3://%s`, encrypted with KMS key `%s`.", n.BackupBucket(), n.BackupKeyAlias())
	if len(env.BackupRegions) > 0 {
		w("The bucket is replicated by S3 to:")
		w("")
		for _, r := range env.BackupRegions {
			w("- %s: `s3://%s` (KMS key `%s` in %s), Velero location `replica-%s` (read-only)", r, n.BackupReplicaBucket(r), n.BackupReplicaKeyAlias(), r, r)
		}
		w("")
		w("Volumes are copied file by file into the bucket (an EBS snapshot would stay in %s).", env.Region)
	} else {
		w("No backup region: losing %s loses the backups. EBS volumes are snapshotted in %s.", env.Region, env.Region)
	}
	w("")
	w("## Backups")
	w("")
	w("| Service | Team | Namespace | Velero Schedule | Cron (UTC) | Kept | Volumes | Hooks |")
	w("|---|---|---|---|---|---|---|---|")
	var backedUp []*model.Service
	for _, svc := range p.ServiceList {
		plan, ok := BackupPlan(svc, env)
		if !ok {
			continue
		}
		backedUp = append(backedUp, svc)
		volumes := "none"
		if svc.Storage != nil {
			volumes = "EBS snapshot"
			if plan.FsBackup {
				volumes = "file-system backup"
			}
		}
		var hooks []string
		if len(svc.Backup.PreHook) > 0 {
			hooks = append(hooks, "pre: `"+strings.Join(svc.Backup.PreHook, " ")+"`")
		}
		if len(svc.Backup.PostHook) > 0 {
			hooks = append(hooks, "post: `"+strings.Join(svc.Backup.PostHook, " ")+"`")
		}
		if len(hooks) == 0 {
			hooks = []string{"none"}
		}
		w("| %s | %s | %s | `%s%s` | `%s` | %s | %s | %s |", svc.Name, svc.Team, svc.Namespace, VeleroSchedulePrefix, svc.Name,
			plan.Schedule, retention(plan.TTLHours), volumes, strings.ReplaceAll(strings.Join(hooks, "; "), "|", `\|`))
	}
	if len(backedUp) == 0 {
		w("| (none) | | | | | | | |")
	}
	w("")
	w("## Restoring a service")
	w("")
	w("A restore never overwrites an object that exists. For each service:")
	w("")
	w("1. Stop Argo CD from recreating it: `argocd app set <service> --sync-policy none`.")
	w("2. Delete the workload and, to restore data, its PersistentVolumeClaims:")
	w("   `kubectl -n <namespace> delete statefulset,deployment,pvc -l app.kubernetes.io/name=<service>`.")
	w("3. Run the restore command below (latest backup), or pick one with")
	w("   `velero backup get --selector velero.io/schedule-name=velero-<service>` and")
	w("   `velero restore create --from-backup <backup> …` with the same flags.")
	w("4. Check `velero restore describe <restore> --details`, then turn automated sync back on:")
	w("   `argocd app set <service> --sync-policy automated --self-heal`.")
	for _, svc := range backedUp {
		w("")
		w("### %s", svc.Name)
		w("")
		w("```sh")
		w("velero backup get --selector velero.io/schedule-name=%s%s", VeleroSchedulePrefix, svc.Name)
		w("%s", RestoreCommand(svc))
		w("```")
	}
	if len(env.BackupRegions) > 0 {
		w("")
		w("## Losing %s", env.Region)
		w("")
		w("In a cluster in a backup region, with Velero installed, add the replica as a read-only location and restore from it:")
		w("")
		w("```sh")
		for _, r := range env.BackupRegions {
			w("velero backup-location create replica-%s --provider aws --bucket %s --config region=%s,kmsKeyId=%s --access-mode ReadOnly",
				r, n.BackupReplicaBucket(r), r, n.BackupReplicaKeyAlias())
		}
		w("velero backup get")
		w("velero restore create --from-backup <backup> --include-namespaces <namespace> --selector app.kubernetes.io/name=<service> --wait")
		w("```")
	}
	if p.Addons.Vault.In(env.Name) {
		vns := p.Addons.Vault.Namespace
		if vns == "" {
			vns = "vault"
		}
		w("")
		w("## Vault")
		w("")
		w("Vault's raft storage is not in a Velero Schedule: restore it from a raft snapshot. Vault auto-unseals with KMS key")
		w("`%s` (region %s), so a restored cluster needs that key, not unseal shares.", n.VaultUnsealKeyAlias(), env.Region)
		w("")
		if plan, ok := p.VaultSnapshotsIn(env); ok {
			w("The CronJob `%s/%s` takes a snapshot on `%s` (UTC) and writes it to", vns, vaultnames.Snapshots, plan.Schedule)
			w("`%s` (KMS key `%s`); S3 deletes each after %d days.", SnapshotLocation(p, env), n.BackupKeyAlias(), plan.RetentionDays)
			for _, r := range env.BackupRegions {
				w("S3 replicates them to `s3://%s/%s` in %s.", n.BackupReplicaBucket(r), vaultnames.SnapshotPrefix(env.Name), r)
			}
			w("Fetch the latest one (with a role allowed to read the bucket and decrypt with the key):")
			w("")
			w("```sh")
			w("aws s3 ls %s --region %s | sort | tail -n 3", SnapshotLocation(p, env), env.Region)
			w("aws s3 cp %s<snapshot> ./vault.snap --region %s", SnapshotLocation(p, env), env.Region)
			w("kubectl -n %s get jobs -l app.kubernetes.io/name=%s", vns, vaultnames.Snapshots)
			w("```")
			w("")
			w("Take one by hand before any risky change: `kubectl -n %s create job --from=cronjob/%s %s-manual`, or:", vns, vaultnames.Snapshots, vaultnames.Snapshots)
		} else {
			w("No scheduled snapshots here (addons.vault.snapshots, or no backup bucket): take one before any risky change:")
		}
		w("")
		w("```sh")
		w("kubectl -n %s exec vault-0 -- vault operator raft snapshot save /tmp/vault.snap", vns)
		w("kubectl -n %s cp vault-0:/tmp/vault.snap ./vault-$(date -u +%%Y%%m%%d%%H%%M).snap", vns)
		w("```")
		w("")
		w("To restore (on the active node, with a token allowed to `sys/storage/raft/snapshot-force`):")
		w("")
		w("```sh")
		w("kubectl -n %s cp ./vault.snap vault-0:/tmp/vault.snap", vns)
		w("kubectl -n %s exec vault-0 -- vault operator raft snapshot restore -force /tmp/vault.snap", vns)
		w("kubectl -n %s exec vault-0 -- vault status", vns)
		w("```")
		w("")
		w("Then restart the External Secrets controller so every ExternalSecret is read again.")
	}
	return out.Add(e.Name(), RunbookPath(env.Name), []byte(b.String()))
}

// SnapshotLocation is where env's scheduled Vault snapshots are written:
// the S3 URL of their prefix in the backup bucket.
func SnapshotLocation(p *model.Platform, env *model.Environment) string {
	return "s3://" + awsnames.For(p, env).BackupBucket() + "/" + vaultnames.SnapshotPrefix(env.Name)
}

func retention(hours int) string {
	if hours%24 == 0 {
		return fmt.Sprintf("%d days", hours/24)
	}
	return fmt.Sprintf("%d hours", hours)
}
