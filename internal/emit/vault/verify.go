package vault

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"cuelang.org/go/cue"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	yaml "go.yaml.in/yaml/v2"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/tfcheck"
	"github.com/idpgen/idpgen/internal/tree"
	"github.com/idpgen/idpgen/internal/vaultnames"
)

// Verify checks every Vault module with hcl/v2 (internal/tfcheck), the HCL
// of its policies with hclsyntax, and cross-checks the Kubernetes side
// against it: every role a ClusterSecretStore logs in with is declared,
// bound to exactly the store's service account, namespace and audience, on
// the auth mount the store names; every path an ExternalSecret reads is
// granted by its store's policy and lies in a declared KV v2 mount; the AWS
// module exports the cluster endpoint and CA the auth config reads. The
// snapshot CronJob logs in with a declared role bound to exactly its
// service account, namespace and token audience, whose policies grant
// exactly the raft snapshot.
func (Emitter) Verify(p *model.Platform, t *tree.Tree) ([]string, error) {
	found := make([][]error, len(p.EnvironmentList))
	var wg sync.WaitGroup
	for i, env := range p.EnvironmentList {
		if p.Addons.Vault.In(env.Name) {
			wg.Go(func() { found[i] = verifyEnv(p, env, t) })
		}
	}
	wg.Wait()
	var errs []error
	for _, f := range found {
		errs = append(errs, f...)
	}
	return nil, errors.Join(errs...)
}

// declared is what a Vault module declares, read back from its JSON.
type declared struct {
	authPath string
	roles    map[string]role            // role_name -> role
	policies map[string]map[string]bool // policy name -> paths with read
	mounts   map[string]string          // KV mount path -> version
}

type role struct {
	Backend    string   `json:"backend"`
	Name       string   `json:"role_name"`
	Accounts   []string `json:"bound_service_account_names"`
	Namespaces []string `json:"bound_service_account_namespaces"`
	Audience   string   `json:"audience"`
	Policies   []string `json:"token_policies"`
}

func verifyEnv(p *model.Platform, env *model.Environment, t *tree.Tree) []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, diag.At(env.Src, "", "vault: "+format, args...))
	}
	dir := vaultnames.Dir(env.Name) + "/"
	var files []tfcheck.File
	for _, f := range t.Files() {
		if strings.HasPrefix(f.Path, dir) && strings.HasSuffix(f.Path, ".tf.json") {
			files = append(files, tfcheck.File{Name: f.Path, Data: f.Data})
		}
	}
	if len(files) == 0 {
		fail("%s: no Terraform files", dir)
		return errs
	}
	for _, d := range tfcheck.Check(files) {
		if d.Severity == hcl.DiagError {
			fail("%s", tfcheck.Error(hcl.Diagnostics{d}))
		}
	}
	d, err := readModule(files)
	if err != nil {
		fail("%v", err)
		return errs
	}
	if err := awsOutputs(t, env.Name); err != nil {
		fail("%v", err)
	}

	stores := map[string]store{}
	objs := objects(t, "environments/"+env.Name+"/")
	for _, o := range objs {
		switch o.obj.Kind {
		case "ClusterSecretStore":
			s := o.obj.Spec.Provider.Vault
			k := s.Auth.Kubernetes
			stores[o.obj.Metadata.Name] = store{role: k.Role}
			r, ok := d.roles[k.Role]
			var conds []string
			for _, c := range o.obj.Spec.Conditions {
				conds = append(conds, c.Namespaces...)
			}
			switch {
			case !ok:
				fail("%s: ClusterSecretStore %s logs in with Vault role %q, which the Vault module does not declare", o.file, o.obj.Metadata.Name, k.Role)
			case k.MountPath != d.authPath:
				fail("%s: ClusterSecretStore %s uses auth mount %q, the Vault module mounts Kubernetes auth at %q", o.file, o.obj.Metadata.Name, k.MountPath, d.authPath)
			case !slices.Equal(r.Accounts, []string{k.ServiceAccountRef.Name}) || !slices.Equal(r.Namespaces, []string{k.ServiceAccountRef.Namespace}) || !slices.Equal(conds, r.Namespaces):
				fail("%s: Vault role %q is bound to service accounts %v in namespaces %v, ClusterSecretStore %s logs in as %s/%s for namespaces %v", o.file, k.Role, r.Accounts, r.Namespaces, o.obj.Metadata.Name, k.ServiceAccountRef.Namespace, k.ServiceAccountRef.Name, conds)
			case r.Audience == "" || !slices.Equal(k.ServiceAccountRef.Audiences, []string{r.Audience}):
				fail("%s: Vault role %q accepts audience %q, ClusterSecretStore %s presents %v", o.file, k.Role, r.Audience, o.obj.Metadata.Name, k.ServiceAccountRef.Audiences)
			}
			for _, pol := range r.Policies {
				if _, ok := d.policies[pol]; !ok {
					fail("Vault role %q names policy %q, which the Vault module does not declare", k.Role, pol)
				}
			}
		}
	}
	errs = append(errs, verifySnapshots(p, env, t, d)...)
	for _, o := range objs {
		if o.obj.Kind != "ExternalSecret" || o.obj.Spec.SecretStoreRef.Name == "" {
			continue // generated in the cluster (dataFrom generators)
		}
		at := func(key, format string, args ...any) {
			src, sel := source(p, o)
			if key != "" && src.LookupPath(diag.Sel(sel, key)).Exists() {
				sel = diag.Sel(sel, key)
			}
			errs = append(errs, diag.AtPath(src, sel, "vault: %s: "+format, append([]any{o.file}, args...)...))
		}
		s, ok := stores[o.obj.Spec.SecretStoreRef.Name]
		if !ok {
			at("", "ExternalSecret %s uses ClusterSecretStore %q, which is not rendered in environment %s", o.obj.Metadata.Name, o.obj.Spec.SecretStoreRef.Name, env.Name)
			continue
		}
		granted := map[string]bool{}
		for _, pol := range d.roles[s.role].Policies {
			maps.Copy(granted, d.policies[pol])
		}
		for _, e := range o.obj.Spec.Data {
			key := e.RemoteRef.Key
			if !granted[key] {
				at(e.SecretKey, "ExternalSecret %s reads %q, which the policies of Vault role %q do not grant", o.obj.Metadata.Name, key, s.role)
			}
			if v := d.mounts[vaultnames.Mount(key)]; v != "2" {
				at(e.SecretKey, "ExternalSecret %s reads %q, but the Vault module declares no KV v2 mount %q", o.obj.Metadata.Name, key, vaultnames.Mount(key))
			}
		}
	}
	return errs
}

type store struct{ role string }

// source is the CUE value an ExternalSecret comes from: the service whose
// secrets it holds, or the Datadog add-on's apiKey.
func source(p *model.Platform, o object) (cue.Value, cue.Path) {
	parts := strings.Split(o.file, "/")
	if len(parts) > 3 && parts[2] == "secrets" {
		if svc := p.Services[parts[3]]; svc != nil {
			return svc.Src, diag.Sel("secrets")
		}
	}
	if o.obj.Metadata.Namespace == p.Addons.Datadog.Namespace {
		if o.obj.Metadata.Name == vaultnames.DatadogAppKeySecret {
			return p.Src, diag.Sel("addons", "datadog", "appKey")
		}
		return p.Src, diag.Sel("addons", "datadog", "apiKey")
	}
	return p.Src, cue.Path{}
}

// k8sObject is the part of a ClusterSecretStore or ExternalSecret the
// cross-check reads.
type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
	} `yaml:"metadata"`
	Spec struct {
		Conditions []struct {
			Namespaces []string `yaml:"namespaces"`
		} `yaml:"conditions"`
		Provider struct {
			Vault struct {
				Auth struct {
					Kubernetes struct {
						MountPath         string `yaml:"mountPath"`
						Role              string `yaml:"role"`
						ServiceAccountRef struct {
							Name      string   `yaml:"name"`
							Namespace string   `yaml:"namespace"`
							Audiences []string `yaml:"audiences"`
						} `yaml:"serviceAccountRef"`
					} `yaml:"kubernetes"`
				} `yaml:"auth"`
			} `yaml:"vault"`
		} `yaml:"provider"`
		SecretStoreRef struct {
			Kind string `yaml:"kind"`
			Name string `yaml:"name"`
		} `yaml:"secretStoreRef"`
		Data []struct {
			SecretKey string `yaml:"secretKey"`
			RemoteRef struct {
				Key string `yaml:"key"`
			} `yaml:"remoteRef"`
		} `yaml:"data"`
	} `yaml:"spec"`
}

type object struct {
	file string
	obj  k8sObject
}

// objects decodes the secret stores and ExternalSecrets below prefix; a
// byte test skips every other file and document without decoding it, and
// yaml.v2 decodes straight into the struct (no JSON detour): this runs on
// thousands of ExternalSecrets at scale.
func objects(t *tree.Tree, prefix string) []object {
	var out []object
	for _, f := range t.Files() {
		if !strings.HasPrefix(f.Path, prefix) || !strings.HasSuffix(f.Path, ".yaml") ||
			!(bytes.Contains(f.Data, []byte("kind: ClusterSecretStore")) || bytes.Contains(f.Data, []byte("kind: ExternalSecret"))) {
			continue
		}
		for _, doc := range bytes.Split(f.Data, []byte("\n---\n")) {
			if !bytes.Contains(doc, []byte("kind: ClusterSecretStore")) && !bytes.Contains(doc, []byte("kind: ExternalSecret")) {
				continue
			}
			var o k8sObject
			if err := yaml.Unmarshal(doc, &o); err == nil && (o.Kind == "ClusterSecretStore" || o.Kind == "ExternalSecret") {
				out = append(out, object{f.Path, o})
			}
		}
	}
	return out
}

// readModule reads the declarations back from the module's JSON, and each
// policy's paths from its HCL.
func readModule(files []tfcheck.File) (*declared, error) {
	d := &declared{roles: map[string]role{}, policies: map[string]map[string]bool{}, mounts: map[string]string{}}
	var rawRoles []role
	for _, f := range files {
		var root struct {
			Resource struct {
				Auth map[string]struct {
					Path string `json:"path"`
				} `json:"vault_auth_backend"`
				Roles    map[string]role `json:"vault_kubernetes_auth_backend_role"`
				Policies map[string]struct {
					Name   string `json:"name"`
					Policy string `json:"policy"`
				} `json:"vault_policy"`
				Mounts map[string]struct {
					Path    string            `json:"path"`
					Type    string            `json:"type"`
					Options map[string]string `json:"options"`
				} `json:"vault_mount"`
			} `json:"resource"`
		}
		if err := json.Unmarshal(f.Data, &root); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		if a, ok := root.Resource.Auth["kubernetes"]; ok {
			d.authPath = a.Path
		}
		for _, r := range root.Resource.Roles {
			rawRoles = append(rawRoles, r)
		}
		for addr, pol := range root.Resource.Policies {
			paths, err := policyPaths(f.Name+": vault_policy."+addr, pol.Policy)
			if err != nil {
				return nil, err
			}
			d.policies[pol.Name] = paths
		}
		for _, m := range root.Resource.Mounts {
			if m.Type == "kv" {
				d.mounts[m.Path] = m.Options["version"]
			}
		}
	}
	// References to other blocks resolve to what those blocks declare.
	policyNames := map[string]string{}
	for _, f := range files {
		var root struct {
			Resource struct {
				Policies map[string]struct {
					Name string `json:"name"`
				} `json:"vault_policy"`
			} `json:"resource"`
		}
		_ = json.Unmarshal(f.Data, &root) // decoded above
		for addr, pol := range root.Resource.Policies {
			policyNames["${vault_policy."+addr+".name}"] = pol.Name
		}
	}
	for _, r := range rawRoles {
		if r.Backend == "${vault_auth_backend.kubernetes.path}" {
			r.Backend = d.authPath
		}
		for i, pol := range r.Policies {
			if name, ok := policyNames[pol]; ok {
				r.Policies[i] = name
			}
		}
		d.roles[r.Name] = r
	}
	return d, nil
}

// policyPaths parses a Vault policy with hclsyntax and returns the paths it
// grants read on. Any other capability, or a glob, is an error: the stores
// only ever read exact paths.
func policyPaths(name, text string) (map[string]bool, error) {
	f, diags := hclsyntax.ParseConfig([]byte(text), name, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("policy HCL: %s", tfcheck.Error(diags))
	}
	paths := map[string]bool{}
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type != "path" || len(b.Labels) != 1 {
			return nil, fmt.Errorf("%s: unexpected block %s", name, b.Type)
		}
		p := b.Labels[0]
		if strings.ContainsAny(p, "*+") {
			return nil, fmt.Errorf("%s: path %q is a glob; policies grant exact paths", name, p)
		}
		attr, ok := b.Body.Attributes["capabilities"]
		if !ok {
			return nil, fmt.Errorf("%s: path %q has no capabilities", name, p)
		}
		v, d := attr.Expr.Value(nil)
		if d.HasErrors() || !v.Type().IsTupleType() || v.LengthInt() != 1 || v.Index(ctyZero).AsString() != "read" {
			return nil, fmt.Errorf("%s: path %q must grant exactly [\"read\"]", name, p)
		}
		paths[p] = true
	}
	return paths, nil
}

// awsOutputs checks that the AWS module exports what the auth config reads
// from its state.
func awsOutputs(t *tree.Tree, env string) error {
	f, ok := t.Get("environments/" + env + "/terraform/outputs.tf.json")
	if !ok {
		return fmt.Errorf("the AWS module's outputs.tf.json is missing: the Kubernetes auth config reads the cluster endpoint from it")
	}
	var root struct {
		Output map[string]any `json:"output"`
	}
	if err := json.Unmarshal(f.Data, &root); err != nil {
		return err
	}
	for _, o := range []string{"cluster_endpoint", "cluster_certificate_authority_data"} {
		if _, ok := root.Output[o]; !ok {
			return fmt.Errorf("the AWS module has no output %s, which the Kubernetes auth config reads from its state", o)
		}
	}
	return nil
}

var ctyZero = cty.NumberIntVal(0)

// cronJob is the part of the snapshot CronJob the cross-check reads.
type cronJob struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
	} `yaml:"metadata"`
	Spec struct {
		JobTemplate struct {
			Spec struct {
				Template struct {
					Spec struct {
						ServiceAccountName string `yaml:"serviceAccountName"`
						InitContainers     []struct {
							Env []struct {
								Name  string `yaml:"name"`
								Value string `yaml:"value"`
							} `yaml:"env"`
						} `yaml:"initContainers"`
						Volumes []struct {
							Projected struct {
								Sources []struct {
									ServiceAccountToken struct {
										Audience string `yaml:"audience"`
									} `yaml:"serviceAccountToken"`
								} `yaml:"sources"`
							} `yaml:"projected"`
						} `yaml:"volumes"`
					} `yaml:"spec"`
				} `yaml:"template"`
			} `yaml:"spec"`
		} `yaml:"jobTemplate"`
	} `yaml:"spec"`
}

// verifySnapshots cross-checks env's snapshot CronJob (where the
// snapshots are taken) against the Vault module.
func verifySnapshots(p *model.Platform, env *model.Environment, t *tree.Tree, d *declared) []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, diag.AtPath(p.Src, diag.Sel("addons", "vault", "snapshots"), "vault: "+format, args...))
	}
	var jobs []cronJob
	var file string
	prefix := "environments/" + env.Name + "/addons/"
	for _, f := range t.Files() {
		if !strings.HasPrefix(f.Path, prefix) || !strings.HasSuffix(f.Path, "/cronjob.yaml") {
			continue
		}
		var cj cronJob
		if err := yaml.Unmarshal(f.Data, &cj); err == nil && cj.Kind == "CronJob" && cj.Metadata.Name == vaultnames.Snapshots {
			jobs = append(jobs, cj)
			file = f.Path
		}
	}
	_, on := p.VaultSnapshotsIn(env)
	if len(jobs) != map[bool]int{true: 1, false: 0}[on] {
		fail("environment %s: %d snapshot CronJobs rendered, snapshots on: %v", env.Name, len(jobs), on)
		return errs
	}
	if !on {
		return nil
	}
	pod := jobs[0].Spec.JobTemplate.Spec.Template.Spec
	var roleName string
	for _, c := range pod.InitContainers {
		for _, e := range c.Env {
			if e.Name == "VAULT_ROLE" {
				roleName = e.Value
			}
		}
	}
	var audiences []string
	for _, v := range pod.Volumes {
		for _, s := range v.Projected.Sources {
			if a := s.ServiceAccountToken.Audience; a != "" {
				audiences = append(audiences, a)
			}
		}
	}
	r, ok := d.roles[roleName]
	switch {
	case !ok:
		fail("%s: CronJob %s logs in with Vault role %q, which the Vault module does not declare", file, vaultnames.Snapshots, roleName)
		return errs
	case r.Backend != d.authPath:
		fail("%s: Vault role %q is on auth mount %q, Kubernetes auth is mounted at %q", file, roleName, r.Backend, d.authPath)
	case !slices.Equal(r.Accounts, []string{pod.ServiceAccountName}) || !slices.Equal(r.Namespaces, []string{jobs[0].Metadata.Namespace}):
		fail("%s: Vault role %q is bound to service accounts %v in namespaces %v, the CronJob runs as %s/%s", file, roleName, r.Accounts, r.Namespaces, jobs[0].Metadata.Namespace, pod.ServiceAccountName)
	case r.Audience == "" || !slices.Equal(audiences, []string{r.Audience}):
		fail("%s: Vault role %q accepts audience %q, the CronJob's projected tokens are for %v", file, roleName, r.Audience, audiences)
	}
	granted := map[string]bool{}
	for _, pol := range r.Policies {
		paths, ok := d.policies[pol]
		if !ok {
			fail("Vault role %q names policy %q, which the Vault module does not declare", roleName, pol)
		}
		maps.Copy(granted, paths)
	}
	if !maps.Equal(granted, map[string]bool{vaultnames.SnapshotPath: true}) {
		fail("%s: Vault role %q grants read on %v; the snapshots need exactly %s", file, roleName, slices.Sorted(maps.Keys(granted)), vaultnames.SnapshotPath)
	}
	return errs
}
