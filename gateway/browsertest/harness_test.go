package browsertest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// step bounds one step in the browser; it only bounds a hang (the machine may be busy).
const step = 60 * time.Second

// chromium finds the browser: skipped loudly without it, failed under CI=true.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("GRANTFLOW_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Chromium is not installed (apt-get install -y chromium): the browser tests cannot run")
	}
	t.Skip("SKIPPED: Chromium is not installed (apt-get install -y chromium); the console's browser tests did not run")
	return ""
}

// server is the all-in-one process (the same binary as make run) with its demo organization.
type server struct {
	base string
}

var upLine = regexp.MustCompile(`Grantflow is up: REST (http://\S+)`)

// startAllInOne builds cmd/grantflow and runs it on free loopback ports, on the memory
// engine, with the demo; it is stopped when the test ends.
func startAllInOne(t *testing.T, extraEnv ...string) *server {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "grantflow")
	began := time.Now()
	build := exec.Command("go", "build", "-o", bin, "github.com/grantflow/grantflow/cmd/grantflow")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/grantflow: %v\n%s", err, out)
	}
	t.Logf("built cmd/grantflow in %s", time.Since(began).Round(time.Millisecond))
	cmd := exec.Command(bin, "serve")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GRANTFLOW_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "GRANTFLOW_HTTP_ADDR=127.0.0.1:0", "GRANTFLOW_GRPC_ADDR=127.0.0.1:0", "GRANTFLOW_LOG_LEVEL=error", "GRANTFLOW_DEMO=1")
	cmd.Env = append(cmd.Env, extraEnv...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &syncWriter{w: &stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	base := make(chan string, 1)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := upLine.FindStringSubmatch(sc.Text()); m != nil {
				base <- m[1]
			}
		}
		_ = cmd.Wait()
	}()
	select {
	case b := <-base:
		s := &server{base: b}
		s.waitReady(t)
		return s
	case <-done:
		t.Fatalf("grantflow exited before serving:\n%s", stderr.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("grantflow did not print its address within 2 minutes:\n%s", stderr.String())
	}
	return nil
}

// demoKey is a demo person's API key, as the console's sign-in page lists it.
func (s *server) demoKey(t *testing.T, handle string) string {
	t.Helper()
	res, err := http.Get(s.base + "/console/demo-people.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		People []struct{ Handle, Key string }
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	for _, p := range body.People {
		if p.Handle == handle {
			return p.Key
		}
	}
	t.Fatalf("no demo person %q", handle)
	return ""
}

// call makes one REST call as the holder of key and decodes the answer into out (if not nil).
func (s *server) call(t *testing.T, key, method, path string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), step)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s: %s", method, path, res.Status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
}

func (s *server) waitReady(t *testing.T) {
	deadline := time.Now().Add(step)
	for {
		res, err := http.Get(s.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz not ready within %s: %v", step, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// browser is one headless Chromium with a fresh profile; each person signs in in a tab of
// their own (session storage is per tab).
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	shot string // where screenshots go

	axe     string   // axe-core's source, injected into each page the test checks; empty: no check
	allowed []string // other hosts a tab may reach (the OIDC issuer, by navigation)

	mu       sync.Mutex
	problems []string // third-party requests, CSP violations, uncaught exceptions
	loads    []string // each page's first load, as the browser measured it
}

func newBrowser(t *testing.T, exe, base string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	// The first call starts the browser, which lives as long as this call's context: no
	// deadline here (a hang is bounded by the test's own timeout).
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	shot := os.Getenv("GRANTFLOW_SCREENSHOTS")
	if shot == "" {
		shot = t.TempDir()
	}
	if err := os.MkdirAll(shot, 0o755); err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, ctx: bctx, base: base, shot: shot, axe: axeSource(t)}
}

// axeSource reads axe-core from web/node_modules (make web and CI's web check install it).
// Without it the accessibility check is skipped loudly; under CI=true the test fails.
func axeSource(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "web", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core is not installed (cd web && npm ci): the accessibility check cannot run: %v", err)
		}
		t.Logf("SKIPPED: the accessibility check (axe-core is not installed: cd web && npm ci): %v", err)
		return ""
	}
	return string(src)
}

// tab is one person's tab.
type tab struct {
	b    *browser
	name string
	ctx  context.Context
}

// open opens a new tab that watches every request it makes and every error it reports.
func (b *browser) open(name string) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	origin, _ := url.Parse(b.base)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("open a tab: %v", err)
	}
	err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			u, err := url.Parse(e.Request.URL)
			if err == nil && u.Scheme != "data" && u.Scheme != "blob" && u.Host != origin.Host && !slices.Contains(b.allowed, u.Host) {
				b.problem("%s: a request to another origin: %s", name, e.Request.URL)
			}
		case *runtime.EventExceptionThrown:
			desc := e.ExceptionDetails.Text
			if ex := e.ExceptionDetails.Exception; ex != nil {
				desc += " " + ex.Description
			}
			b.problem("%s: uncaught exception: %s", name, desc)
		case *log.EventEntryAdded:
			if e.Entry != nil && strings.Contains(e.Entry.Text, "Content Security Policy") {
				b.problem("%s: CSP violation: %s", name, e.Entry.Text)
			}
		}
	})
	if err != nil {
		b.t.Fatalf("listen: %v", err)
	}
	return &tab{b: b, name: name, ctx: ctx}
}

func (b *browser) problem(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, fmt.Sprintf(format, args...))
}

func (b *browser) checkProblems() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Error(p)
	}
}

// run runs actions in the tab under one step's deadline; a failure names the person and
// the step, with a screenshot of where the tab was.
func (tb *tab) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.b.t.Helper()
	value(tb, what, chromedp.Steps(actions...))
}

// value runs one action that answers a value, as run does.
func value[T any](tb *tab, what string, a chromedp.Action[T]) T {
	tb.b.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, step)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		sctx, scancel := context.WithTimeout(tb.ctx, 10*time.Second)
		defer scancel()
		name := "failure-" + strings.ReplaceAll(tb.name+"-"+what, " ", "-") + ".png"
		if png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100)); err == nil {
			_ = os.WriteFile(filepath.Join(tb.b.shot, name), png, 0o644)
		}
		tb.b.t.Fatalf("%s: %s: %v (screenshot %s in %s)", tb.name, what, err, name, tb.b.shot)
	}
	return v
}

// void drops an action's value.
func void[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}

// visit opens a console page and waits until sel shows; it logs the page's load time as
// the browser measured it (navigation start to load event) and until sel was visible.
func (tb *tab) visit(path, sel string) {
	tb.b.t.Helper()
	start := time.Now()
	tb.run("visit "+path, chromedp.Navigate(tb.b.base+path), chromedp.WaitVisible(chromedp.CSS(sel)))
	shown := time.Since(start)
	loadMs := value(tb, "read the navigation timing", chromedp.Evaluate[float64](`(() => { const n = performance.getEntriesByType("navigation")[0]; return n ? n.loadEventEnd - n.startTime : -1 })()`))
	line := fmt.Sprintf("%-44s load event %4.0f ms, content shown after %4d ms", path, loadMs, shown.Milliseconds())
	tb.b.t.Logf("first load of %s", line)
	tb.b.mu.Lock()
	tb.b.loads = append(tb.b.loads, line)
	tb.b.mu.Unlock()
}

// logLoads logs every page's first load once more, together, for the note.
func (b *browser) logLoads() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.t.Logf("first loads (navigation start to load event, and to the page's content shown):\n%s", strings.Join(b.loads, "\n"))
}

// axeCheck runs axe-core on the page as it is and fails the test on every serious or
// critical violation (WCAG 2.1 A and AA rules and axe's best practices).
func (tb *tab) axeCheck(page string) {
	tb.b.t.Helper()
	if tb.b.axe == "" {
		return
	}
	loaded := value(tb, "is axe loaded", chromedp.Evaluate[bool](`typeof window.axe === "object"`))
	if !loaded {
		// Evaluated by the DevTools protocol, not by the page: the page's CSP still forbids
		// any script but its own.
		tb.run("load axe-core", chromedp.Evaluate[chromedp.Void](tb.b.axe))
	}
	type violation struct{ ID, Impact, Help, Nodes string }
	res := value(tb, "axe "+page, chromedp.Evaluate[struct {
		Passes     int
		Violations []violation
	}](`axe.run(document, { resultTypes: ["violations"] }).then((r) => ({
		passes: r.passes.length,
		violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ") })),
	}))`, chromedp.EvalAwaitPromise))
	tb.b.t.Logf("axe on %s: %d rules pass, %d violated", page, res.Passes, len(res.Violations))
	for _, v := range res.Violations {
		if v.Impact == "serious" || v.Impact == "critical" {
			tb.b.t.Errorf("%s: accessibility of %s: %s (%s): %s: %s", tb.name, page, v.ID, v.Impact, v.Help, v.Nodes)
		} else {
			tb.b.t.Logf("%s: accessibility of %s, %s: %s (%s): %s", tb.name, page, v.Impact, v.ID, v.Help, v.Nodes)
		}
	}
}

// shot checks the page's accessibility and saves a full-page screenshot as name.png.
func (tb *tab) shot(name string) {
	tb.b.t.Helper()
	tb.axeCheck(name)
	png := value(tb, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(tb.b.shot, name+".png"), png, 0o644); err != nil {
		tb.b.t.Fatal(err)
	}
}

// signIn signs in with the demo shortcut, by clicking the person's button.
func (tb *tab) signIn() {
	tb.b.t.Helper()
	tb.visit("/console/", "#apikey")
	tb.run("sign in",
		chromedp.Click(chromedp.Search(xButton("Sign in as "+tb.name))),
		chromedp.WaitVisible(chromedp.Search(`//*[@data-testid="whoami"][contains(., "`+tb.name+`")]`)),
	)
}

// pick chooses the option of a select whose text starts with text, once it is there, as a
// person choosing it does (the change event). sel is a CSS selector, or an XPath when it
// starts with "/".
func pick(sel, text string) chromedp.Action[chromedp.Void] {
	find := fmt.Sprintf(`document.querySelector(%q)`, sel)
	if strings.HasPrefix(sel, "/") {
		find = fmt.Sprintf(`document.evaluate(%q, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue`, sel)
	}
	js := fmt.Sprintf(`(() => {
		const s = %s;
		if (!s || s.disabled) return false;
		const o = [...s.options].find((o) => o.textContent.trim().startsWith(%q));
		if (!o) return false;
		if (s.value !== o.value) { s.value = o.value; s.dispatchEvent(new Event("change", { bubbles: true })); }
		return true;
	})()`, find, text)
	return void(chromedp.Poll[bool](js, chromedp.WithPollingInterval(50*time.Millisecond)))
}

// xButton is the XPath of a button (or a link styled as one) with that text.
func xButton(text string) string {
	return fmt.Sprintf(`//*[self::button or self::a][normalize-space()=%q]`, text)
}

// text is the XPath of an element of kind tag containing s.
func text(tag, s string) string {
	return fmt.Sprintf(`//%s[contains(normalize-space(.), %q)]`, tag, s)
}
