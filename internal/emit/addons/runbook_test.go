package addons_test

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/emit/addons"
)

// restoreRE reads the restore commands of a runbook.
var restoreRE = regexp.MustCompile(`(?m)^velero restore create \S+-\$\(date -u \+%Y%m%d%H%M\) --from-schedule (\S+) --include-namespaces (\S+) --selector app\.kubernetes\.io/name=(\S+) --wait$`)

// Each environment's runbook names every backed-up service with a restore
// command that matches its Schedule in the Velero values (the chart's
// name for it, the namespace and selector it backs up), and no other.
func TestRunbookMatchesSchedules(t *testing.T) {
	p, tr := example(t)
	checked := 0
	for _, env := range p.EnvironmentList {
		f, ok := tr.Get(addons.RunbookPath(env.Name))
		if !p.Addons.Velero.In(env.Name) {
			if ok {
				t.Errorf("%s: runbook without Velero", env.Name)
			}
			continue
		}
		if !ok {
			t.Fatalf("%s: no runbook", env.Name)
		}
		text := string(f.Data)
		schedules, _ := values(t, tr, env.Name, "velero")["schedules"].(map[string]any)
		commands := map[string][]string{}
		for _, m := range restoreRE.FindAllStringSubmatch(text, -1) {
			commands[m[1]] = m[2:]
		}
		if len(commands) != len(schedules) {
			t.Errorf("%s: %d restore commands for %d schedules", env.Name, len(commands), len(schedules))
		}
		for key, s := range schedules {
			name := addons.VeleroSchedulePrefix + key
			cmd, ok := commands[name]
			if !ok {
				t.Errorf("%s: no restore command for Schedule %s", env.Name, name)
				continue
			}
			tpl := dig(s.(map[string]any), "template").(map[string]any)
			if !reflect.DeepEqual([]any{cmd[0]}, tpl["includedNamespaces"]) || dig(tpl, "labelSelector", "matchLabels", "app.kubernetes.io/name") != cmd[1] {
				t.Errorf("%s: restore %v does not match Schedule %s %v", env.Name, cmd, name, tpl)
			}
			if !strings.Contains(text, "| "+key+" |") || !strings.Contains(text, "`"+dig(s.(map[string]any), "schedule").(string)+"`") {
				t.Errorf("%s: the backups table misses %s or its cron", env.Name, key)
			}
			checked++
		}
		for _, svc := range p.ServiceList {
			if _, on := addons.BackupPlan(svc, env); on && schedules[svc.Name] == nil {
				t.Errorf("%s: %s is backed up but has no Schedule", env.Name, svc.Name)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no backed-up service in the example: the test proves nothing")
	}
}
