package validate

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/errors"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/model"
)

// backups checks a service's Velero backup in every environment it runs
// in: a stateful service whose backup is off in prod (unless accepted),
// a backup requested where Velero is not installed, a schedule that is not
// cron, and a retention shorter than the schedule's interval (times with
// no backup to restore). intervals caches the longest gap per cron
// expression: a platform has a handful of distinct schedules.
func backups(p *model.Platform, svc *model.Service, intervals map[string]cronGap, add func(errors.Error)) {
	at := func(sel cue.Path, format string, args ...any) { add(diag.AtPath(svc.Src, sel, format, args...)) }
	b := svc.Backup
	for _, env := range p.EnvironmentList {
		if !svc.Enabled(env.Name) {
			continue
		}
		plan, on := svc.BackupIn(env)
		// Where the setting that decides comes from: the environment's
		// override when it sets it, else the service's backup.
		field := func(name string, set func(model.BackupOverride) bool) cue.Path {
			if o, ok := b.Overrides[env.Name]; ok && set(o) {
				return diag.Sel("backup", "overrides", env.Name, name)
			}
			return diag.Sel("backup", name)
		}
		velero := p.Addons.Velero.In(env.Name)
		switch {
		case on && plan.Requested && !velero:
			at(field("enabled", func(o model.BackupOverride) bool { return o.Enabled != nil }),
				"backup requested in environment %q, where the velero add-on is disabled: enable addons.velero there or turn the backup off", env.Name)
		case svc.Kind == model.KindStateful && env.Prod() && !on && velero && !b.AcceptNoBackupInProd:
			// Where Velero is not installed at all, backups are the
			// platform's choice for the environment, not the service's.
			at(field("enabled", func(o model.BackupOverride) bool { return o.Enabled != nil }),
				"stateful service has its backup off in prod environment %q: its data would be lost with its volume; back it up or set backup.acceptNoBackupInProd: true", env.Name)
		}
		if !on {
			continue
		}
		schedule := field("schedule", func(o model.BackupOverride) bool { return o.Schedule != "" })
		gap, ok := intervals[plan.Schedule]
		if !ok {
			gap = longestGap(plan.Schedule)
			intervals[plan.Schedule] = gap
		}
		if gap.err != nil {
			at(schedule, "backup schedule %q: %v", plan.Schedule, gap.err)
			continue
		}
		if plan.TTLHours*60 < gap.minutes {
			at(field("ttlHours", func(o model.BackupOverride) bool { return o.TTLHours != 0 }),
				"backups are kept %dh but schedule %q runs up to %s apart in environment %q: some of that time no backup would exist; keep them at least %dh",
				plan.TTLHours, plan.Schedule, hours(gap.minutes), env.Name, (gap.minutes+59)/60)
		}
	}
}

func hours(minutes int) string {
	if minutes%60 == 0 {
		return fmt.Sprintf("%dh", minutes/60)
	}
	return fmt.Sprintf("%dh%dm", minutes/60, minutes%60)
}

type cronGap struct {
	minutes int
	err     error
}

// longestGap parses a five-field cron expression (minute hour day-of-month
// month day-of-week; numbers, *, ranges, steps and lists) and returns the
// longest time between two runs over a leap cycle's worth of calendar:
// 366 days starting on a Monday covers every weekday and month length
// that matters for a retention bound (a Feb 29-only schedule is refused
// as running less than yearly).
func longestGap(expr string) cronGap {
	f := strings.Fields(expr)
	if len(f) != 5 {
		return cronGap{err: fmt.Errorf("want five fields (minute hour day-of-month month day-of-week), got %d", len(f))}
	}
	bounds := [5][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}}
	var sets [5][]bool
	for i, field := range f {
		s, err := cronField(field, bounds[i][0], bounds[i][1])
		if err != nil {
			return cronGap{err: fmt.Errorf("field %d (%q): %v", i+1, field, err)}
		}
		sets[i] = s
	}
	if sets[4][7] {
		sets[4][0] = true // 7 is Sunday too
	}
	domStar, dowStar := f[2] == "*", f[4] == "*"
	// Days of 2024 (a leap year starting on a Monday) and the first
	// weeks of 2025, so a yearly schedule still shows two runs.
	monthDays := []int{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 28}
	last, longest, weekday, day := -1, 0, 1, 0
	for m, n := range monthDays {
		for d := 1; d <= n; d++ {
			dom, dow := sets[2][d], sets[4][weekday]
			// Vixie cron: when both day fields are restricted, either matches.
			match := dom && dow
			if !domStar && !dowStar {
				match = dom || dow
			}
			if sets[3][m%12+1] && match {
				for h := 0; h < 24; h++ {
					for mi := 0; mi < 60; mi++ {
						if sets[1][h] && sets[0][mi] {
							t := (day*24+h)*60 + mi
							if last >= 0 && t-last > longest {
								longest = t - last
							}
							last = t
						}
					}
				}
			}
			weekday = (weekday + 1) % 7
			day++
		}
	}
	if longest == 0 {
		return cronGap{err: fmt.Errorf("runs less than once a year")}
	}
	return cronGap{minutes: longest}
}

func cronField(field string, lo, hi int) ([]bool, error) {
	set := make([]bool, hi+1)
	for _, part := range strings.Split(field, ",") {
		rng, step := part, 1
		if i := strings.IndexByte(part, '/'); i >= 0 {
			s, err := strconv.Atoi(part[i+1:])
			if err != nil || s < 1 {
				return nil, fmt.Errorf("bad step %q", part[i+1:])
			}
			rng, step = part[:i], s
		}
		from, to := lo, hi
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err1, err2 error
			from, err1 = strconv.Atoi(a)
			to, err2 = strconv.Atoi(b)
			if err1 != nil || err2 != nil || from > to {
				return nil, fmt.Errorf("bad range %q", rng)
			}
		default:
			n, err := strconv.Atoi(rng)
			if err != nil {
				return nil, fmt.Errorf("%q is not a number (names such as MON are not supported)", rng)
			}
			from, to = n, n
			if step > 1 {
				to = hi
			}
		}
		if from < lo || to > hi {
			return nil, fmt.Errorf("%d-%d is outside %d-%d", from, to, lo, hi)
		}
		for v := from; v <= to; v += step {
			set[v] = true
		}
	}
	return set, nil
}

// vaultSnapshots checks addons.vault.snapshots: each override names an
// environment, and in every environment where the snapshots are taken the
// schedule is cron and the retention covers the longest gap between two
// snapshots.
func vaultSnapshots(p *model.Platform, intervals map[string]cronGap, add func(errors.Error)) {
	s := p.Addons.Vault.Snapshots
	base := diag.Sel("addons", "vault", "snapshots")
	at := func(sel cue.Path, format string, args ...any) { add(diag.AtPath(p.Src, sel, format, args...)) }
	for _, name := range slices.Sorted(maps.Keys(s.Overrides)) {
		if p.Environments[name] == nil {
			at(diag.Sel(base, "overrides", name), "unknown environment %q; expected one of: %s", name, keys(p.Environments))
		}
	}
	for _, env := range p.EnvironmentList {
		plan, on := p.VaultSnapshotsIn(env)
		if !on {
			continue
		}
		field := func(name string, set func(model.VaultSnapshotOverride) bool) cue.Path {
			if o, ok := s.Overrides[env.Name]; ok && set(o) {
				return diag.Sel(base, "overrides", env.Name, name)
			}
			if p.Src.LookupPath(diag.Sel(base, name)).Exists() {
				return diag.Sel(base, name)
			}
			return base
		}
		gap, ok := intervals[plan.Schedule]
		if !ok {
			gap = longestGap(plan.Schedule)
			intervals[plan.Schedule] = gap
		}
		if gap.err != nil {
			at(field("schedule", func(o model.VaultSnapshotOverride) bool { return o.Schedule != "" }), "Vault snapshot schedule %q: %v", plan.Schedule, gap.err)
			continue
		}
		if plan.RetentionDays*24*60 < gap.minutes {
			at(field("retentionDays", func(o model.VaultSnapshotOverride) bool { return o.RetentionDays != 0 }),
				"Vault snapshots are kept %d days but schedule %q runs up to %s apart in environment %q: some of that time no snapshot would exist; keep them at least %d days",
				plan.RetentionDays, plan.Schedule, hours(gap.minutes), env.Name, (gap.minutes+24*60-1)/(24*60))
		}
	}
}
