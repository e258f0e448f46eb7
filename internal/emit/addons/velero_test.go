package addons_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/crdschema"
	"github.com/idpgen/idpgen/internal/emit/addons"
	"github.com/idpgen/idpgen/internal/helmcheck"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/render"
)

func veleroCRDs(t *testing.T) *crdschema.Set {
	t.Helper()
	dir, err := crdschema.ModuleDir(crdschema.VeleroCRDs)
	if err != nil {
		t.Fatal(err)
	}
	bases := filepath.Join(dir, "config", "crd", "v1", "bases")
	set, err := crdschema.Load(filepath.Join(bases, "velero.io_schedules.yaml"),
		filepath.Join(bases, "velero.io_backupstoragelocations.yaml"), filepath.Join(bases, "velero.io_volumesnapshotlocations.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// veleroObjects renders the pinned Velero chart with env's values and
// returns its Velero objects by kind.
func veleroObjects(t *testing.T, p *model.Platform, env *model.Environment, data []byte) map[string][]map[string]any {
	t.Helper()
	for _, r := range addons.Releases(p, env) {
		if r.Name != "velero" {
			continue
		}
		dir := chartDir(t, r.Name, r.Chart, r.Version, moduleCharts["velero"])
		out, err := helmcheck.Check(helmcheck.Input{ChartPath: dir, Values: data, Release: r.Name, Namespace: r.Namespace, KubeVersion: env.Kubernetes.Version})
		if err != nil {
			t.Fatalf("%s: %v", env.Name, err)
		}
		objs := map[string][]map[string]any{}
		for _, manifest := range out {
			for _, doc := range strings.Split(manifest, "\n---") {
				var o map[string]any
				if err := yaml.Unmarshal([]byte(doc), &o); err != nil || o == nil {
					continue
				}
				if api, _ := o["apiVersion"].(string); api == "velero.io/v1" {
					objs[o["kind"].(string)] = append(objs[o["kind"].(string)], o)
				}
			}
		}
		return objs
	}
	t.Fatalf("%s: no velero release", env.Name)
	return nil
}

// The chart, fed the emitted values, renders one Schedule per backed-up
// service and the storage locations; each passes the upstream Velero CRD
// (unknown fields are errors), selects exactly its service in its
// namespace, and carries the plan's cron, TTL and volume method.
func TestVeleroObjectsMatchUpstreamCRDs(t *testing.T) {
	p, tr := example(t)
	crds := veleroCRDs(t)
	backedUp := 0
	for _, env := range p.EnvironmentList {
		if !p.Addons.Velero.In(env.Name) {
			continue
		}
		f, _ := tr.Get(addons.ValuesPath(env.Name, "velero"))
		objs := veleroObjects(t, p, env, f.Data)
		for kind, list := range objs {
			for _, o := range list {
				if err := crds.Validate(o); err != nil {
					t.Errorf("%s: %s %v: %v", env.Name, kind, dig(o, "metadata", "name"), err)
				}
			}
		}
		n := awsnames.For(p, env)
		bsl := objs["BackupStorageLocation"]
		if len(bsl) != 1+len(env.BackupRegions) {
			t.Errorf("%s: %d BackupStorageLocations for backup regions %v", env.Name, len(bsl), env.BackupRegions)
		}
		for _, o := range bsl {
			bucket, region := dig(o, "spec", "objectStorage", "bucket"), dig(o, "spec", "config", "region")
			if dig(o, "metadata", "name") == "default" {
				if bucket != n.BackupBucket() || region != env.Region || dig(o, "spec", "config", "kmsKeyId") != n.BackupKeyAlias() || dig(o, "spec", "accessMode") != "ReadWrite" {
					t.Errorf("%s: default BSL %v", env.Name, o["spec"])
				}
				continue
			}
			r, _ := region.(string)
			if !slices.Contains(env.BackupRegions, r) || bucket != n.BackupReplicaBucket(r) || dig(o, "spec", "accessMode") != "ReadOnly" {
				t.Errorf("%s: replica BSL %v", env.Name, o["spec"])
			}
		}
		if len(objs["VolumeSnapshotLocation"]) != 1 || dig(objs["VolumeSnapshotLocation"][0], "spec", "config", "region") != env.Region {
			t.Errorf("%s: VolumeSnapshotLocations %v", env.Name, objs["VolumeSnapshotLocation"])
		}
		schedules := map[string]map[string]any{}
		for _, o := range objs["Schedule"] {
			schedules[dig(o, "metadata", "name").(string)] = o
		}
		want := 0
		for _, svc := range p.ServiceList {
			plan, ok := addons.BackupPlan(svc, env)
			s := schedules[addons.VeleroSchedulePrefix+svc.Name]
			if !ok {
				if s != nil {
					t.Errorf("%s: %s is not backed up but has Schedule %v", env.Name, svc.Name, s)
				}
				continue
			}
			want++
			if s == nil {
				t.Errorf("%s: no Schedule for %s", env.Name, svc.Name)
				continue
			}
			spec := s["spec"].(map[string]any)
			tpl := spec["template"].(map[string]any)
			if spec["schedule"] != plan.Schedule || tpl["ttl"] != fmt.Sprintf("%dh0m0s", plan.TTLHours) ||
				!reflect.DeepEqual(tpl["includedNamespaces"], []any{svc.Namespace}) ||
				!reflect.DeepEqual(dig(tpl, "labelSelector", "matchLabels"), map[string]any{"app.kubernetes.io/name": svc.Name}) ||
				tpl["snapshotVolumes"] != !plan.FsBackup || tpl["defaultVolumesToFsBackup"] != plan.FsBackup {
				t.Errorf("%s: Schedule of %s (plan %+v): %v", env.Name, svc.Name, plan, spec)
			}
		}
		if len(schedules) != want {
			t.Errorf("%s: %d Schedules, want %d", env.Name, len(schedules), want)
		}
		backedUp += want
	}
	if backedUp == 0 {
		t.Fatal("the example backs nothing up: the test proves nothing")
	}
}

// Each field of #Service.backup changes the rendered values (the
// acceptance flag is proven by its malformed-platform fixture).
func TestBackupFieldsChangeOutput(t *testing.T) {
	veleroValues := func(p *model.Platform) map[string]string {
		tr, err := render.Model(p, []render.Emitter{addons.New()})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, env := range p.EnvironmentList {
			if f, ok := tr.Get(addons.ValuesPath(env.Name, "velero")); ok {
				out[env.Name] = string(f.Data)
			}
		}
		return out
	}
	yes, no := true, false
	cases := map[string]func(b *model.ServiceBackup, s *model.Service){
		"enabled":             func(b *model.ServiceBackup, _ *model.Service) { b.Enabled = &no },
		"enabled on a worker": func(_ *model.ServiceBackup, s *model.Service) { s.Backup.Enabled = &yes },
		"schedule":            func(b *model.ServiceBackup, _ *model.Service) { b.Schedule = "15 1 * * *" },
		"ttlHours":            func(b *model.ServiceBackup, _ *model.Service) { b.TTLHours = 2000 },
		"preHook":             func(b *model.ServiceBackup, _ *model.Service) { b.PreHook = []string{"sync"} },
		"postHook":            func(b *model.ServiceBackup, _ *model.Service) { b.PostHook = []string{"true"} },
		"overrides.enabled": func(b *model.ServiceBackup, _ *model.Service) {
			b.Overrides = map[string]model.BackupOverride{"staging": {Enabled: &no}}
		},
		"overrides.schedule": func(b *model.ServiceBackup, _ *model.Service) {
			b.Overrides = map[string]model.BackupOverride{"staging": {Schedule: "5 5 * * *"}}
		},
		"overrides.ttlHours": func(b *model.ServiceBackup, _ *model.Service) {
			b.Overrides = map[string]model.BackupOverride{"staging": {TTLHours: 999}}
		},
		"storage class": func(_ *model.ServiceBackup, s *model.Service) {
			st := *s.Storage
			st.StorageClass = "efs"
			s.Storage = &st
		},
	}
	p, _ := example(t)
	before := veleroValues(p)
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			p, _ := example(t)
			svc := p.Services["ledger"]
			if name == "enabled on a worker" {
				svc = p.Services["order-worker"]
			}
			change(&svc.Backup, svc)
			if after := veleroValues(p); reflect.DeepEqual(after, before) {
				t.Errorf("changing %s changed no velero values", name)
			}
		})
	}
}
