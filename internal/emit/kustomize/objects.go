package kustomize

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/idpgen/idpgen/internal/model"
)

// Label keys idpgen sets besides the app.kubernetes.io ones.
const (
	LabelTeam        = "idpgen.dev/team"
	LabelEnvironment = "idpgen.dev/environment"
	LabelName        = "app.kubernetes.io/name"
	LabelInstance    = "app.kubernetes.io/instance"
	LabelVersion     = "app.kubernetes.io/version"

	// AnnotationOwners lists the owning team's owners (emails or IdP
	// groups, comma-separated): owners are not valid label values.
	AnnotationOwners = "idpgen.dev/owners"
)

// SecretName is the Secret holding a service's Vault-backed variables. It is
// kept in sync from Vault by the secrets operator; git never holds values.
func SecretName(svc *model.Service) string { return svc.Name + "-vault" }

// selector picks a service's pods. It is app.kubernetes.io/name alone, and
// must stay so: a Deployment's or StatefulSet's selector is immutable, so
// adding a label to it (even app.kubernetes.io/instance) would make every
// existing workload fail to sync until it is deleted and recreated. The
// name is unique in the platform, which is all a selector needs.
func selector(svc *model.Service) map[string]string {
	return map[string]string{LabelName: svc.Name}
}

// labels are the recommended app.kubernetes.io labels and the team. The
// instance is the service's name: each environment is its own cluster, and
// it is also the name of the service's Argo CD Application, which is what
// Argo CD writes into this label when it tracks resources by label.
func labels(p *model.Platform, svc *model.Service) map[string]string {
	return map[string]string{
		LabelName:                      svc.Name,
		LabelInstance:                  svc.Name,
		"app.kubernetes.io/component":  svc.Kind,
		"app.kubernetes.io/part-of":    p.Name,
		"app.kubernetes.io/managed-by": "idpgen",
		LabelTeam:                      svc.Team,
	}
}

func meta(p *model.Platform, svc *model.Service) metav1.ObjectMeta {
	m := metav1.ObjectMeta{Name: svc.Name, Namespace: svc.Namespace, Labels: labels(p, svc), Annotations: map[string]string{}}
	if svc.Description != "" {
		m.Annotations["kubernetes.io/description"] = svc.Description
	}
	if t := p.Teams[svc.Team]; t != nil && len(t.Owners) > 0 {
		m.Annotations[AnnotationOwners] = Owners(t)
	}
	return m
}

// Owners is the value of the owners annotation of a team's objects.
func Owners(t *model.Team) string { return strings.Join(t.Owners, ",") }

func typeMeta(apiVersion, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
}

// imageRef is the pinned image reference: the digest wins over the tag.
func imageRef(img model.Image) string {
	if img.Digest != "" {
		return img.Repository + "@" + img.Digest
	}
	return img.Repository + ":" + img.Tag
}

func resources(r model.Resources) corev1.ResourceRequirements {
	q := func(x model.Quantities) corev1.ResourceList {
		return corev1.ResourceList{
			corev1.ResourceCPU:    *resource.NewMilliQuantity(x.CPUMillis, resource.DecimalSI),
			corev1.ResourceMemory: mib(x.MemoryMiB),
		}
	}
	return corev1.ResourceRequirements{Requests: q(r.Requests), Limits: q(r.Limits)}
}

// envVars lists plain variables and Vault-backed ones, sorted by name.
func envVars(svc *model.Service, plain map[string]string) []corev1.EnvVar {
	var out []corev1.EnvVar
	for _, k := range slices.Sorted(maps.Keys(plain)) {
		out = append(out, corev1.EnvVar{Name: k, Value: plain[k]})
	}
	for _, k := range slices.Sorted(maps.Keys(svc.Secrets)) {
		out = append(out, corev1.EnvVar{Name: k, ValueFrom: &corev1.EnvVarSource{
			SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: SecretName(svc)},
				Key:                  k,
			},
		}})
	}
	slices.SortFunc(out, func(a, b corev1.EnvVar) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func probe(p *model.Probe) *corev1.Probe {
	if p == nil {
		return nil
	}
	out := &corev1.Probe{
		PeriodSeconds:       p.PeriodSeconds,
		FailureThreshold:    p.FailureThreshold,
		InitialDelaySeconds: p.InitialDelaySeconds,
		TimeoutSeconds:      p.TimeoutSeconds,
	}
	switch {
	case p.HTTP != nil:
		out.HTTPGet = &corev1.HTTPGetAction{Path: p.HTTP.Path, Port: intstr.FromString(p.HTTP.Port)}
	case len(p.Exec) > 0:
		out.Exec = &corev1.ExecAction{Command: p.Exec}
	}
	return out
}

// Probe timing defaults, the schema's (#Probes; a test holds them equal):
// readiness takes a busy pod out of rotation within 30 s, liveness only
// restarts a container unresponsive for 2 minutes.
var (
	LivenessTiming  = model.Probe{PeriodSeconds: 20, TimeoutSeconds: 5, FailureThreshold: 6}
	ReadinessTiming = model.Probe{PeriodSeconds: 10, TimeoutSeconds: 1, FailureThreshold: 3}
)

// probes applies the defaults of a web service: without probes, both are
// HTTP GET /healthz on its first port; with only one, the other runs the
// same check on its own timing.
func probes(svc *model.Service) (liveness, readiness, startup *corev1.Probe) {
	pr := svc.Probes
	if svc.Kind == model.KindWeb && len(svc.Ports) > 0 {
		switch {
		case pr.Liveness == nil && pr.Readiness == nil:
			check := model.Probe{HTTP: &struct {
				Path string `json:"path"`
				Port string `json:"port"`
			}{Path: "/healthz", Port: svc.Ports[0].Name}}
			pr.Liveness, pr.Readiness = timed(check, LivenessTiming), timed(check, ReadinessTiming)
		case pr.Liveness == nil:
			pr.Liveness = timed(*pr.Readiness, LivenessTiming)
		case pr.Readiness == nil:
			pr.Readiness = timed(*pr.Liveness, ReadinessTiming)
		}
	}
	return probe(pr.Liveness), probe(pr.Readiness), probe(pr.Startup)
}

// timed is check's action (and initial delay) with the timing of t.
func timed(check, t model.Probe) *model.Probe {
	check.PeriodSeconds, check.TimeoutSeconds, check.FailureThreshold = t.PeriodSeconds, t.TimeoutSeconds, t.FailureThreshold
	return &check
}

const (
	tmpVolume  = "tmp"
	dataVolume = "data"
	tmpPath    = "/tmp"
)

// ReservedMounts are the paths every pod already mounts; writable paths
// may not overlap them.
var ReservedMounts = []string{tmpPath}

// writableVolume names the emptyDir of the i-th writable path. The index,
// not the path, keeps the name a valid volume name whatever the path.
func writableVolume(i int) string { return fmt.Sprintf("writable-%d", i) }

func emptyDir(name string, sizeMiB int) corev1.Volume {
	return corev1.Volume{
		Name:         name,
		VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: resource.NewQuantity(int64(sizeMiB)<<20, resource.BinarySI)}},
	}
}

const (
	zoneKey = "topology.kubernetes.io/zone"
	hostKey = "kubernetes.io/hostname"
)

// spread keeps a service's pods apart along key. The base spreads softly
// (ScheduleAnyway): a nonprod cluster may be a single node or zone.
func spread(svc *model.Service, key string) corev1.TopologySpreadConstraint {
	t := corev1.TopologySpreadConstraint{
		MaxSkew:           1,
		TopologyKey:       key,
		WhenUnsatisfiable: corev1.ScheduleAnyway,
		LabelSelector:     &metav1.LabelSelector{MatchLabels: selector(svc)},
	}
	if svc.Kind != model.KindStateful {
		t.MatchLabelKeys = []string{"pod-template-hash"} // spread each rollout's pods
	}
	return t
}

// hardZoneSpread is the zone constraint of a prod workload of at least two
// pods: they are never scheduled into fewer than two zones (minDomains 2
// makes a pod wait, and Karpenter add a node in another zone, rather than
// join its sibling's only zone), so a zone loss, and with it a node loss,
// always leaves a pod running. minDomains is 2, not the zone count: once a
// lost zone's nodes are gone, two zones still satisfy it and replacement
// pods schedule there. Nodes are spread softly within a zone (hard
// hostname spread would demand a node per pod).
func hardZoneSpread(svc *model.Service, zones int) corev1.TopologySpreadConstraint {
	t := spread(svc, zoneKey)
	t.WhenUnsatisfiable = corev1.DoNotSchedule
	t.MinDomains = ptr.To(int32(min(zones, model.MinPodsInProd)))
	return t
}

// podTemplate is the hardened pod every service runs in: the Pod Security
// Standard "restricted" profile, pinned image, requests and limits, probes
// and zone spreading.
func podTemplate(p *model.Platform, svc *model.Service) corev1.PodTemplateSpec {
	live, ready, start := probes(svc)
	c := corev1.Container{
		Name:            svc.Name,
		Image:           imageRef(svc.Image),
		ImagePullPolicy: corev1.PullIfNotPresent,
		Command:         svc.Command,
		Args:            svc.Args,
		Env:             envVars(svc, svc.Env),
		Resources:       resources(svc.Resources),
		LivenessProbe:   live,
		ReadinessProbe:  ready,
		StartupProbe:    start,
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false),
			ReadOnlyRootFilesystem:   ptr.To(true),
			RunAsNonRoot:             ptr.To(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
		// readOnlyRootFilesystem needs somewhere to write temporary files.
		VolumeMounts: []corev1.VolumeMount{{Name: tmpVolume, MountPath: tmpPath}},
	}
	volumes := []corev1.Volume{emptyDir(tmpVolume, 256)}
	for _, port := range svc.Ports {
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: port.Name, ContainerPort: port.Port, Protocol: corev1.Protocol(port.Protocol)})
	}
	if svc.Storage != nil {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: dataVolume, MountPath: svc.Storage.MountPath})
	}
	for i, w := range svc.WritablePaths {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: writableVolume(i), MountPath: w.Path})
		volumes = append(volumes, emptyDir(writableVolume(i), w.SizeLimitMiB))
	}
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels(p, svc)},
		Spec: corev1.PodSpec{
			ServiceAccountName:           svc.Name,
			PriorityClassName:            PriorityClassName(svc.Priority),
			AutomountServiceAccountToken: ptr.To(false),
			EnableServiceLinks:           ptr.To(false),
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:        ptr.To(true),
				RunAsUser:           ptr.To(svc.RunAsUser),
				RunAsGroup:          ptr.To(svc.RunAsUser),
				FSGroup:             ptr.To(svc.RunAsUser),
				FSGroupChangePolicy: ptr.To(corev1.FSGroupChangeOnRootMismatch),
				SeccompProfile:      &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{c},
			Volumes:    volumes,
			// The zone constraint comes first: a prod overlay replaces it
			// with hardZoneSpread.
			TopologySpreadConstraints: []corev1.TopologySpreadConstraint{
				spread(svc, zoneKey),
				spread(svc, hostKey),
			},
		},
	}
}

func serviceAccount(p *model.Platform, svc *model.Service) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		TypeMeta:                     typeMeta("v1", "ServiceAccount"),
		ObjectMeta:                   meta(p, svc),
		AutomountServiceAccountToken: ptr.To(false),
	}
}

// workload is the Deployment, or the StatefulSet of a stateful service.
// Replicas are left out when an autoscaler owns them.
func workload(p *model.Platform, svc *model.Service) (obj any, kind string) {
	var replicas *int32
	if svc.Autoscaling == nil {
		replicas = ptr.To(int32(baseReplicas(svc)))
	}
	sel := &metav1.LabelSelector{MatchLabels: selector(svc)}
	if svc.Kind == model.KindStateful {
		return &appsv1.StatefulSet{
			TypeMeta:   typeMeta("apps/v1", "StatefulSet"),
			ObjectMeta: meta(p, svc),
			Spec: appsv1.StatefulSetSpec{
				Replicas:             replicas,
				Selector:             sel,
				ServiceName:          svc.Name,
				Template:             podTemplate(p, svc),
				UpdateStrategy:       appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType},
				RevisionHistoryLimit: ptr.To(int32(5)),
				VolumeClaimTemplates: []corev1.PersistentVolumeClaim{volumeClaim(svc, svc.Storage.SizeGiB)},
				PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
					WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
					WhenScaled:  appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
				},
			},
		}, "StatefulSet"
	}
	return &appsv1.Deployment{
		TypeMeta:   typeMeta("apps/v1", "Deployment"),
		ObjectMeta: meta(p, svc),
		Spec: appsv1.DeploymentSpec{
			Replicas: replicas,
			Selector: sel,
			Template: podTemplate(p, svc),
			Strategy: appsv1.DeploymentStrategy{
				Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{
					MaxUnavailable: ptr.To(intstr.FromInt32(0)),
					MaxSurge:       ptr.To(intstr.FromString("25%")),
				},
			},
			RevisionHistoryLimit: ptr.To(int32(5)),
		},
	}, "Deployment"
}

// baseReplicas is the replica count of the base, before any environment:
// the service's own, or 1.
func baseReplicas(svc *model.Service) int {
	if svc.Replicas != nil {
		return *svc.Replicas
	}
	return 1
}

func volumeClaim(svc *model.Service, sizeGiB int) corev1.PersistentVolumeClaim {
	return corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: dataVolume},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			StorageClassName: ptr.To(svc.Storage.StorageClass),
			Resources: corev1.VolumeResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceStorage: gib(sizeGiB)},
			},
		},
	}
}

func gib(n int) resource.Quantity { return resource.MustParse(fmt.Sprintf("%dGi", n)) }

// mib is n MiB, parsed with its unit rather than multiplied into bytes, so
// that no value overflows int64 (the schema bounds it well below anyway).
func mib(n int64) resource.Quantity { return resource.MustParse(fmt.Sprintf("%dMi", n)) }

// service is the ClusterIP Service (headless for stateful services), or nil
// for a service without ports.
func service(p *model.Platform, svc *model.Service) *corev1.Service {
	if len(svc.Ports) == 0 {
		return nil
	}
	s := &corev1.Service{
		TypeMeta:   typeMeta("v1", "Service"),
		ObjectMeta: meta(p, svc),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: selector(svc),
		},
	}
	if svc.Kind == model.KindStateful {
		s.Spec.ClusterIP = corev1.ClusterIPNone
	}
	for _, port := range svc.Ports {
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{
			Name: port.Name, Port: port.Port, TargetPort: intstr.FromString(port.Name), Protocol: corev1.Protocol(port.Protocol),
		})
	}
	return s
}

// namespace is a team namespace in one environment, with the Pod Security
// Standard enforced at the cluster's version.
func namespace(p *model.Platform, team *model.Team, ns string, env *model.Environment) *corev1.Namespace {
	level := p.Policy.PodSecurity
	version := "v" + env.Kubernetes.Version
	l := map[string]string{
		"app.kubernetes.io/managed-by":               "idpgen",
		"app.kubernetes.io/part-of":                  p.Name,
		LabelTeam:                                    team.Name,
		LabelEnvironment:                             env.Name,
		"pod-security.kubernetes.io/enforce":         level,
		"pod-security.kubernetes.io/enforce-version": version,
		"pod-security.kubernetes.io/audit":           "restricted",
		"pod-security.kubernetes.io/audit-version":   version,
		"pod-security.kubernetes.io/warn":            "restricted",
		"pod-security.kubernetes.io/warn-version":    version,
	}
	if team.CostCenter != "" {
		l["idpgen.dev/cost-center"] = team.CostCenter
	}
	if p.Addons.Istio.In(env.Name) {
		// Istio runs in ambient mode (see the add-ons): the namespace label
		// puts the team's pods in the mesh without sidecars, so they keep
		// the restricted Pod Security profile.
		l["istio.io/dataplane-mode"] = "ambient"
	}
	return &corev1.Namespace{
		TypeMeta:   typeMeta("v1", "Namespace"),
		ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: l, Annotations: map[string]string{AnnotationOwners: Owners(team)}},
	}
}

// StorageClass is the EBS storage class every environment provides; it is
// the cluster default, and the only class services and add-ons may use.
const StorageClass = "gp3"

// StorageClasses are the classes a platform's volumes may name.
var StorageClasses = []string{StorageClass}

// storageClass is gp3 through the EBS CSI driver (an EKS managed add-on):
// encrypted, bound where the pod lands, expandable. In prod a deleted claim
// keeps its volume: customer data is never deleted by a kubectl mistake.
func storageClass(p *model.Platform, env *model.Environment) *storagev1.StorageClass {
	reclaim := corev1.PersistentVolumeReclaimDelete
	if env.Prod() {
		reclaim = corev1.PersistentVolumeReclaimRetain
	}
	return &storagev1.StorageClass{
		TypeMeta: typeMeta("storage.k8s.io/v1", "StorageClass"),
		ObjectMeta: metav1.ObjectMeta{
			Name:        StorageClass,
			Labels:      map[string]string{"app.kubernetes.io/managed-by": "idpgen", "app.kubernetes.io/part-of": p.Name, LabelEnvironment: env.Name},
			Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"},
		},
		Provisioner:          "ebs.csi.aws.com",
		Parameters:           map[string]string{"type": "gp3", "encrypted": "true"},
		ReclaimPolicy:        ptr.To(reclaim),
		VolumeBindingMode:    ptr.To(storagev1.VolumeBindingWaitForFirstConsumer),
		AllowVolumeExpansion: ptr.To(true),
	}
}
