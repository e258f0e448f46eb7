package model

// VaultSnapshots are Vault's scheduled raft snapshots
// (addons.vault.snapshots in schemas/addons.cue). Unset fields take the
// tier defaults of VaultSnapshotsIn.
type VaultSnapshots struct {
	Enabled       bool                             `json:"enabled"`
	Schedule      string                           `json:"schedule,omitempty"`
	RetentionDays int                              `json:"retentionDays,omitempty"`
	Overrides     map[string]VaultSnapshotOverride `json:"overrides,omitempty"`
}

// VaultSnapshotOverride changes the snapshots in one environment.
type VaultSnapshotOverride struct {
	Enabled       *bool  `json:"enabled,omitempty"`
	Schedule      string `json:"schedule,omitempty"`
	RetentionDays int    `json:"retentionDays,omitempty"`
}

// Tier defaults of the Vault snapshots: the services' backup cadence
// (BackupScheduleProd, BackupScheduleNonprod), kept as long as their
// backups.
const (
	VaultSnapshotRetentionDaysProd    = BackupTTLHoursProd / 24
	VaultSnapshotRetentionDaysNonprod = BackupTTLHoursNonprod / 24
)

// VaultSnapshotPlan is the snapshots of one environment, defaults applied.
type VaultSnapshotPlan struct {
	Schedule      string
	RetentionDays int
}

// VaultSnapshotsIn returns the snapshots of env and whether they are
// taken there: where Vault runs, the velero add-on's backup bucket exists
// (they are written to it) and they are not switched off.
func (p *Platform) VaultSnapshotsIn(env *Environment) (VaultSnapshotPlan, bool) {
	s := p.Addons.Vault.Snapshots
	plan := VaultSnapshotPlan{Schedule: BackupScheduleNonprod, RetentionDays: VaultSnapshotRetentionDaysNonprod}
	if env.Prod() {
		plan = VaultSnapshotPlan{Schedule: BackupScheduleProd, RetentionDays: VaultSnapshotRetentionDaysProd}
	}
	on := s.Enabled
	if s.Schedule != "" {
		plan.Schedule = s.Schedule
	}
	if s.RetentionDays != 0 {
		plan.RetentionDays = s.RetentionDays
	}
	if o, ok := s.Overrides[env.Name]; ok {
		if o.Enabled != nil {
			on = *o.Enabled
		}
		if o.Schedule != "" {
			plan.Schedule = o.Schedule
		}
		if o.RetentionDays != 0 {
			plan.RetentionDays = o.RetentionDays
		}
	}
	on = on && p.Addons.Vault.In(env.Name) && p.Addons.Velero.In(env.Name)
	return plan, on
}
