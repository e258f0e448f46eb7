package crdschema

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
)

// ValidateCEL evaluates the CRD's x-kubernetes-validations (CEL) rules on
// obj as the API server does on create: defaults applied first, with the
// API server's cost limits; transition rules (oldSelf) do not apply to a
// new object. Validate checks the schema; this the rules.
func (s *Set) ValidateCEL(obj any) error {
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
	defaulting.Default(u, v.structural)
	val := cel.NewValidator(v.structural, true, celconfig.PerCallLimit)
	if val == nil {
		return nil // no rules
	}
	fieldErrs, _ := val.Validate(context.Background(), field.NewPath(""), v.structural, u, nil, celconfig.RuntimeCELCostBudget)
	var errs []error
	for _, e := range fieldErrs {
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s %v: %w", key, metadataName(u), errors.Join(errs...))
	}
	return nil
}
