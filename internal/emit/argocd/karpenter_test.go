package argocd_test

import (
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/emit/addons"
	"github.com/idpgen/idpgen/internal/emit/argocd"
	"github.com/idpgen/idpgen/internal/emit/karpenter"
	"github.com/idpgen/idpgen/internal/emit/kustomize"
	"github.com/idpgen/idpgen/internal/render"
)

// The NodePools and the EC2NodeClass are synced after the Karpenter chart
// (which installs their CRDs) and before the teams' workloads, with the
// dry run skipped for kinds whose CRD is not there yet.
func TestKarpenterObjectsSyncBetweenChartAndWorkloads(t *testing.T) {
	p, err := render.Load(filepath.Join(repoRoot(t), "platforms", "example"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := render.Model(p, []render.Emitter{kustomize.New(), addons.New(), karpenter.New(), argocd.New()})
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range p.EnvironmentList {
		o, err := argocd.Read(tr, env.Name)
		if err != nil {
			t.Fatal(err)
		}
		var chart, objects *argocd.Application
		for i, a := range o.Applications {
			app := &o.Applications[i].Application
			if slices.ContainsFunc(app.Spec.Info, func(in argocd.Info) bool { return in.Name == "add-on" && in.Value == "karpenter" }) {
				chart = app
			}
			if app.Spec.Source != nil && path.Base(app.Spec.Source.Path) == path.Base(karpenter.Dir(env.Name)) && !strings.HasPrefix(a.By, "ApplicationSet") {
				objects = app
			}
		}
		if chart == nil || objects == nil {
			t.Fatalf("%s: Karpenter chart app %v, objects app %v", env.Name, chart != nil, objects != nil)
		}
		if want := path.Join(p.Repo.Path, karpenter.Dir(env.Name)); objects.Spec.Source.Path != want {
			t.Errorf("%s: %s deploys %s, want %s", env.Name, objects.Metadata.Name, objects.Spec.Source.Path, want)
		}
		chartWave, objWave := o.Waves["Application/"+chart.Metadata.Name], o.Waves["Application/"+objects.Metadata.Name]
		if !(chartWave < objWave && objWave < addons.WaveServices) {
			t.Errorf("%s: waves chart %d, NodePools %d, workloads %d: want chart < NodePools < workloads", env.Name, chartWave, objWave, addons.WaveServices)
		}
		for _, opt := range []string{"SkipDryRunOnMissingResource=true", "ServerSideApply=true"} {
			if !slices.Contains(objects.Spec.SyncPolicy.SyncOptions, opt) {
				t.Errorf("%s: %s sync options %v lack %s", env.Name, objects.Metadata.Name, objects.Spec.SyncPolicy.SyncOptions, opt)
			}
		}
	}
}
