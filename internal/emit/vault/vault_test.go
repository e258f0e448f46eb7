package vault_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/emit/vault"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/tree"
	"github.com/idpgen/idpgen/internal/vaultnames"
)

func example(t *testing.T) (*model.Platform, *tree.Tree) {
	t.Helper()
	p, tr, err := render.Platform("../../../platforms/example")
	if err != nil {
		t.Fatal(err)
	}
	return p, tr
}

type moduleJSON struct {
	Resource struct {
		Roles map[string]struct {
			Name       string   `json:"role_name"`
			Accounts   []string `json:"bound_service_account_names"`
			Namespaces []string `json:"bound_service_account_namespaces"`
			Audience   string   `json:"audience"`
			Policies   []string `json:"token_policies"`
		} `json:"vault_kubernetes_auth_backend_role"`
		Policies map[string]struct {
			Name   string `json:"name"`
			Policy string `json:"policy"`
		} `json:"vault_policy"`
	} `json:"resource"`
}

func readJSON(t *testing.T, tr *tree.Tree, path string, v any) {
	t.Helper()
	f, ok := tr.Get(path)
	if !ok {
		t.Fatalf("%s not rendered", path)
	}
	if err := json.Unmarshal(f.Data, v); err != nil {
		t.Fatal(err)
	}
}

// TestPoliciesGrantExactlyWhatExternalSecretsRead is a property over the
// rendered example: in each environment, the paths a store's policy grants
// are exactly the remoteRef keys of the ExternalSecrets that use the store
// (collected from the YAML, not from the model), and each role is bound to
// exactly its store's namespace and service account.
func TestPoliciesGrantExactlyWhatExternalSecretsRead(t *testing.T) {
	p, tr := example(t)
	for _, env := range p.EnvironmentList {
		read := map[string]map[string]bool{} // namespace -> keys
		for _, f := range tr.Files() {
			if !strings.HasPrefix(f.Path, "environments/"+env.Name+"/") || !bytes.Contains(f.Data, []byte("kind: ExternalSecret")) {
				continue
			}
			for _, doc := range bytes.Split(f.Data, []byte("\n---\n")) {
				var es struct {
					Kind     string `json:"kind"`
					Metadata struct {
						Namespace string `json:"namespace"`
					} `json:"metadata"`
					Spec struct {
						SecretStoreRef struct{ Name string } `json:"secretStoreRef"`
						Data           []struct {
							RemoteRef struct{ Key string } `json:"remoteRef"`
						} `json:"data"`
					} `json:"spec"`
				}
				if err := yaml.Unmarshal(doc, &es); err != nil || es.Kind != "ExternalSecret" || len(es.Spec.Data) == 0 {
					continue
				}
				ns := es.Metadata.Namespace
				if es.Spec.SecretStoreRef.Name != vaultnames.Store(ns) {
					t.Errorf("%s: ExternalSecret in %s uses store %s", f.Path, ns, es.Spec.SecretStoreRef.Name)
				}
				if read[ns] == nil {
					read[ns] = map[string]bool{}
				}
				for _, d := range es.Spec.Data {
					read[ns][d.RemoteRef.Key] = true
				}
			}
		}
		if len(read) == 0 {
			t.Fatalf("%s: no ExternalSecrets: the property checks nothing", env.Name)
		}
		var auth, policies moduleJSON
		readJSON(t, tr, vaultnames.Dir(env.Name)+"/auth.tf.json", &auth)
		readJSON(t, tr, vaultnames.Dir(env.Name)+"/policies.tf.json", &policies)
		byName := map[string]string{}
		for addr, pol := range policies.Resource.Policies {
			byName["${vault_policy."+addr+".name}"] = pol.Policy
		}
		snapshots := 0
		if _, on := p.VaultSnapshotsIn(env); on {
			snapshots = 1
			r := auth.Resource.Roles["snapshots"]
			if r.Name != vaultnames.Snapshots || !slices.Equal(r.Accounts, []string{vaultnames.Snapshots}) ||
				!slices.Equal(r.Namespaces, []string{p.Addons.Vault.Namespace}) || r.Audience != vaultnames.Audience ||
				!slices.Equal(r.Policies, []string{"${vault_policy.snapshots.name}"}) {
				t.Errorf("%s: snapshot role %+v", env.Name, r)
			}
			if got := byName["${vault_policy.snapshots.name}"]; !strings.Contains(got, `path "`+vaultnames.SnapshotPath+`" {`) || strings.Count(got, "path ") != 1 {
				t.Errorf("%s: snapshot policy %q", env.Name, got)
			}
		}
		if len(auth.Resource.Roles) != len(read)+snapshots {
			t.Errorf("%s: %d roles for %d namespaces with ExternalSecrets and %d snapshot CronJobs", env.Name, len(auth.Resource.Roles), len(read), snapshots)
		}
		for id, r := range auth.Resource.Roles {
			if id == "snapshots" {
				continue
			}
			if len(r.Namespaces) != 1 || r.Name != vaultnames.Role(r.Namespaces[0]) || !slices.Equal(r.Accounts, []string{vaultnames.ServiceAccount}) || r.Audience != vaultnames.Audience {
				t.Errorf("%s: role %s is bound to %v in %v (audience %q)", env.Name, r.Name, r.Accounts, r.Namespaces, r.Audience)
				continue
			}
			ns := r.Namespaces[0]
			var granted []string
			for _, pol := range r.Policies {
				for _, line := range strings.Split(byName[pol], "\n") {
					if rest, ok := strings.CutPrefix(line, `path "`); ok {
						granted = append(granted, strings.TrimSuffix(rest, `" {`))
					}
				}
			}
			slices.Sort(granted)
			if want := slices.Sorted(maps.Keys(read[ns])); !slices.Equal(granted, want) {
				t.Errorf("%s: role %s grants %v, its ExternalSecrets read %v", env.Name, r.Name, granted, want)
			}
		}
	}
	if _, err := (vault.Emitter{}).Verify(p, tr); err != nil {
		t.Errorf("the example does not pass its own cross-check: %v", err)
	}
}

// TestExternalSecretReadsTheAPIPath: the ExternalSecret of a service reads
// its Vault reference verbatim, the KV v2 API path with /data/, which the
// External Secrets Operator's v2 store uses as is, and which is the path the
// policy grants.
func TestExternalSecretReadsTheAPIPath(t *testing.T) {
	p, tr := example(t)
	svc := p.Services["checkout"]
	f, ok := tr.Get("environments/prod/secrets/checkout/externalsecret.yaml")
	if !ok {
		t.Fatal("no ExternalSecret for checkout")
	}
	var es struct {
		Spec struct {
			Data []struct {
				SecretKey string `json:"secretKey"`
				RemoteRef struct {
					Key      string `json:"key"`
					Property string `json:"property"`
				} `json:"remoteRef"`
			} `json:"data"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(f.Data, &es); err != nil {
		t.Fatal(err)
	}
	if len(es.Spec.Data) != len(svc.Secrets) {
		t.Fatalf("%d entries for %d secrets", len(es.Spec.Data), len(svc.Secrets))
	}
	for _, d := range es.Spec.Data {
		ref := svc.Secrets[d.SecretKey]
		if d.RemoteRef.Key != ref.Path || d.RemoteRef.Property != ref.Key || !strings.Contains(d.RemoteRef.Key, "/data/") {
			t.Errorf("%s reads %s#%s, want %s#%s in the API form", d.SecretKey, d.RemoteRef.Key, d.RemoteRef.Property, ref.Path, ref.Key)
		}
	}
	stores, _ := tr.Get("environments/prod/platform-secrets/clustersecretstores.yaml")
	if !bytes.Contains(stores.Data, []byte("version: v2")) {
		t.Error("the stores do not read KV v2")
	}
}

// TestCrossCheckCatches: each broken Vault module (or store) is reported at
// the CUE line of what depends on it.
func TestCrossCheckCatches(t *testing.T) {
	p, tr := example(t)
	tests := []struct {
		name, file, old, new string
		wantPath, wantMsg    string
	}{
		{"path not granted", "environments/prod/vault-terraform/policies.tf.json",
			`path \"kv/data/payments/stripe\" {\n  capabilities = [\"read\"]\n}\n`, "",
			"services.payments.secrets.STRIPE_API_KEY", `reads "kv/data/payments/stripe", which the policies of Vault role "eso-payments" do not grant`},
		{"wider capability", "environments/prod/vault-terraform/policies.tf.json",
			`path \"kv/data/shop/cart\" {\n  capabilities = [\"read\"]`, `path \"kv/data/shop/cart\" {\n  capabilities = [\"read\", \"list\"]`,
			"environments.prod", `must grant exactly ["read"]`},
		{"role undeclared", "environments/prod/vault-terraform/auth.tf.json",
			`"role_name": "eso-shop"`, `"role_name": "eso-shop-old"`,
			"environments.prod", `logs in with Vault role "eso-shop", which the Vault module does not declare`},
		{"role bound elsewhere", "environments/prod/vault-terraform/auth.tf.json",
			"\"bound_service_account_namespaces\": [\n          \"shop\"", "\"bound_service_account_namespaces\": [\n          \"payments\"",
			"environments.prod", `Vault role "eso-shop" is bound to service accounts [vault-secrets] in namespaces [payments]`},
		{"no mount", "environments/prod/vault-terraform/mounts.tf.json",
			`"path": "kv"`, `"path": "secret"`,
			"services.cart.secrets.REDIS_PASSWORD", `declares no KV v2 mount "kv"`},
		{"snapshot role undeclared", "environments/prod/vault-terraform/auth.tf.json",
			`"role_name": "vault-snapshots"`, `"role_name": "vault-snapshot"`,
			"addons.vault.snapshots", `CronJob vault-snapshots logs in with Vault role "vault-snapshots", which the Vault module does not declare`},
		{"snapshot role bound elsewhere", "environments/prod/vault-terraform/auth.tf.json",
			"\"bound_service_account_names\": [\n          \"vault-snapshots\"", "\"bound_service_account_names\": [\n          \"vault\"",
			"addons.vault.snapshots", `Vault role "vault-snapshots" is bound to service accounts [vault] in namespaces [vault], the CronJob runs as vault/vault-snapshots`},
		{"snapshot audience", "environments/prod/addons/vault/snapshots/cronjob.yaml",
			"audience: vault", "audience: sts.amazonaws.com",
			"addons.vault.snapshots", `Vault role "vault-snapshots" accepts audience "vault", the CronJob's projected tokens are for [sts.amazonaws.com]`},
		{"snapshot policy wider", "environments/prod/vault-terraform/policies.tf.json",
			`path \"sys/storage/raft/snapshot\"`, `path \"sys/storage/raft/snapshot-force\"`,
			"addons.vault.snapshots", `grants read on [sys/storage/raft/snapshot-force]; the snapshots need exactly sys/storage/raft/snapshot`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			broken := tree.New()
			changed := false
			for _, f := range tr.Files() {
				data := f.Data
				if f.Path == tt.file {
					data = []byte(strings.Replace(string(data), tt.old, tt.new, 1))
					changed = !bytes.Equal(data, f.Data)
				}
				if err := broken.Add(f.Emitter, f.Path, data); err != nil {
					t.Fatal(err)
				}
			}
			if !changed {
				t.Fatalf("%s does not contain %q", tt.file, tt.old)
			}
			_, err := (vault.Emitter{}).Verify(p, broken)
			var got []string
			for _, e := range diag.Entries(err) {
				got = append(got, e.String())
				if e.Path == tt.wantPath && strings.Contains(e.Message, tt.wantMsg) && e.Line > 0 {
					return
				}
			}
			t.Errorf("want an error at %s: %s\ngot:\n%s", tt.wantPath, tt.wantMsg, strings.Join(got, "\n"))
		})
	}
}
