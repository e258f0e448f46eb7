package policy

import (
	"encoding/json"
	"reflect"
	"testing"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
)

// TestJSONPatchAgreesWithTheLibrary applies RFC 6902 patches both with
// applyJSONPatch and with the json-patch library kustomize uses (on JSON
// bytes), and requires the same document, or an error from both.
func TestJSONPatchAgreesWithTheLibrary(t *testing.T) {
	const doc = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"a","labels":{"app.kubernetes.io/name":"a"}},
		"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"a","image":"x:1"},{"name":"b","image":"y:2","ports":[{"containerPort":8080}]}]}}}}`
	for _, patch := range []string{
		`[{"op":"add","path":"/spec/template/spec/nodeSelector","value":{"karpenter.sh/capacity-type":"on-demand"}}]`,
		`[{"op":"add","path":"/spec/template/spec/tolerations","value":[{"key":"k","operator":"Equal","value":"v","effect":"NoSchedule"}]}]`,
		`[{"op":"remove","path":"/spec/replicas"}]`,
		`[{"op":"replace","path":"/spec/replicas","value":3}]`,
		`[{"op":"replace","path":"/spec/template/spec/containers/1/image","value":"y:3"}]`,
		`[{"op":"add","path":"/spec/template/spec/containers/0","value":{"name":"first"}}]`,
		`[{"op":"add","path":"/spec/template/spec/containers/2","value":{"name":"last"}}]`,
		`[{"op":"add","path":"/spec/template/spec/containers/-","value":{"name":"appended"}}]`,
		`[{"op":"remove","path":"/spec/template/spec/containers/0"}]`,
		`[{"op":"add","path":"/metadata/labels/app.kubernetes.io~1part-of","value":"shop"}]`,
		`[{"op":"add","path":"/metadata/labels/a~0b","value":"tilde"}]`,
		`[{"op":"replace","path":"/metadata/labels","value":{}}]`,
		`[{"op":"add","path":"/spec/replicas","value":null}]`,
		`[{"op":"add","path":"/spec/x","value":1.5},{"op":"test","path":"/spec/x","value":1.5}]`,
		`[{"op":"test","path":"/spec/replicas","value":2},{"op":"remove","path":"/spec/replicas"}]`,
		// Errors: a missing parent, member or index; a failed test.
		`[{"op":"add","path":"/spec/missing/x","value":1}]`,
		`[{"op":"replace","path":"/spec/missing","value":1}]`,
		`[{"op":"remove","path":"/spec/missing"}]`,
		`[{"op":"add","path":"/spec/template/spec/containers/5","value":{}}]`,
		`[{"op":"replace","path":"/spec/template/spec/containers/2","value":{}}]`,
		`[{"op":"remove","path":"/spec/template/spec/containers/-"}]`,
		`[{"op":"test","path":"/spec/replicas","value":3}]`,
	} {
		lib, err := jsonpatch.DecodePatch([]byte(patch))
		if err != nil {
			t.Fatal(err)
		}
		want, wantErr := lib.Apply([]byte(doc))
		var ops []patchOp
		if err := json.Unmarshal([]byte(patch), &ops); err != nil {
			t.Fatal(err)
		}
		obj, ok := jsonDecode([]byte(doc))
		if !ok {
			t.Fatal("the document is not JSON")
		}
		got, gotErr := applyJSONPatch(obj, ops)
		if (gotErr != nil) != (wantErr != nil) {
			t.Errorf("%s: error %v, the library's %v", patch, gotErr, wantErr)
			continue
		}
		if wantErr != nil {
			continue
		}
		var w any
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		g, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		var gv any
		json.Unmarshal(g, &gv)
		if !reflect.DeepEqual(gv, w) {
			t.Errorf("%s:\n got %s\nwant %s", patch, g, want)
		}
	}
	for _, op := range []string{"move", "copy"} {
		obj, _ := jsonDecode([]byte(doc))
		if _, err := applyJSONPatch(obj, []patchOp{{Op: op, From: "/spec/replicas", Path: "/spec/x"}}); err == nil {
			t.Errorf("%s was applied; it is refused so that no unapplied operation passes unnoticed", op)
		}
	}
}

// TestJSONDecodeIsYAML holds the JSON reading of a document to what
// yaml.v3 makes of it, numbers included.
func TestJSONDecodeIsYAML(t *testing.T) {
	for _, doc := range []string{
		`{"a":1,"b":-2,"c":1.5,"d":"x","e":[true,null,{"f":0}],"g":"é\n","h":9007199254740993}`,
		`{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":0,"ratio":0.25}}`,
	} {
		got, ok := jsonDecode([]byte(doc))
		if !ok {
			t.Errorf("%s: not read", doc)
			continue
		}
		var want map[string]any
		if err := yamlv3Unmarshal([]byte(doc), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %#v\nwant %#v", doc, got, want)
		}
	}
	for _, doc := range []string{`{"a":1e3}`, `{"a":-0}`, `[1]`, `{"a":1} {"b":2}`, `a: 1`} {
		if _, ok := jsonDecode([]byte(doc)); ok {
			t.Errorf("%s: read as JSON; yaml.v3 reads it differently or it is not one JSON object", doc)
		}
	}
}
