package addons_test

import (
	"bytes"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/crdschema"
	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/emit/addons"
	"github.com/idpgen/idpgen/internal/golden"
	"github.com/idpgen/idpgen/internal/helmcheck"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/tree"
)

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

func example(t testing.TB) (*model.Platform, *tree.Tree) {
	t.Helper()
	p, err := render.Load(filepath.Join(repoRoot(), "platforms", "example"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := render.Model(p, []render.Emitter{addons.New()})
	if err != nil {
		t.Fatal(err)
	}
	return p, tr
}

func values(t *testing.T, tr *tree.Tree, env, release string) map[string]any {
	t.Helper()
	f, ok := tr.Get(addons.ValuesPath(env, release))
	if !ok {
		t.Fatalf("%s: no values for %s", env, release)
	}
	var m map[string]any
	if err := yaml.Unmarshal(f.Data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func dig(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

func TestGolden(t *testing.T) {
	_, tr := example(t)
	var all bytes.Buffer
	for _, f := range tr.Files() {
		all.WriteString("-- " + f.Path + " --\n")
		all.Write(f.Data)
	}
	golden.Check(t, "testdata/example.txtar", all.Bytes())
}

// Every enabled add-on has values in every environment, and nothing else.
func TestValuesForEveryEnabledAddon(t *testing.T) {
	p, tr := example(t)
	for _, env := range p.EnvironmentList {
		for _, a := range p.Addons.List() {
			for _, c := range p.Catalog[a.Key].Charts {
				_, ok := tr.Get(addons.ValuesPath(env.Name, c.Release))
				if ok != a.In(env.Name) {
					t.Errorf("%s: %s values present = %v, enabled = %v", env.Name, c.Release, ok, a.In(env.Name))
				}
			}
		}
	}
}

// The values carry the names Terraform creates (internal/awsnames) and the
// tier's sizing.
func TestValuesFromModel(t *testing.T) {
	p, tr := example(t)
	for _, env := range p.EnvironmentList {
		n := awsnames.For(p, env)
		k := values(t, tr, env.Name, "karpenter")
		if dig(k, "settings", "clusterName") != n.Cluster() || dig(k, "settings", "interruptionQueue") != n.InterruptionQueue() {
			t.Errorf("%s: karpenter settings %v", env.Name, k["settings"])
		}
		if dig(k, "serviceAccount", "annotations", addons.RoleAnnotation) != n.RoleARN(n.KarpenterControllerRole()) {
			t.Errorf("%s: karpenter identity %v", env.Name, k["serviceAccount"])
		}
		v := values(t, tr, env.Name, "vault")
		cfg, _ := dig(v, "server", "ha", "raft", "config").(string)
		if dig(v, "server", "ha", "replicas") != float64(3) || dig(v, "server", "ha", "raft", "enabled") != true ||
			!strings.Contains(cfg, `kms_key_id = "`+n.VaultUnsealKeyAlias()+`"`) || !strings.Contains(cfg, `seal "awskms"`) ||
			!strings.Contains(cfg, "tls_cert_file") || dig(v, "global", "tlsDisable") != false {
			t.Errorf("%s: vault is not HA raft with KMS auto-unseal and TLS: %v", env.Name, v["server"])
		}
		// The chart sets VAULT_ADDR itself; a duplicate env key fails
		// server-side apply.
		if dig(v, "server", "extraEnvironmentVars", "VAULT_ADDR") != nil {
			t.Errorf("%s: vault sets VAULT_ADDR again: %v", env.Name, dig(v, "server", "extraEnvironmentVars"))
		}
		ve := values(t, tr, env.Name, "velero")
		bsl := dig(ve, "configuration", "backupStorageLocation").([]any)[0].(map[string]any)
		if bsl["bucket"] != n.BackupBucket() || dig(bsl, "config", "region") != env.Region || dig(ve, "credentials", "useSecret") != false {
			t.Errorf("%s: velero %v", env.Name, bsl)
		}
		dd := values(t, tr, env.Name, "datadog")
		if dig(dd, "datadog", "apiKeyExistingSecret") != addons.DatadogAPIKeySecret || dig(dd, "datadog", "apiKey") != nil ||
			dig(dd, "datadog", "clusterName") != n.Cluster() || dig(dd, "datadog", "logs", "enabled") != true {
			t.Errorf("%s: datadog %v", env.Name, dd["datadog"])
		}
		a := values(t, tr, env.Name, "argocd")
		if got := dig(a, "redis-ha", "enabled"); got != env.Prod() {
			t.Errorf("%s: argocd redis-ha = %v", env.Name, got)
		}
		// An explicit controller policy overrides the ApplicationSets'
		// applicationsSync (prod's create-update) unless this is on.
		if got := dig(a, "configs", "params", "applicationsetcontroller.enable.policy.override"); got != true {
			t.Errorf("%s: argocd applicationset policy override = %v", env.Name, got)
		}
		wantReplicas := float64(1)
		if env.Prod() {
			wantReplicas = 2
		}
		if dig(a, "server", "replicas") != wantReplicas || dig(values(t, tr, env.Name, "aws-load-balancer-controller"), "replicaCount") != wantReplicas {
			t.Errorf("%s: replicas do not follow the tier", env.Name)
		}
		if dig(values(t, tr, env.Name, "istiod"), "profile") != "ambient" {
			t.Errorf("%s: istiod is not ambient", env.Name)
		}
	}
	// No secret value anywhere: the Datadog key is only a Vault reference.
	for _, f := range tr.Files() {
		if bytes.Contains(f.Data, []byte("apiKey:")) {
			t.Errorf("%s holds an apiKey", f.Path)
		}
	}
}

// The secrets objects are valid for the External Secrets Operator's CRDs,
// strictly, and build the Secret every service's Deployment reads.
func TestSecretsMatchUpstreamCRDs(t *testing.T) {
	dir, err := crdschema.ModuleDir(crdschema.ExternalSecrets)
	if err != nil {
		t.Fatal(err)
	}
	crds := filepath.Join(dir, "config", "crds", "bases")
	set, err := crdschema.Load(filepath.Join(crds, "external-secrets.io_externalsecrets.yaml"), filepath.Join(crds, "external-secrets.io_clustersecretstores.yaml"),
		filepath.Join(crds, "generators.external-secrets.io_passwords.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, tr := example(t)
	checked := 0
	for _, f := range tr.Files() {
		if strings.HasSuffix(f.Path, ".md") || strings.HasSuffix(f.Path, "values.yaml") || strings.HasSuffix(f.Path, "kustomization.yaml") || strings.HasSuffix(f.Path, "serviceaccounts.yaml") || strings.HasSuffix(f.Path, "serviceaccount.yaml") ||
			strings.HasSuffix(f.Path, "cronjob.yaml") { // core objects: snapshots_test.go
			continue
		}
		n, err := set.ValidateYAML(f.Data)
		if err != nil {
			t.Errorf("%s: %v", f.Path, err)
		}
		checked += n
	}
	withSecrets := 0
	for _, env := range p.EnvironmentList {
		for _, svc := range p.ServiceList {
			if len(svc.Secrets) == 0 || !svc.Enabled(env.Name) {
				continue
			}
			withSecrets++
			f, ok := tr.Get(filepath.Join(addons.SecretsDir(env.Name, svc.Name), "externalsecret.yaml"))
			if !ok {
				t.Errorf("%s: %s has no ExternalSecret", env.Name, svc.Name)
				continue
			}
			var es map[string]any
			_ = yaml.Unmarshal(f.Data, &es)
			if dig(es, "spec", "target", "name") != svc.Name+"-vault" {
				t.Errorf("%s: %s target %v", env.Name, svc.Name, dig(es, "spec", "target"))
			}
			for name := range svc.Secrets {
				if !bytes.Contains(f.Data, []byte("secretKey: "+name)) {
					t.Errorf("%s: %s: %s missing", env.Name, svc.Name, name)
				}
			}
		}
	}
	if checked < withSecrets {
		t.Errorf("validated %d objects for %d services with secrets", checked, withSecrets)
	}
}

// The generated values of the secrets operator pass the real upstream
// chart (from the External Secrets module: its values.schema.json and
// templates), for every environment.
func TestSecretsOperatorValuesPassUpstreamChart(t *testing.T) {
	dir, err := crdschema.ModuleDir(crdschema.ExternalSecrets)
	if err != nil {
		t.Fatal(err)
	}
	p, tr := example(t)
	e := &addons.Emitter{Charts: helmcheck.Finder{Dirs: []string{filepath.Join(dir, "deploy", "charts")}}}
	notes, err := e.Verify(p, tr)
	if err != nil {
		t.Fatalf("%v\n%v", err, notes)
	}
	if !strings.Contains(strings.Join(notes, "\n"), "helm: 3 values file(s) validated") {
		t.Errorf("notes: %v", notes)
	}
}

// Verify checks what it finds, reports what it could not check, and points
// a failure at the add-on in CUE.
func TestVerify(t *testing.T) {
	p, tr := example(t)
	e := &addons.Emitter{Charts: helmcheck.Finder{Dirs: []string{"testdata/charts"}}}
	notes, err := e.Verify(p, tr)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(notes, "\n")
	if !strings.Contains(all, "not checked") || !strings.Contains(all, "velero 12.1.0") || !strings.Contains(all, "3 values file(s) validated") {
		t.Errorf("notes: %v", notes)
	}
	if strings.Contains(all, "metrics-server 3.12.2") {
		t.Errorf("metrics-server listed as unchecked: %v", notes)
	}

	for name, bad := range map[string]string{
		"wrong type":  "replicas: two\n",
		"unknown key": "replicas: 2\nreplicaCount: 2\n",
	} {
		t.Run(name, func(t *testing.T) {
			broken := tree.New()
			for _, f := range tr.Files() {
				data := f.Data
				if f.Path == addons.ValuesPath("staging", "metrics-server") {
					data = []byte("# " + tree.Marker + "\n" + bad)
				}
				_ = broken.Add(f.Emitter, f.Path, data)
			}
			_, err := e.Verify(p, broken)
			if err == nil {
				t.Fatal("the broken values passed")
			}
			entries := diag.Entries(err)
			if len(entries) != 1 {
				t.Fatalf("want 1 error, got %v", entries)
			}
			got := entries[0]
			if got.Path != "addons.metricsServer" || !strings.HasSuffix(got.File, "addons.cue") || got.Line == 0 ||
				!strings.Contains(got.Message, "environment staging: chart metrics-server 3.12.2") || !strings.Contains(got.Message, "values.schema.json") {
				t.Errorf("got %s", got)
			}
		})
	}
}

// The Datadog agents share a token generated once in the cluster, not one
// the chart re-randomises on every render (which would restart every agent
// on each Argo CD sync).
func TestDatadogClusterAgentTokenIsStable(t *testing.T) {
	p, tr := example(t)
	for _, env := range p.EnvironmentList {
		if !p.Addons.Datadog.In(env.Name) {
			continue
		}
		values, ok := tr.Get(filepath.Join("environments", env.Name, "addons", "datadog", "values.yaml"))
		if !ok {
			t.Fatalf("%s: no datadog values", env.Name)
		}
		var v map[string]any
		if err := yaml.Unmarshal(values.Data, &v); err != nil {
			t.Fatal(err)
		}
		if dig(v, "clusterAgent", "tokenExistingSecret") != addons.DatadogClusterAgentTokenSecret || dig(v, "clusterAgent", "token") != nil {
			t.Errorf("%s: cluster agent token %v", env.Name, dig(v, "clusterAgent"))
		}
		f, ok := tr.Get(filepath.Join(addons.AddonSecretsDir(env.Name, "datadog"), "clusteragent-token.yaml"))
		if !ok {
			t.Fatalf("%s: no token ExternalSecret", env.Name)
		}
		var es map[string]any
		if err := yaml.Unmarshal(f.Data, &es); err != nil {
			t.Fatal(err)
		}
		if dig(es, "spec", "refreshInterval") != "0" || dig(es, "spec", "target", "name") != addons.DatadogClusterAgentTokenSecret {
			t.Errorf("%s: token ExternalSecret %v", env.Name, es["spec"])
		}
		k, _ := tr.Get(filepath.Join(addons.AddonSecretsDir(env.Name, "datadog"), "kustomization.yaml"))
		for _, r := range []string{"password.yaml", "clusteragent-token.yaml"} {
			if !bytes.Contains(k.Data, []byte("- "+r)) {
				t.Errorf("%s: %s not in the kustomization", env.Name, r)
			}
		}
	}
}
