package model

import "strings"

// ServiceBackup is a service's Velero backup (schemas/backup.cue). Unset fields
// take the tier defaults of BackupIn.
type ServiceBackup struct {
	Enabled              *bool                     `json:"enabled,omitempty"`
	Schedule             string                    `json:"schedule,omitempty"`
	TTLHours             int                       `json:"ttlHours,omitempty"`
	PreHook              []string                  `json:"preHook,omitempty"`
	PostHook             []string                  `json:"postHook,omitempty"`
	AcceptNoBackupInProd bool                      `json:"acceptNoBackupInProd"`
	Overrides            map[string]BackupOverride `json:"overrides,omitempty"`
}

// BackupOverride changes a service's backup in one environment.
type BackupOverride struct {
	Enabled  *bool  `json:"enabled,omitempty"`
	Schedule string `json:"schedule,omitempty"`
	TTLHours int    `json:"ttlHours,omitempty"`
}

// Tier defaults of a backup: prod loses at most an hour and keeps a month,
// nonprod loses at most a day and keeps a week.
const (
	BackupScheduleProd    = "0 * * * *"
	BackupScheduleNonprod = "0 3 * * *"
	BackupTTLHoursProd    = 720
	BackupTTLHoursNonprod = 168
)

// BackupPlan is a service's backup in one environment, defaults applied.
type BackupPlan struct {
	// Requested is true when the service or its override says enabled:
	// true (not merely the stateful default).
	Requested bool
	Schedule  string
	TTLHours  int
	// FsBackup is true when the volume goes through the node agent's
	// file-system backup into the bucket instead of an EBS snapshot: when
	// its storage class is not EBS (nothing to snapshot), or when the
	// environment has backup regions (an EBS snapshot stays in its region;
	// the bucket is replicated).
	FsBackup bool
}

// BackupIn returns the service's backup in env and whether it is on. It
// does not look at the velero add-on: a backup that is on where Velero is
// disabled is an error (internal/validate).
func (s *Service) BackupIn(env *Environment) (BackupPlan, bool) {
	b := s.Backup
	on := s.Kind == KindStateful
	plan := BackupPlan{Schedule: BackupScheduleNonprod, TTLHours: BackupTTLHoursNonprod}
	if env.Prod() {
		plan.Schedule, plan.TTLHours = BackupScheduleProd, BackupTTLHoursProd
	}
	if b.Enabled != nil {
		on, plan.Requested = *b.Enabled, *b.Enabled
	}
	if b.Schedule != "" {
		plan.Schedule = b.Schedule
	}
	if b.TTLHours != 0 {
		plan.TTLHours = b.TTLHours
	}
	if o, ok := b.Overrides[env.Name]; ok {
		if o.Enabled != nil {
			on, plan.Requested = *o.Enabled, *o.Enabled
		}
		if o.Schedule != "" {
			plan.Schedule = o.Schedule
		}
		if o.TTLHours != 0 {
			plan.TTLHours = o.TTLHours
		}
	}
	if s.Storage != nil {
		plan.FsBackup = !EBSStorageClass(s.Storage.StorageClass) || len(env.BackupRegions) > 0
	}
	return plan, on
}

// EBSStorageClass reports whether a storage class name is one of EBS's
// volume types (the platform's default StorageClass is gp3): those volumes
// are snapshotted by the AWS plugin, everything else is copied file by
// file.
func EBSStorageClass(name string) bool {
	switch strings.ToLower(name) {
	case "gp2", "gp3", "io1", "io2", "st1", "sc1":
		return true
	}
	return false
}
