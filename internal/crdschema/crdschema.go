// Package crdschema validates objects of custom kinds against their
// upstream CustomResourceDefinitions with the API server's own code
// (k8s.io/apiextensions-apiserver): the structural schema prunes unknown
// fields (reported as errors, so validation is strict) and the OpenAPI
// schema validates the rest. The CRDs are read from upstream Go modules in
// the module cache, at the versions pinned in pin/go.mod; nothing upstream
// is copied into this repository. Tests use it; idpgen itself does not.
package crdschema

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"unicode"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Upstream modules pinned in pin/go.mod.
const (
	ArgoCD          = "github.com/argoproj/argo-cd/v3"
	ExternalSecrets = "github.com/external-secrets/external-secrets"
	GatewayAPI      = "sigs.k8s.io/gateway-api"
	// Modules pinned only for their Helm charts.
	Gatekeeper    = "github.com/open-policy-agent/gatekeeper/v3"
	Karpenter     = "github.com/aws/karpenter-provider-aws"
	MetricsServer = "sigs.k8s.io/metrics-server"
	Istio         = "istio.io/istio"
	VPA           = "k8s.io/autoscaler/vertical-pod-autoscaler"
	Vault         = "github.com/hashicorp/vault-helm"
	Velero        = "github.com/vmware-tanzu/helm-charts"
	// VeleroCRDs is Velero itself: config/crd/v1/bases.
	VeleroCRDs = "github.com/vmware-tanzu/velero"
	// DatadogOperator is the Datadog Operator: config/crd/bases/v1.
	DatadogOperator = "github.com/DataDog/datadog-operator"
)

// PinnedVersion returns the version of module in pin/go.mod.
func PinnedVersion(module string) (string, error) {
	_, file, _, _ := runtime.Caller(0)
	data, err := os.ReadFile(filepath.Join(filepath.Dir(file), "pin", "go.mod"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == module {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("%s is not pinned in pin/go.mod", module)
}

// ModuleDir returns the module cache directory of module at its pinned
// version, downloading it through the Go module proxy when it is not in the
// cache yet.
func ModuleDir(module string) (string, error) {
	version, err := PinnedVersion(module)
	if err != nil {
		return "", err
	}
	return DownloadDir(module, version)
}

// DownloadDir returns the module cache directory of module at version,
// downloading it when it is not in the cache yet (for a module that cannot
// be pinned in pin/go.mod; see internal/ec2types/gen).
func DownloadDir(module, version string) (string, error) {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMODCACHE: %w", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), escape(module)+"@"+version)
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	cmd.Dir = os.TempDir() // outside any module: only this module is fetched
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %v\n%s%s", module, version, err, stdout.String(), stderr.String())
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(stdout.Bytes(), &info); err != nil || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: %s %v", module, version, info.Error, err)
	}
	return info.Dir, nil
}

// escape is the module cache's case encoding (upper-case letters become
// "!" + lower case).
func escape(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

type version struct {
	schema     *apiextensions.JSONSchemaProps
	structural *structuralschema.Structural
	validator  validation.SchemaValidator
}

// Set holds CRDs by "group/version, Kind".
type Set struct {
	versions map[string]version
	scopes   map[string]string
}

// Load reads CRD files.
func Load(files ...string) (*Set, error) {
	s := &Set{versions: map[string]version{}, scopes: map[string]string{}}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, doc := range docs(data) {
			var crd apiextensionsv1.CustomResourceDefinition
			if err := yaml.Unmarshal(doc, &crd); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			if crd.Kind != "CustomResourceDefinition" {
				continue
			}
			var in apiextensions.CustomResourceDefinition
			if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(&crd, &in, nil); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			for _, v := range in.Spec.Versions {
				props := in.Spec.Validation
				if v.Schema != nil {
					props = v.Schema
				}
				if props == nil || props.OpenAPIV3Schema == nil {
					continue
				}
				st, err := structuralschema.NewStructural(props.OpenAPIV3Schema)
				if err != nil {
					return nil, fmt.Errorf("%s: %s: %w", f, crd.Name, err)
				}
				val, _, err := validation.NewSchemaValidator(props.OpenAPIV3Schema)
				if err != nil {
					return nil, fmt.Errorf("%s: %s: %w", f, crd.Name, err)
				}
				key := in.Spec.Group + "/" + v.Name + ", " + in.Spec.Names.Kind
				s.versions[key] = version{props.OpenAPIV3Schema, st, val}
				s.scopes[key] = string(in.Spec.Scope)
			}
		}
	}
	return s, nil
}

// Kinds lists the loaded "group/version, Kind" keys.
func (s *Set) Kinds() []string {
	var out []string
	for k := range s.versions {
		out = append(out, k)
	}
	return out
}

// ErrUnknownKind is returned for an object whose kind is not loaded.
var ErrUnknownKind = errors.New("no CRD loaded for this kind")

// Validate checks one object (any value that encodes to a JSON object):
// an unknown field anywhere is an error, then the schema is applied.
func (s *Set) Validate(obj any) error {
	data, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	var u map[string]any
	if err := json.Unmarshal(data, &u); err != nil {
		return err
	}
	apiVersion, _ := u["apiVersion"].(string)
	kind, _ := u["kind"].(string)
	key := apiVersion + ", " + kind
	v, ok := s.versions[key]
	if !ok {
		return fmt.Errorf("%s: %w", key, ErrUnknownKind)
	}
	var errs []error
	pruned := pruning.PruneWithOptions(u, v.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	for _, p := range pruned {
		errs = append(errs, fmt.Errorf("unknown field %q", p))
	}
	// Validate the original object, not the pruned copy.
	var orig map[string]any
	_ = json.Unmarshal(data, &orig)
	for _, e := range validation.ValidateCustomResource(field.NewPath(""), orig, v.validator) {
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s %v: %w", key, metadataName(orig), errors.Join(errs...))
	}
	return nil
}

func metadataName(u map[string]any) any {
	if m, ok := u["metadata"].(map[string]any); ok {
		return m["name"]
	}
	return nil
}

// ValidateYAML validates every document of a multi-document YAML file and
// returns how many it checked.
func (s *Set) ValidateYAML(data []byte) (int, error) {
	n := 0
	for _, doc := range docs(data) {
		var u map[string]any
		if err := yaml.Unmarshal(doc, &u); err != nil {
			return n, err
		}
		if len(u) == 0 {
			continue
		}
		if err := s.Validate(u); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func docs(data []byte) [][]byte {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out [][]byte
	for {
		d, err := r.Read()
		if err == io.EOF || err != nil {
			return out
		}
		out = append(out, d)
	}
}
