package addons

import (
	"path"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/tree"
	"github.com/idpgen/idpgen/internal/vaultnames"
)

// Vault's scheduled raft snapshots (addons.vault.snapshots). The community
// Vault image has no automated snapshots, so a CronJob in the Vault
// add-on's namespace takes them, deployed by Vault's Application next to
// the chart (Release.ExtraDirs):
//
//   - an init container (the chart's Vault image) logs in with the
//     Kubernetes auth method as the CronJob's own service account, with a
//     projected token for the audience "vault" (no API token is mounted),
//     to the role vaultnames.Snapshots, whose policy allows only a raft
//     snapshot (internal/emit/vault), and saves one to an emptyDir;
//   - the container (the AWS CLI) uploads it with its own EKS Pod Identity
//     role, allowed only s3:PutObject below vaultnames.SnapshotPrefix in
//     the backup bucket and the backup key (internal/emit/terraform),
//     encrypted with that key. Snapshots up to 5 GiB go up in one PUT (a
//     multipart upload with SSE-KMS would need kms:Decrypt too).
//
// The pod meets the restricted Pod Security Standard and the platform's
// Gatekeeper policies except those about images and team labels (the
// images are upstream ones and no team owns the add-on's namespace, which
// every constraint excludes for that reason; internal/policy).

// VaultSnapshotsDir holds the snapshot CronJob and its service account in
// env; release is Vault's Helm release.
func VaultSnapshotsDir(env, release string) string {
	return path.Join("environments", env, "addons", release, "snapshots")
}

// Paths inside the snapshot pod.
const (
	snapshotDir      = "/snapshots"
	snapshotFile     = snapshotDir + "/vault.snap"
	snapshotTokenDir = "/var/run/secrets/vault"
	snapshotTLSDir   = "/vault/tls"
	// snapshotUID runs both containers: "nobody", a user neither image
	// needs to exist.
	snapshotUID = 65534
)

// snapshotScript logs in and saves the snapshot; `set -e` (sh -ec) fails
// the init container, and so the Job, on any error.
const snapshotScript = `VAULT_TOKEN="$(vault write -field=token auth/${VAULT_AUTH_PATH}/login role="${VAULT_ROLE}" jwt=@` + snapshotTokenDir + `/token)"
export VAULT_TOKEN
vault operator raft snapshot save ` + snapshotFile + `
`

// uploadScript uploads the snapshot under a UTC timestamp; the S3 CLI
// configuration it writes lives in the emptyDir HOME.
const uploadScript = `aws configure set default.s3.multipart_threshold 5GB
aws s3 cp ` + snapshotFile + ` "s3://${BUCKET}/${PREFIX}vault-$(date -u +%Y%m%dT%H%M%SZ).snap" --sse aws:kms --sse-kms-key-id "${KMS_KEY_ID}" --no-progress
`

func (v valuesFor) snapshotLabels() map[string]string {
	l := v.labels()
	l["app.kubernetes.io/name"] = vaultnames.Snapshots
	l["app.kubernetes.io/component"] = "vault-snapshots"
	return l
}

// snapshotSecurity is every container's: the restricted profile and a
// read-only root filesystem.
func snapshotSecurity() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		ReadOnlyRootFilesystem:   ptr.To(true),
		RunAsNonRoot:             ptr.To(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

func snapshotResources(cpu, mem string) corev1.ResourceRequirements {
	r := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}
	return corev1.ResourceRequirements{Requests: r, Limits: r}
}

// VaultSnapshotObjects are the service account and the CronJob of env's
// snapshots (plan: schedule and retention), in the Vault add-on's
// namespace.
func VaultSnapshotObjects(p *model.Platform, env *model.Environment, plan model.VaultSnapshotPlan) (*corev1.ServiceAccount, *batchv1.CronJob) {
	v := valuesFor{p: p, env: env, n: awsnames.For(p, env)}
	ns := p.Addons.Vault.Namespace
	labels := v.snapshotLabels()
	sa := &corev1.ServiceAccount{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: metav1.ObjectMeta{Name: vaultnames.Snapshots, Namespace: ns, Labels: labels,
			Annotations: map[string]string{RoleAnnotation: v.n.RoleARN(v.n.VaultSnapshotsRole())}},
		// The Vault login uses a projected token of its own audience;
		// Pod Identity mounts its own token too.
		AutomountServiceAccountToken: ptr.To(false),
	}
	env1 := func(name, value string) corev1.EnvVar { return corev1.EnvVar{Name: name, Value: value} }
	tmp := corev1.VolumeMount{Name: "tmp", MountPath: "/tmp"}
	snaps := corev1.VolumeMount{Name: "snapshots", MountPath: snapshotDir}
	// The snapshot is at most the size of Vault's data volume.
	size := resource.MustParse(tier(env, "50Gi", "10Gi"))
	small := resource.MustParse("64Mi")
	pod := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{
			ServiceAccountName:           vaultnames.Snapshots,
			AutomountServiceAccountToken: ptr.To(false),
			EnableServiceLinks:           ptr.To(false),
			RestartPolicy:                corev1.RestartPolicyNever,
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr.To(true),
				RunAsUser:      ptr.To[int64](snapshotUID),
				RunAsGroup:     ptr.To[int64](snapshotUID),
				FSGroup:        ptr.To[int64](snapshotUID),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			InitContainers: []corev1.Container{{
				Name:    "snapshot",
				Image:   vaultnames.SnapshotVaultImage,
				Command: []string{"/bin/sh", "-ec", snapshotScript},
				Env: []corev1.EnvVar{
					env1("VAULT_ADDR", "https://vault."+ns+".svc:8200"),
					env1("VAULT_CACERT", snapshotTLSDir+"/ca.crt"),
					env1("VAULT_AUTH_PATH", vaultnames.KubernetesAuthPath),
					env1("VAULT_ROLE", vaultnames.Snapshots),
					env1("HOME", "/tmp"),
				},
				Resources:       snapshotResources("100m", "256Mi"),
				SecurityContext: snapshotSecurity(),
				VolumeMounts: []corev1.VolumeMount{
					{Name: "vault-token", MountPath: snapshotTokenDir, ReadOnly: true},
					{Name: "vault-ca", MountPath: snapshotTLSDir, ReadOnly: true},
					snaps, tmp,
				},
			}},
			Containers: []corev1.Container{{
				Name:    "upload",
				Image:   vaultnames.SnapshotUploadImage,
				Command: []string{"/bin/sh", "-ec", uploadScript},
				Env: []corev1.EnvVar{
					env1("AWS_REGION", env.Region),
					env1("BUCKET", v.n.BackupBucket()),
					env1("PREFIX", vaultnames.SnapshotPrefix(env.Name)),
					env1("KMS_KEY_ID", v.n.BackupKeyAlias()),
					env1("HOME", "/tmp"),
				},
				Resources:       snapshotResources("200m", "512Mi"),
				SecurityContext: snapshotSecurity(),
				VolumeMounts:    []corev1.VolumeMount{{Name: "snapshots", MountPath: snapshotDir, ReadOnly: true}, tmp},
			}},
			Volumes: []corev1.Volume{
				{Name: "vault-token", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
					Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
						Audience: vaultnames.Audience, ExpirationSeconds: ptr.To[int64](600), Path: "token",
					}}},
				}}},
				{Name: "vault-ca", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
					SecretName: p.Addons.Vault.TLSSecret, Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
				}}},
				{Name: "snapshots", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: &size}}},
				{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: &small}}},
			},
		},
	}
	cj := &batchv1.CronJob{
		TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
		ObjectMeta: metav1.ObjectMeta{Name: vaultnames.Snapshots, Namespace: ns, Labels: labels,
			// After the chart's own resources, in Vault's Application.
			Annotations: map[string]string{"argocd.argoproj.io/sync-wave": "1"}},
		Spec: batchv1.CronJobSpec{
			Schedule:                   plan.Schedule,
			TimeZone:                   ptr.To("Etc/UTC"),
			ConcurrencyPolicy:          batchv1.ForbidConcurrent,
			StartingDeadlineSeconds:    ptr.To[int64](600),
			SuccessfulJobsHistoryLimit: ptr.To[int32](3),
			FailedJobsHistoryLimit:     ptr.To[int32](3),
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: batchv1.JobSpec{
					BackoffLimit:            ptr.To[int32](2),
					ActiveDeadlineSeconds:   ptr.To[int64](1800),
					TTLSecondsAfterFinished: ptr.To[int32](86400),
					Template:                pod,
				},
			},
		},
	}
	return sa, cj
}

// vaultSnapshots writes env's snapshot CronJob where the snapshots are
// taken.
func (e *Emitter) vaultSnapshots(p *model.Platform, env *model.Environment, out *tree.Tree) error {
	plan, ok := p.VaultSnapshotsIn(env)
	if !ok {
		return nil
	}
	for _, r := range Releases(p, env) {
		if r.Addon.Key != model.AddonVault {
			continue
		}
		sa, cj := VaultSnapshotObjects(p, env, plan)
		dir := VaultSnapshotsDir(env.Name, r.Name)
		if err := e.add(out, dir, "serviceaccount.yaml", sa); err != nil {
			return err
		}
		if err := e.add(out, dir, "cronjob.yaml", cj); err != nil {
			return err
		}
		return e.add(out, dir, "kustomization.yaml", kustomization("serviceaccount.yaml", "cronjob.yaml"))
	}
	return nil
}
