package policy_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/policy"
	"github.com/idpgen/idpgen/internal/tree"
)

// envObjects builds the example's objects in env, as the cluster receives
// them.
func envObjects(t *testing.T, env string) []*policy.Object {
	t.Helper()
	_, tr := example(t)
	objs, err := policy.EnvironmentObjects(policy.NewBuilder(tr), env)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func find(t *testing.T, objs []*policy.Object, kind, name string) *policy.Object {
	t.Helper()
	o := lookup(objs, kind, name)
	if o == nil {
		t.Fatalf("no %s %s", kind, name)
	}
	return o
}

func lookup(objs []*policy.Object, kind, name string) *policy.Object {
	for _, o := range objs {
		if o.Kind == kind && o.Name == name {
			return o
		}
	}
	return nil
}

func get(m map[string]any, keys ...any) any {
	var v any = m
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

func container(o *policy.Object) map[string]any {
	return get(o.Obj, "spec", "template", "spec", "containers", 0).(map[string]any)
}

func podSpec(o *policy.Object) map[string]any {
	return get(o.Obj, "spec", "template", "spec").(map[string]any)
}

// TestEachPolicy breaks the example's objects one way at a time: the
// unbroken environment passes every constraint, and each break is caught
// by the constraint it is about (and only reported once per object).
func TestEachPolicy(t *testing.T) {
	p, _ := example(t)
	templates := policy.Templates(p)
	engine, errs := policy.Compile(templates)
	if errs != nil {
		t.Fatal(errs[0])
	}
	evaluate := func(t *testing.T, p *model.Platform, env string, objs []*policy.Object) []policy.Violation {
		t.Helper()
		v, err := engine.Evaluate(context.Background(), objs, policy.Constraints(p, p.Environments[env], templates))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, env := range []string{"dev", "prod"} {
		if v := evaluate(t, p, env, envObjects(t, env)); len(v) > 0 {
			t.Fatalf("the example violates its policy in %s: %s %s: %s", env, v[0].Constraint.Template.Kind, v[0].Object.ID(), v[0].Message)
		}
	}
	cases := []struct {
		name, env, kind, want string
		breakIt               func(objs []*policy.Object, o *policy.Object) []*policy.Object
		platform              func(p model.Platform) *model.Platform
	}{
		{name: "team label", env: "dev", kind: policy.KindRequiredLabels, want: "Deployment storefront has no label idpgen.dev/team",
			breakIt: func(objs []*policy.Object, o *policy.Object) []*policy.Object {
				delete(get(o.Obj, "metadata", "labels").(map[string]any), "idpgen.dev/team")
				return objs
			}},
		{name: "pod template label", env: "dev", kind: policy.KindRequiredLabels, want: "the pod template of Deployment storefront has no label app.kubernetes.io/name",
			breakIt: func(objs []*policy.Object, o *policy.Object) []*policy.Object {
				delete(get(o.Obj, "spec", "template", "metadata", "labels").(map[string]any), "app.kubernetes.io/name")
				return objs
			}},
		{name: "registry", env: "dev", kind: policy.KindAllowedRepos, want: "image docker.io/library/nginx:1.27 is not from an allowed registry",
			breakIt: func(objs []*policy.Object, o *policy.Object) []*policy.Object {
				container(o)["image"] = "docker.io/library/nginx:1.27"
				return objs
			}},
		{name: "latest", env: "dev", kind: policy.KindImagePinning, want: "uses the mutable tag latest",
			breakIt: func(objs []*policy.Object, o *policy.Object) []*policy.Object {
				container(o)["image"] = "ghcr.io/acme/storefront:latest"
				return objs
			}},
		{name: "untagged", env: "dev", kind: policy.KindImagePinning, want: "uses the mutable tag latest",
			breakIt: func(objs []*policy.Object, o *policy.Object) []*policy.Object {
				container(o)["image"] = "ghcr.io/acme/storefront"
				return objs
			}},
		{name: "digest in prod", env: "prod", kind: policy.KindImagePinning, want: "is not pinned by digest",
			breakIt:  func(objs []*policy.Object, o *policy.Object) []*policy.Object { return objs },
			platform: func(p model.Platform) *model.Platform { p.Policy.RequireDigestInProd = true; return &p }},
		{name: "memory request", env: "dev", kind: policy.KindContainerResources, want: "has no memory request",
			breakIt: func(objs []*policy.Object, o *policy.Object) []*policy.Object {
				delete(get(container(o), "resources", "requests").(map[string]any), "memory")
				return objs
			}},
		{name: "cpu limit", env: "dev", kind: policy.KindContainerResources, want: "has a cpu request but no cpu limit",
			breakIt: func(objs []*policy.Object, o *policy.Object) []*policy.Object {
				delete(get(container(o), "resources", "limits").(map[string]any), "cpu")
				return objs
			}},
		{name: "privileged", env: "dev", kind: policy.KindPodSecurity, want: "is privileged",
			breakIt: func(objs []*policy.Object, o *policy.Object) []*policy.Object {
				container(o)["securityContext"].(map[string]any)["privileged"] = true
				return objs
			}},
		{name: "host network", env: "dev", kind: policy.KindPodSecurity, want: "shares the host's network namespace",
			breakIt: func(objs []*policy.Object, o *policy.Object) []*policy.Object {
				podSpec(o)["hostNetwork"] = true
				return objs
			}},
		{name: "host path", env: "dev", kind: policy.KindPodSecurity, want: "volume host is a hostPath volume",
			breakIt: func(objs []*policy.Object, o *policy.Object) []*policy.Object {
				podSpec(o)["volumes"] = append(podSpec(o)["volumes"].([]any), map[string]any{"name": "host", "hostPath": map[string]any{"path": "/"}})
				return objs
			}},
		{name: "host port", env: "dev", kind: policy.KindPodSecurity, want: "binds host port 80",
			breakIt: func(objs []*policy.Object, o *policy.Object) []*policy.Object {
				get(container(o), "ports", 0).(map[string]any)["hostPort"] = 80
				return objs
			}},
		{name: "capability", env: "dev", kind: policy.KindPodSecurity, want: "adds capability SYS_ADMIN",
			breakIt: func(objs []*policy.Object, o *policy.Object) []*policy.Object {
				get(container(o), "securityContext", "capabilities").(map[string]any)["add"] = []any{"SYS_ADMIN"}
				return objs
			}},
		{name: "drop all", env: "dev", kind: policy.KindPodSecurity, want: "does not drop ALL capabilities",
			breakIt: func(objs []*policy.Object, o *policy.Object) []*policy.Object {
				delete(get(container(o), "securityContext").(map[string]any), "capabilities")
				return objs
			}},
		{name: "privilege escalation", env: "dev", kind: policy.KindPodSecurity, want: "does not set allowPrivilegeEscalation: false",
			breakIt: func(objs []*policy.Object, o *policy.Object) []*policy.Object {
				delete(get(container(o), "securityContext").(map[string]any), "allowPrivilegeEscalation")
				return objs
			}},
		{name: "run as root", env: "dev", kind: policy.KindPodSecurity, want: "may run as root",
			breakIt: func(objs []*policy.Object, o *policy.Object) []*policy.Object {
				get(container(o), "securityContext").(map[string]any)["runAsNonRoot"] = false
				return objs
			}},
		{name: "seccomp", env: "dev", kind: policy.KindPodSecurity, want: "has no RuntimeDefault or Localhost seccomp profile",
			breakIt: func(objs []*policy.Object, o *policy.Object) []*policy.Object {
				get(podSpec(o), "securityContext").(map[string]any)["seccompProfile"] = map[string]any{"type": "Unconfined"}
				return objs
			}},
		{name: "read-only root", env: "dev", kind: policy.KindPodSecurity, want: "has a writable root filesystem",
			breakIt: func(objs []*policy.Object, o *policy.Object) []*policy.Object {
				get(container(o), "securityContext").(map[string]any)["readOnlyRootFilesystem"] = false
				return objs
			}},
		{name: "probes", env: "dev", kind: policy.KindRequiredProbes, want: "has no livenessProbe",
			breakIt: func(objs []*policy.Object, o *policy.Object) []*policy.Object {
				delete(container(o), "livenessProbe")
				return objs
			}},
		{name: "load balancer", env: "dev", kind: policy.KindExposedServices, want: "Service storefront is of type LoadBalancer",
			breakIt: func(objs []*policy.Object, _ *policy.Object) []*policy.Object {
				s := lookup(objs, "Service", "storefront")
				s.Obj["spec"].(map[string]any)["type"] = "LoadBalancer"
				return objs
			}},
		{name: "token automount", env: "dev", kind: policy.KindNoAutomountToken, want: "the pod does not set automountServiceAccountToken: false",
			breakIt: func(objs []*policy.Object, o *policy.Object) []*policy.Object {
				delete(podSpec(o), "automountServiceAccountToken")
				return objs
			}},
		{name: "service account token", env: "dev", kind: policy.KindNoAutomountToken, want: "ServiceAccount storefront does not set automountServiceAccountToken: false",
			breakIt: func(objs []*policy.Object, _ *policy.Object) []*policy.Object {
				lookup(objs, "ServiceAccount", "storefront").Obj["automountServiceAccountToken"] = true
				return objs
			}},
		{name: "one replica in prod", env: "prod", kind: policy.KindProdAvailability, want: "Deployment order-worker runs 1 replica(s); at least 2",
			breakIt: func(objs []*policy.Object, _ *policy.Object) []*policy.Object {
				lookup(objs, "Deployment", "order-worker").Obj["spec"].(map[string]any)["replicas"] = 1
				return objs
			}},
		{name: "no budget in prod", env: "prod", kind: policy.KindProdAvailability, want: "no PodDisruptionBudget selects the pods of Deployment storefront",
			breakIt: func(objs []*policy.Object, _ *policy.Object) []*policy.Object {
				var out []*policy.Object
				for _, o := range objs {
					if !(o.Kind == "PodDisruptionBudget" && o.Name == "storefront") {
						out = append(out, o)
					}
				}
				return out
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pl := p
			if c.platform != nil {
				pl = c.platform(*p)
			}
			objs := envObjects(t, c.env) // fresh copies
			objs = c.breakIt(objs, find(t, objs, "Deployment", "storefront"))
			v := evaluate(t, pl, c.env, objs)
			if len(v) == 0 {
				t.Fatalf("not caught (want %s: %q)", c.kind, c.want)
			}
			for _, x := range v {
				if x.Constraint.Template.Kind != c.kind || !strings.Contains(x.Message, c.want) {
					t.Errorf("%s %s: %s (want only %s: %q)", x.Constraint.Template.Kind, x.Object.ID(), x.Message, c.kind, c.want)
				}
			}
		})
	}
}

// TestCheckLocatesViolations breaks one file of the rendered example (as
// an emitter bug would) and runs the check render and vet run: the
// violation is an error in prod, located at the service's CUE, and a
// warning in the nonprod environments.
func TestCheckLocatesViolations(t *testing.T) {
	p, tr := example(t)
	broken := tree.New()
	const file = "base/services/storefront/deployment.yaml"
	for _, f := range tr.Files() {
		data := f.Data
		if f.Path == file {
			if !bytes.Contains(data, []byte("readOnlyRootFilesystem: true")) {
				t.Fatalf("%s has no read-only root filesystem", file)
			}
			data = bytes.Replace(data, []byte("readOnlyRootFilesystem: true"), []byte("readOnlyRootFilesystem: false"), 1)
		}
		if err := broken.Add(f.Emitter, f.Path, data); err != nil {
			t.Fatal(err)
		}
	}
	if w, err := policy.Check(context.Background(), p, tr); w != nil || err != nil {
		t.Fatalf("the example does not pass: %v %v", w, err)
	}
	warnings, err := policy.Check(context.Background(), p, broken)
	want := "platforms/example/shop.cue:5:2: services.storefront: [prod] K8sPodSecurity: Deployment shop/storefront: container storefront has a writable root filesystem"
	if got := entries(err); len(got) != 1 || got[0] != want {
		t.Errorf("errors:\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
	var wantWarn []string
	for _, env := range []string{"dev", "staging"} {
		wantWarn = append(wantWarn, strings.Replace(strings.Replace(want, "[prod]", "["+env+"]", 1), "filesystem", "filesystem (warn)", 1))
	}
	if got := entries(warnings); !slices.Equal(got, wantWarn) {
		t.Errorf("warnings:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantWarn, "\n"))
	}
}

func entries(err error) []string {
	var out []string
	for _, e := range diag.Entries(err) {
		s := e.String()
		if i := strings.Index(s, "platforms/example/"); i >= 0 {
			s = s[i:] // the file relative to the repository
		}
		out = append(out, s)
	}
	return out
}
