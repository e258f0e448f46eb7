package addons

import (
	"fmt"

	"github.com/idpgen/idpgen/internal/model"
)

// VeleroSchedulePrefix is what the chart puts before a schedules key: it
// names each Schedule <release fullname>-<key>, and the release is
// "velero". The restore runbook's commands use the same names.
const VeleroSchedulePrefix = "velero-"

// veleroSchedules is one Schedule per backed-up service (its key is the
// service's name), replacing a single schedule over every namespace: each
// service gets its own cron, retention and hooks, and restores one at a
// time. The selector is the service's name label in its namespace: the
// pods, and through them their PersistentVolumeClaims and volumes, plus
// the service's Service, ServiceAccount and workload.
//
// EBS volumes are snapshotted by the AWS plugin (fast, incremental,
// restored as a new volume in minutes; the preHook freeze makes the
// snapshot consistent). A volume of any other storage class cannot be, and
// an EBS snapshot stays in its region: both go through the node agent's
// file-system backup into the bucket instead, which S3 replicates to the
// backup regions (see FsBackup in model.BackupIn).
func (v valuesFor) veleroSchedules() (schedules M, nodeAgent bool) {
	schedules = M{}
	for _, svc := range v.p.ServiceList {
		plan, ok := BackupPlan(svc, v.env)
		if !ok {
			continue
		}
		nodeAgent = nodeAgent || plan.FsBackup
		schedules[svc.Name] = M{
			"schedule": plan.Schedule,
			"labels":   M{"app.kubernetes.io/name": svc.Name, "idpgen.dev/team": svc.Team},
			"template": veleroTemplate(svc, plan),
		}
	}
	return schedules, nodeAgent
}

// BackupPlan is svc's backup in env when it has one: enabled in env and
// the service deployed there. Velero's enablement is checked, not assumed
// (internal/validate).
func BackupPlan(svc *model.Service, env *model.Environment) (model.BackupPlan, bool) {
	if !svc.Enabled(env.Name) {
		return model.BackupPlan{}, false
	}
	return svc.BackupIn(env)
}

func veleroTemplate(svc *model.Service, plan model.BackupPlan) M {
	selector := M{"matchLabels": M{"app.kubernetes.io/name": svc.Name}}
	t := M{
		"includedNamespaces":       []string{svc.Namespace},
		"labelSelector":            selector,
		"ttl":                      fmt.Sprintf("%dh0m0s", plan.TTLHours),
		"storageLocation":          "default",
		"snapshotVolumes":          !plan.FsBackup,
		"defaultVolumesToFsBackup": plan.FsBackup,
	}
	if !plan.FsBackup {
		t["volumeSnapshotLocations"] = []string{"default"}
	}
	hook := M{
		"name":               svc.Name,
		"includedNamespaces": []string{svc.Namespace},
		"labelSelector":      selector,
	}
	exec := func(cmd []string) []M {
		// Fail the backup rather than take one the hook could not
		// prepare; five minutes is far beyond a freeze.
		return []M{{"exec": M{"container": svc.Name, "command": cmd, "onError": "Fail", "timeout": "5m"}}}
	}
	if len(svc.Backup.PreHook) > 0 {
		hook["pre"] = exec(svc.Backup.PreHook)
	}
	if len(svc.Backup.PostHook) > 0 {
		hook["post"] = exec(svc.Backup.PostHook)
	}
	if hook["pre"] != nil || hook["post"] != nil {
		t["hooks"] = M{"resources": []M{hook}}
	}
	return t
}

// veleroLocations are the environment's BackupStorageLocation (the
// Terraform bucket, encrypted with the backup key) and, per backup region,
// a read-only one on its replica, so on-call can list and restore from
// the copy (see the runbook) while this cluster never writes or prunes it.
func (v valuesFor) veleroLocations() (bsl, vsl []M) {
	bsl = []M{{
		"name": "default", "provider": "aws", "bucket": v.n.BackupBucket(), "default": true, "accessMode": "ReadWrite",
		"config": M{"region": v.n.Region(), "kmsKeyId": v.n.BackupKeyAlias()},
	}}
	for _, r := range v.env.BackupRegions {
		bsl = append(bsl, M{
			"name": "replica-" + r, "provider": "aws", "bucket": v.n.BackupReplicaBucket(r), "accessMode": "ReadOnly",
			"config": M{"region": r, "kmsKeyId": v.n.BackupReplicaKeyAlias()},
		})
	}
	vsl = []M{{"name": "default", "provider": "aws", "config": M{"region": v.n.Region()}}}
	return bsl, vsl
}
