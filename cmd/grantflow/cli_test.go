package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/grantflow/grantflow/cmd/grantflow/internal/cli"
)

var update = flag.Bool("update", false, "rewrite the command line's golden files in testdata/cli")

// cliResult is one run of the command line.
type cliResult struct {
	code           int
	stdout, stderr string
}

// cliRun runs the grantflow command line in this process against s, as person (their API
// key in GRANTFLOW_API_KEY; "" for none), with stdin as standard input.
func (s *system) cliRun(t *testing.T, person, stdin string, args ...string) cliResult {
	t.Helper()
	var out, errb bytes.Buffer
	env := map[string]string{"GRANTFLOW_URL": s.base, "GRANTFLOW_API_KEY": s.key[person]}
	code := cli.Main(args, cli.Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return env[k] }, ConfigDir: t.TempDir(), HTTP: s.client,
	}, cli.Server{})
	return cliResult{code: code, stdout: out.String(), stderr: errb.String()}
}

// cli runs a command that has to succeed and returns its standard output.
func (s *system) cli(t *testing.T, person string, args ...string) string {
	t.Helper()
	r := s.cliRun(t, person, "", args...)
	if r.code != 0 {
		t.Fatalf("grantflow %s as %s: exit %d: %s", strings.Join(args, " "), person, r.code, r.stderr)
	}
	return r.stdout
}

// cliJSON runs a command with -o json and decodes its output.
func (s *system) cliJSON(t *testing.T, person string, args ...string) map[string]any {
	t.Helper()
	var out map[string]any
	raw := s.cli(t, person, append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatalf("grantflow %s: not JSON: %v\n%s", strings.Join(args, " "), err, raw)
	}
	return out
}

// cliPendingTask waits until person sees a pending task of request id and returns its id.
func (s *system) cliPendingTask(t *testing.T, person, id string) string {
	t.Helper()
	var task string
	waitFor(t, person+"'s pending task of request "+id, func() (bool, string) {
		out := s.cliJSON(t, person, "tasks", "list", "--request", id, "--status", "PENDING")
		tasks := objects(out, "tasks")
		if len(tasks) == 0 {
			return false, "no pending task"
		}
		task = str(tasks[0], "id")
		return true, ""
	})
	return task
}

var (
	uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}( {2,})?`)
	timeRE = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
)

// masked replaces what changes from run to run: ids become <id1>, <id2>, ... in order of
// first appearance (padded in a table's column, so that the columns keep their places),
// times <time>.
func masked(s string) string {
	seen := map[string]int{}
	s = uuidRE.ReplaceAllStringFunc(s, func(m string) string {
		id := m[:36]
		if _, ok := seen[id]; !ok {
			seen[id] = len(seen) + 1
		}
		out := fmt.Sprintf("<id%d>", seen[id])
		if len(m) > 36 { // a column follows
			out = fmt.Sprintf("%-*s", len(m), out)
		}
		return out
	})
	return timeRE.ReplaceAllString(s, "<time>")
}

// golden compares got, masked, with testdata/cli/name (written with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	got = masked(got)
	path := filepath.Join("testdata", "cli", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to write it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// fitsTerminal fails when a line of out is wider than 80 columns.
func fitsTerminal(t *testing.T, what, out string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if n := len([]rune(line)); n > cli.Width {
			t.Errorf("%s: a line of %d columns: %q", what, n, line)
		}
	}
}

// TestFigmaFromTheCommandLine is the README's walkthrough from the command line: Uma asks for
// Figma editor, Mona (her manager) approves, Otto (the owner) approves and provisions, and
// Uma sees her request DONE; the table and JSON forms match their golden files.
func TestFigmaFromTheCommandLine(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *system) {
		sub := s.cliJSON(t, "uma", "requests", "submit", "--type", "GRANT_ACCESS", "--app", s.app["Figma"],
			"--permission", "editor", "--reason", "design system work", "--request-id", "5f1c9a52-3a2b-4c1e-9d7f-2b8e6c4a1d90")
		id := str(sub, "id")
		if str(sub, "status") != "IN_PROGRESS" || str(sub, "requestId") != "5f1c9a52-3a2b-4c1e-9d7f-2b8e6c4a1d90" {
			t.Fatalf("submit: %v", sub)
		}
		// The same request id again is the same request.
		if again := s.cliJSON(t, "uma", "requests", "submit", "--type", "GRANT_ACCESS", "--app", s.app["Figma"],
			"--permission", "editor", "--reason", "design system work", "--request-id", "5f1c9a52-3a2b-4c1e-9d7f-2b8e6c4a1d90"); str(again, "id") != id {
			t.Errorf("a retried submit opened request %s, want %s", str(again, "id"), id)
		}

		manager := s.cliPendingTask(t, "mona", id)
		if out := s.cli(t, "mona", "tasks", "approve", manager, "--justification", "needed for the redesign"); !strings.Contains(out, "DONE") {
			t.Errorf("approve printed:\n%s", out)
		}
		owner := s.cliPendingTask(t, "otto", id)
		if owner == manager {
			t.Fatalf("the owner's task is the manager's %s", owner)
		}
		s.cli(t, "otto", "tasks", "approve", owner, "--justification", "ok")
		var action string
		waitFor(t, "the action task", func() (bool, string) {
			action = s.cliPendingTask(t, "otto", id)
			return action != owner, action
		})
		s.cli(t, "otto", "tasks", "complete", action, "--note", "granted editor in Figma")

		waitFor(t, "Uma's request DONE", func() (bool, string) {
			r := s.cliJSON(t, "uma", "requests", "get", id)
			return str(r, "status") == "DONE", str(r, "status")
		})

		// Golden outputs: what Uma sees, and the request's tasks as the admin sees them.
		get := s.cli(t, "uma", "requests", "get", id)
		fitsTerminal(t, "requests get", get)
		golden(t, "requests-get.txt", get)
		list := s.cli(t, "ada", "tasks", "list", "--request", id)
		fitsTerminal(t, "tasks list", list)
		golden(t, "tasks-list.txt", list)
		golden(t, "tasks-list.json", s.cli(t, "ada", "tasks", "list", "--request", id, "-o", "json"))
		golden(t, "requests-get.yaml", s.cli(t, "uma", "requests", "get", id, "-o", "yaml"))
		mine := s.cli(t, "uma", "requests", "list", "--requester", s.id["uma"])
		fitsTerminal(t, "requests list", mine)
		golden(t, "requests-list.txt", mine)

		// Errors: one line with the API's message, and a non-zero exit code.
		for _, c := range []struct {
			name, as string
			args     []string
			want     string
		}{
			{"deciding a decided task", "mona", []string{"tasks", "approve", manager}, "FailedPrecondition"},
			{"a task that is not there", "uma", []string{"tasks", "get", "no-such-task"}, "not found"},
			{"a bad key", "nobody", []string{"requests", "list"}, "Unauthenticated"},
			{"no key at all", "", []string{"requests", "list"}, "no API key"},
			{"a bad permission", "uma", []string{"requests", "submit", "--type", "GRANT_ACCESS", "--app", s.app["Figma"], "--permission", "owner"}, "owner"},
			{"a bad enum", "uma", []string{"tasks", "list", "--status", "WAITING"}, "--status"},
			{"a bad format", "uma", []string{"tasks", "list", "-o", "xml"}, "-o"},
			{"not allowed", "uma", []string{"audit", "verify"}, "PermissionDenied"},
		} {
			r := s.cliRun(t, c.as, "", c.args...)
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if r.code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "grantflow: ") || !strings.Contains(lines[0], c.want) || r.stdout != "" {
				t.Errorf("%s: exit %d, stderr %q, stdout %q; want exit 1 and one line with %q", c.name, r.code, r.stderr, r.stdout, c.want)
			}
		}
	})
}

// figmaAdmin is a new policy, in the file's format, as an item of policies.
const figmaAdmin = `  - name: Figma admin
    requestType: GRANT_ACCESS
    scope: {app: Figma, permissions: [admin]}
    workflow:
      reviewSteps:
        - {name: Manager approval, assignee: {kind: MANAGER}}
        - name: Security
          assignee: {kind: CUSTOM_ROLE, customRole: security}
      actionStep: {name: Provision, assignee: {kind: APP_OWNER}}
`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// policyByName is the server's policy of that name (nil when there is none), over REST.
func (s *system) policyByName(t *testing.T, name string) map[string]any {
	t.Helper()
	for _, p := range objects(s.must("ada", "GET", "/v1/policies?pageSize=500", nil), "policies") {
		if str(p, "name") == name {
			return p
		}
	}
	return nil
}

// TestPoliciesAsCode: export, diff and apply round trips; a second apply changes nothing; an
// invalid file is refused with its file and line, and nothing of it is applied.
func TestPoliciesAsCode(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *system) {
		exported := s.cli(t, "ada", "policies", "export")
		golden(t, "policies-export.yaml", exported)
		fitsTerminal(t, "policies list", s.cli(t, "ada", "policies", "list"))

		// export | apply, and export | diff, change nothing.
		if r := s.cliRun(t, "ada", exported, "policies", "apply", "-f", "-"); r.code != 0 || !strings.Contains(r.stdout, "No changes") {
			t.Errorf("export | apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if r := s.cliRun(t, "ada", "", "policies", "diff", "-f", writeFile(t, "exported.yaml", exported)); r.code != 0 {
			t.Errorf("diff of the export: exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
		}

		// A file that differs: a new version for one policy, a new policy.
		if !strings.Contains(exported, "minApprovals: 2") {
			t.Fatalf("the demo's Salesforce quorum is not in the export:\n%s", exported)
		}
		changed := writeFile(t, "changed.yaml", strings.Replace(exported, "minApprovals: 2", "minApprovals: 3", 1)+figmaAdmin)
		r := s.cliRun(t, "ada", "", "policies", "diff", "-f", changed)
		if r.code != 2 {
			t.Fatalf("diff of a changed file: exit %d, want 2\n%s%s", r.code, r.stdout, r.stderr)
		}
		golden(t, "policies-diff.txt", r.stdout)
		if s.policyByName(t, "Figma admin") != nil {
			t.Fatal("diff created a policy")
		}
		r = s.cliRun(t, "ada", "", "policies", "apply", "-f", changed)
		if r.code != 0 || !strings.Contains(r.stdout, "Applied: 2 policies changed.") {
			t.Fatalf("apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		sf, fa := s.policyByName(t, "Salesforce access"), s.policyByName(t, "Figma admin")
		if str(sf, "activeVersion") != "2" || str(sf, "latestVersion") != "2" {
			t.Errorf("Salesforce access after apply: %v, want version 2 active", sf)
		}
		if fa == nil || str(fa, "activeVersion") != "1" || str(fa, "level") != "PERMISSION" {
			t.Errorf("Figma admin after apply: %v, want a permission policy with version 1 active", fa)
		}
		v2 := s.must("ada", "GET", "/v1/policies/"+str(sf, "id")+"/versions/2", nil)
		steps := objects(v2["workflow"].(map[string]any), "reviewSteps")
		if len(steps) != 2 || steps[1]["minApprovals"] != float64(3) {
			t.Errorf("Salesforce access version 2: %v, want a quorum of 3", v2)
		}

		// A second apply changes nothing, and says so.
		r = s.cliRun(t, "ada", "", "policies", "apply", "-f", changed)
		if r.code != 0 || !strings.Contains(r.stdout, "No changes: the server matches the file (8 policies).") || strings.Contains(r.stdout, "Applied") {
			t.Errorf("second apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if sf := s.policyByName(t, "Salesforce access"); str(sf, "latestVersion") != "2" {
			t.Errorf("the second apply added a version: %v", sf)
		}
		if r := s.cliRun(t, "ada", "", "policies", "diff", "-f", changed); r.code != 0 {
			t.Errorf("diff after apply: exit %d, want 0\n%s", r.code, r.stdout)
		}
		// The server's export now says what the file says.
		again := s.cli(t, "ada", "policies", "export")
		if r := s.cliRun(t, "ada", again, "policies", "diff", "-f", "-"); r.code != 0 {
			t.Errorf("export | diff after apply: exit %d\n%s", r.code, r.stdout)
		}
		golden(t, "policies-export-applied.yaml", again)

		// An invalid file: every problem named by file, line and field; nothing applied,
		// not even the valid policy beside them.
		bad := writeFile(t, "bad.yaml", `version: 1
policies:
  - name: GitHub write
    requestType: GRANT_ACCESS
    scope: {app: GitHub, permissions: [write]}
    workflow:
      actionStep: {name: Provision, assignee: {kind: APP_OWNER}}
  - name: Figma viewer
    requestType: GRANT_ACCES
    scope:
      app: Figmaa
    workflow:
      reviewSteps:
        - name: Boss
          assignee: {kind: MANAGER}
          approval: QUORUM
        - name: Robot
          assignee:
            kind: AGENT
      actionStep:
        name: Do it
        assignee: {kind: USERS, users: [nobody@demo.grantflow.dev]}
`)
		r = s.cliRun(t, "ada", "", "policies", "apply", "-f", bad)
		wantErrs := []string{
			bad + `:9: policies[1].requestType: unknown value "GRANT_ACCES"`,
			bad + `:11: policies[1].scope.app: no app named "Figmaa"`,
			bad + `:14: policies[1].workflow.reviewSteps[0].minApprovals: QUORUM needs minApprovals of at least 1`,
			bad + `:19: policies[1].workflow.reviewSteps[1].assignee.kind: AGENT (the system agent) may carry out only the action step`,
			bad + `:22: policies[1].workflow.actionStep.assignee.users[0]: no user with email "nobody@demo.grantflow.dev"`,
		}
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if r.code != 1 || len(lines) != len(wantErrs) {
			t.Errorf("apply of an invalid file: exit %d, %d lines, want 1 and %d:\n%s", r.code, len(lines), len(wantErrs), r.stderr)
		}
		for i, want := range wantErrs {
			if i < len(lines) && !strings.HasPrefix(lines[i], "grantflow: "+want) {
				t.Errorf("error %d: %q, want it to start with %q", i, lines[i], want)
			}
		}
		if s.policyByName(t, "GitHub write") != nil {
			t.Error("a file with invalid policies was partly applied")
		}
		for _, c := range []struct{ name, file, want string }{
			{"unknown field", "version: 1\npolicies:\n  - name: a\n    colour: red\n", `:4: unknown field "colour"`},
			{"no version", "policies: []\n", `:1: version: required`},
			{"broken YAML", "version: 1\npolicies:\n  - name: [a\n", `:3: `},
			{"a name twice", "version: 1\npolicies:\n" + figmaAdmin + figmaAdmin, `:12: policies[1].name: "Figma admin" is also the name of policies[0]`},
			{"a scope that changes", strings.Replace(figmaAdmin, "permissions: [admin]", "permissions: [editor]", 1), ``},
		} {
			if c.want == "" { // a policy of the server named with another scope
				c.file, c.want = "version: 1\npolicies:\n"+c.file, `:5: policies[0].scope: differs from the scope of the server's policy "Figma admin"`
			}
			path := writeFile(t, "case.yaml", c.file)
			r := s.cliRun(t, "ada", "", "policies", "diff", "-f", path)
			if r.code != 1 || !strings.HasPrefix(r.stderr, "grantflow: "+path+c.want) {
				t.Errorf("%s: exit %d, stderr %q; want exit 1 and %q", c.name, r.code, r.stderr, path+c.want)
			}
		}

		// Refused by the server (Uma is no admin): the error names the file and policy, and
		// nothing is left behind.
		gh := s.policyByName(t, "GitHub admin")
		ghFile := writeFile(t, "gh.yaml", `version: 1
policies:
  - name: GitHub admin
    requestType: GRANT_ACCESS
    scope: {app: GitHub, permissions: [admin]}
    workflow:
      reviewSteps:
        - {name: Manager approval, assignee: {kind: MANAGER}}
        - name: Security team review
          assignee: {kind: USER_GROUPS, groups: [Security reviewers]}
          approval: ALL
      actionStep: {name: Provision, assignee: {kind: APP_OWNER}}
`)
		r = s.cliRun(t, "uma", "", "policies", "apply", "-f", ghFile)
		if r.code != 1 || !strings.Contains(r.stderr, ghFile+":") || !strings.Contains(r.stderr, `(policy "GitHub admin")`) ||
			!strings.Contains(r.stderr, "PermissionDenied") || !strings.Contains(r.stderr, "nothing was applied") {
			t.Errorf("apply by a user: exit %d\n%s", r.code, r.stderr)
		}
		if after := s.policyByName(t, "GitHub admin"); str(after, "latestVersion") != str(gh, "latestVersion") {
			t.Errorf("a refused apply left a version: %v, before %v", after, gh)
		}
	})
}

// TestLoginStoresAProfile: login checks the key, stores the profile readable by its owner
// only, and the commands use it; GRANTFLOW_API_KEY overrides it.
func TestLoginStoresAProfile(t *testing.T) {
	s := startSystem(t, systemOptions{})
	dir := t.TempDir()
	run := func(stdin string, env map[string]string, args ...string) cliResult {
		var out, errb bytes.Buffer
		code := cli.Main(args, cli.Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
			Getenv: func(k string) string { return env[k] }, ConfigDir: dir, HTTP: s.client}, cli.Server{})
		return cliResult{code, out.String(), errb.String()}
	}
	if r := run("gf_not_a_key\n", nil, "login", "--url", s.base); r.code != 1 || !strings.Contains(r.stderr, "Unauthenticated") {
		t.Errorf("login with a bad key: exit %d, %q", r.code, r.stderr)
	}
	profile := filepath.Join(dir, "grantflow", "profile.json")
	if _, err := os.Stat(profile); !os.IsNotExist(err) {
		t.Errorf("a failed login stored a profile: %v", err)
	}
	r := run(s.key["uma"]+"\n", nil, "login", "--url", s.base)
	if r.code != 0 || !strings.Contains(r.stdout, "as Uma Chen (uma@demo.grantflow.dev, USER)") {
		t.Fatalf("login: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	fi, err := os.Stat(profile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("profile %s: %v, mode %v; want 0600", profile, err, fi.Mode())
	}
	if r := run("", nil, "requests", "list"); r.code != 0 || !strings.HasPrefix(r.stdout, "No requests.") {
		t.Errorf("requests list with the stored profile: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run("", map[string]string{"GRANTFLOW_API_KEY": "gf_wrong"}, "requests", "list"); r.code != 1 || !strings.Contains(r.stderr, "Unauthenticated") {
		t.Errorf("GRANTFLOW_API_KEY does not override the profile: exit %d, %q", r.code, r.stderr)
	}
	if r := run("", map[string]string{"GRANTFLOW_URL": "http://127.0.0.1:1"}, "requests", "list"); r.code != 1 {
		t.Errorf("GRANTFLOW_URL does not override the profile: exit %d", r.code)
	}
	// Completion is cobra's.
	if r := run("", nil, "completion", "bash"); r.code != 0 || !strings.Contains(r.stdout, "bash completion") {
		t.Errorf("completion bash: exit %d, %d bytes", r.code, len(r.stdout))
	}
}

// TestAuditFromTheCommandLine: the server's verification, and the export verified offline by
// the audit service's verifier; a changed export does not verify.
func TestAuditFromTheCommandLine(t *testing.T) {
	s := startSystem(t, systemOptions{})
	if out := s.cli(t, "ada", "audit", "verify"); !strings.Contains(out, "OK                yes") {
		t.Errorf("audit verify:\n%s", out)
	}
	export := s.cli(t, "ada", "audit", "export")
	if n := strings.Count(export, "\n"); n < 10 {
		t.Fatalf("audit export: %d lines", n)
	}
	key := str(s.must("ada", "GET", "/v1/auditEvents:publicKey", nil), "publicKey")
	r := s.cliRun(t, "", export, "audit", "verify", "--file", "-", "--public-key", key, "-o", "json")
	var report map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &report) != nil || report["ok"] != true || !strings.Contains(r.stderr, "no checkpoint given") {
		t.Fatalf("offline verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	tampered := regexp.MustCompile(`"service":\s*"grantflow-identity"`).ReplaceAllString(export, `"service":"grantflow-policy"`)
	if tampered == export {
		t.Fatal("nothing to tamper with in the export")
	}
	r = s.cliRun(t, "", "", "audit", "verify", "--file", writeFile(t, "tampered.jsonl", tampered), "--public-key", key)
	if r.code != 1 || !strings.Contains(r.stdout, "OK                NO") || !strings.Contains(r.stderr, "does not verify") {
		t.Errorf("a tampered export: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestPoliciesPrune: with --prune, apply retires the server's policies that the file does
// not name (never a system default), diff shows it and exits 2, and a second run is a
// no-op; without --prune such policies are left alone.
func TestPoliciesPrune(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *system) {
		exported := s.cli(t, "ada", "policies", "export")
		base := writeFile(t, "base.yaml", exported)
		if r := s.cliRun(t, "ada", "", "policies", "apply", "-f", writeFile(t, "figma.yaml", exported+figmaAdmin)); r.code != 0 {
			t.Fatalf("apply with Figma admin: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if r := s.cliRun(t, "ada", "", "policies", "diff", "-f", base); r.code != 0 {
			t.Errorf("diff without --prune of a file that does not name Figma admin: exit %d, want 0\n%s", r.code, r.stdout)
		}
		r := s.cliRun(t, "ada", "", "policies", "diff", "--prune", "-f", base)
		if r.code != 2 || !strings.Contains(r.stdout, `- "Figma admin" retired`) {
			t.Fatalf("diff --prune: exit %d, want 2 and Figma admin retired\n%s%s", r.code, r.stdout, r.stderr)
		}
		if fa := s.policyByName(t, "Figma admin"); str(fa, "activeVersion") != "1" {
			t.Fatalf("diff --prune changed the server: %v", fa)
		}
		r = s.cliRun(t, "ada", "", "policies", "apply", "--prune", "-f", base)
		if r.code != 0 || !strings.Contains(r.stdout, "Applied: 1 policies changed.") {
			t.Fatalf("apply --prune: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if fa := s.policyByName(t, "Figma admin"); fa == nil || (str(fa, "activeVersion") != "" && str(fa, "activeVersion") != "0") {
			t.Errorf("Figma admin after apply --prune: %v, want no active version", fa)
		}
		for _, name := range []string{"GitHub admin", "Salesforce access"} {
			if p := s.policyByName(t, name); str(p, "activeVersion") == "" {
				t.Errorf("%s after apply --prune: %v, want it still active (the file names it)", name, p)
			}
		}
		if r := s.cliRun(t, "ada", "", "policies", "diff", "--prune", "-f", base); r.code != 0 {
			t.Errorf("diff --prune after apply --prune: exit %d, want 0\n%s", r.code, r.stdout)
		}
		if r := s.cliRun(t, "ada", "", "policies", "apply", "--prune", "-f", base); r.code != 0 || !strings.Contains(r.stdout, "No changes") {
			t.Errorf("second apply --prune: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

// TestReviewsFromTheCommandLine: an Admin's campaign over Figma, reviewed by managers, seen
// and decided from the command line; a stranger to the campaign gets the API's refusal.
func TestReviewsFromTheCommandLine(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *system) {
		created := s.must("ada", "POST", "/v1/accessReviews", map[string]any{
			"name": "Q4 Figma", "scope": map[string]any{"appIds": []string{s.app["Figma"]}}, "reviewer": map[string]any{"kind": "MANAGER"}})
		id := str(created, "id")
		s.must("ada", "POST", "/v1/accessReviews/"+id+":launch", map[string]any{})

		if out := s.cli(t, "ada", "reviews", "list"); !strings.Contains(out, id) || !strings.Contains(out, "ACTIVE") {
			t.Errorf("reviews list as Ada lacks the active campaign %s:\n%s", id, out)
		}
		fitsTerminal(t, "reviews list", s.cli(t, "ada", "reviews", "list"))
		if r := s.cliRun(t, "sara", "", "reviews", "get", id); r.code == 0 || strings.Contains(r.stdout, id) {
			t.Errorf("reviews get as Sara, no reviewer of it: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}

		var items struct {
			Items []struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"items"`
		}
		if err := json.Unmarshal([]byte(s.cli(t, "mona", "reviews", "items", id, "--status", "PENDING", "-o", "json")), &items); err != nil {
			t.Fatal(err)
		}
		if len(items.Items) == 0 {
			t.Fatal("Mona has no pending item in the Figma campaign")
		}
		item := items.Items[0].ID
		if out := s.cli(t, "mona", "reviews", "decide", id, item, "--decision", "KEEP", "--justification", "still designs"); !strings.Contains(out, "DECIDED") || !strings.Contains(out, "KEEP") {
			t.Errorf("reviews decide KEEP:\n%s", out)
		}
		if r := s.cliRun(t, "mona", "", "reviews", "decide", id, item, "--decision", "REMOVE"); r.code == 0 {
			t.Errorf("a second decision on a decided item: exit 0\n%s", r.stdout)
		}
		if r := s.cliRun(t, "mona", "", "reviews", "decide", id, item, "--decision", "MAYBE"); r.code == 0 || !strings.Contains(r.stderr, "decision") {
			t.Errorf("an unknown decision: exit %d\n%s", r.code, r.stderr)
		}
		if out := s.cli(t, "ada", "reviews", "get", id); !strings.Contains(out, "1 kept") {
			t.Errorf("reviews get after the decision:\n%s", out)
		}
		export := s.cli(t, "ada", "reviews", "export", id)
		if first, _, _ := strings.Cut(export, "\n"); !strings.HasPrefix(first, "item_id,") || !strings.Contains(export, item) {
			t.Errorf("reviews export: want the CSV header and the decided item:\n%s", export)
		}
	})
}
