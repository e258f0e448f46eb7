package addons_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/crdschema"
	"github.com/idpgen/idpgen/internal/emit/addons"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/tree"
	"github.com/idpgen/idpgen/internal/vaultnames"
)

// snapshotObjects decodes env's snapshot service account and CronJob
// strictly into the k8s.io/api types: a misspelt or misplaced field fails.
func snapshotObjects(t *testing.T, tr *tree.Tree, env string) (*corev1.ServiceAccount, *batchv1.CronJob, bool) {
	t.Helper()
	dir := addons.VaultSnapshotsDir(env, "vault")
	cf, ok := tr.Get(filepath.Join(dir, "cronjob.yaml"))
	sf, ok2 := tr.Get(filepath.Join(dir, "serviceaccount.yaml"))
	if ok != ok2 {
		t.Fatalf("%s: cronjob.yaml %v, serviceaccount.yaml %v", env, ok, ok2)
	}
	if !ok {
		return nil, nil, false
	}
	var sa corev1.ServiceAccount
	var cj batchv1.CronJob
	if err := yaml.UnmarshalStrict(sf.Data, &sa); err != nil {
		t.Fatalf("%s: ServiceAccount: %v", env, err)
	}
	if err := yaml.UnmarshalStrict(cf.Data, &cj); err != nil {
		t.Fatalf("%s: CronJob: %v", env, err)
	}
	k, ok := tr.Get(filepath.Join(dir, "kustomization.yaml"))
	if !ok || !strings.Contains(string(k.Data), "cronjob.yaml") || !strings.Contains(string(k.Data), "serviceaccount.yaml") {
		t.Fatalf("%s: kustomization %v", env, k)
	}
	return &sa, &cj, true
}

// The snapshot CronJob is what the model and the other side of each name
// say: its schedule is the tier's, it logs in as its own service account
// (no API token mounted, a projected token for Vault's audience) to the
// role vault-snapshots, and uploads to the backup bucket's prefix with the
// backup key; every container is restricted and bounded.
func TestVaultSnapshotCronJob(t *testing.T) {
	p, tr := example(t)
	checked := 0
	for _, env := range p.EnvironmentList {
		sa, cj, ok := snapshotObjects(t, tr, env.Name)
		plan, on := p.VaultSnapshotsIn(env)
		if ok != on {
			t.Fatalf("%s: CronJob rendered %v, snapshots on %v", env.Name, ok, on)
		}
		if !ok {
			continue
		}
		checked++
		n := awsnames.For(p, env)
		ns := p.Addons.Vault.Namespace
		want := model.BackupScheduleNonprod
		if env.Prod() {
			want = model.BackupScheduleProd
		}
		if cj.Spec.Schedule != want || plan.Schedule != want {
			t.Errorf("%s: schedule %q, want the tier's %q", env.Name, cj.Spec.Schedule, want)
		}
		if sa.Name != vaultnames.Snapshots || sa.Namespace != ns || sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken ||
			sa.Annotations[addons.RoleAnnotation] != n.RoleARN(n.VaultSnapshotsRole()) {
			t.Errorf("%s: service account %+v", env.Name, sa)
		}
		if cj.Namespace != ns || cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
			t.Errorf("%s: CronJob %s/%s, concurrency %s", env.Name, cj.Namespace, cj.Name, cj.Spec.ConcurrencyPolicy)
		}
		pod := cj.Spec.JobTemplate.Spec.Template.Spec
		if pod.ServiceAccountName != sa.Name || pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
			t.Errorf("%s: pod runs as %q, automount %v", env.Name, pod.ServiceAccountName, pod.AutomountServiceAccountToken)
		}
		psc := pod.SecurityContext
		if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 ||
			psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: pod security context %+v", env.Name, psc)
		}
		var audience string
		for _, v := range pod.Volumes {
			if v.Projected != nil {
				for _, s := range v.Projected.Sources {
					if s.ServiceAccountToken != nil {
						audience = s.ServiceAccountToken.Audience
					}
				}
			}
		}
		if audience != vaultnames.Audience {
			t.Errorf("%s: projected token audience %q, want %q", env.Name, audience, vaultnames.Audience)
		}
		if len(pod.InitContainers) != 1 || len(pod.Containers) != 1 {
			t.Fatalf("%s: %d init containers, %d containers", env.Name, len(pod.InitContainers), len(pod.Containers))
		}
		envOf := func(c corev1.Container) map[string]string {
			m := map[string]string{}
			for _, e := range c.Env {
				m[e.Name] = e.Value
			}
			return m
		}
		snap, up := pod.InitContainers[0], pod.Containers[0]
		if e := envOf(snap); e["VAULT_ROLE"] != vaultnames.Snapshots || e["VAULT_AUTH_PATH"] != vaultnames.KubernetesAuthPath ||
			e["VAULT_ADDR"] != "https://vault."+ns+".svc:8200" || snap.Image != vaultnames.SnapshotVaultImage ||
			!strings.Contains(snap.Command[2], "vault operator raft snapshot save") {
			t.Errorf("%s: snapshot container %v %v", env.Name, e, snap.Command)
		}
		if e := envOf(up); e["BUCKET"] != n.BackupBucket() || e["PREFIX"] != vaultnames.SnapshotPrefix(env.Name) ||
			e["KMS_KEY_ID"] != n.BackupKeyAlias() || e["AWS_REGION"] != env.Region || up.Image != vaultnames.SnapshotUploadImage ||
			!strings.Contains(up.Command[2], "--sse aws:kms --sse-kms-key-id") {
			t.Errorf("%s: upload container %v %v", env.Name, e, up.Command)
		}
		for _, c := range []corev1.Container{snap, up} {
			sc := c.SecurityContext
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
				sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
				t.Errorf("%s: container %s security context %+v", env.Name, c.Name, sc)
			}
			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				if c.Resources.Requests.Name(r, "").IsZero() || c.Resources.Limits.Name(r, "").IsZero() {
					t.Errorf("%s: container %s has no %s request and limit", env.Name, c.Name, r)
				}
			}
		}
		// Vault's Application deploys the directory with the chart.
		for _, r := range addons.Releases(p, env) {
			if r.Addon.Key == model.AddonVault && !slices.Contains(r.ExtraDirs, addons.VaultSnapshotsDir(env.Name, r.Name)) {
				t.Errorf("%s: Vault's release does not deploy the snapshots: %v", env.Name, r.ExtraDirs)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no environment of the example takes Vault snapshots: the test proves nothing")
	}
}

// Every field of addons.vault.snapshots changes the CronJob: the schedule
// and the per-environment override, and enabled (false removes it, and
// Velero's absence does too: there is no bucket to write to).
func TestVaultSnapshotSettings(t *testing.T) {
	load := func() *model.Platform {
		p, err := render.Load(filepath.Join(repoRoot(), "platforms", "example"))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	cron := func(p *model.Platform, env string) (string, bool) {
		tr, err := render.Model(p, []render.Emitter{addons.New()})
		if err != nil {
			t.Fatal(err)
		}
		_, cj, ok := snapshotObjects(t, tr, env)
		if !ok {
			return "", false
		}
		return cj.Spec.Schedule, true
	}
	p := load()
	if !p.Addons.Vault.Snapshots.Enabled {
		t.Fatal("snapshots are not on by default")
	}
	p.Addons.Vault.Snapshots.Schedule = "30 */2 * * *"
	p.Addons.Vault.Snapshots.Overrides = map[string]model.VaultSnapshotOverride{"dev": {Schedule: "15 4 * * *"}}
	if got, _ := cron(p, "prod"); got != "30 */2 * * *" {
		t.Errorf("prod: schedule %q", got)
	}
	if got, _ := cron(p, "dev"); got != "15 4 * * *" {
		t.Errorf("dev: schedule %q, want the override's", got)
	}
	off := false
	p.Addons.Vault.Snapshots.Overrides = map[string]model.VaultSnapshotOverride{"dev": {Enabled: &off}}
	if _, ok := cron(p, "dev"); ok {
		t.Error("dev: snapshots turned off and still rendered")
	}
	p = load()
	p.Addons.Vault.Snapshots.Enabled = false
	if _, ok := cron(p, "prod"); ok {
		t.Error("prod: snapshots off and still rendered")
	}
	p = load()
	p.Addons.Velero.Enabled = false
	if _, ok := cron(p, "prod"); ok {
		t.Error("prod: snapshots rendered without a backup bucket")
	}
}

// The runbook names the exact S3 location the CronJob writes to, and the
// restore command.
func TestRunbookNamesSnapshotLocation(t *testing.T) {
	p, tr := example(t)
	for _, env := range p.EnvironmentList {
		if _, on := p.VaultSnapshotsIn(env); !on {
			continue
		}
		f, ok := tr.Get(addons.RunbookPath(env.Name))
		if !ok {
			t.Fatalf("%s: no runbook", env.Name)
		}
		n := awsnames.For(p, env)
		loc := "s3://" + n.BackupBucket() + "/" + vaultnames.SnapshotPrefix(env.Name)
		text := string(f.Data)
		if addons.SnapshotLocation(p, env) != loc || !strings.Contains(text, "`"+loc+"`") || !strings.Contains(text, "aws s3 cp "+loc) {
			t.Errorf("%s: the runbook does not name %s:\n%s", env.Name, loc, text)
		}
		if !strings.Contains(text, "vault operator raft snapshot restore") {
			t.Errorf("%s: no restore command", env.Name)
		}
	}
}

// The snapshot is taken with the Vault CLI of the server the pinned chart
// runs: the same image and tag as its values.
func TestSnapshotVaultImageIsTheChartsServer(t *testing.T) {
	dir, err := crdschema.ModuleDir(crdschema.Vault)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Server struct {
			Image struct{ Repository, Tag string } `json:"image"`
		} `json:"server"`
	}
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if got := v.Server.Image.Repository + ":" + v.Server.Image.Tag; got != vaultnames.SnapshotVaultImage {
		t.Errorf("chart %s runs %s, the snapshot CronJob %s", crdschema.Vault, got, vaultnames.SnapshotVaultImage)
	}
}
