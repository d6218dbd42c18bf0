package browsertest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// refreshUntil clicks the page's Refresh button until target shows: the flow advances
// through the services' outboxes a moment after each decision.
func (tb *tab) refreshUntil(what, target string) {
	tb.b.t.Helper()
	deadline := time.Now().Add(step)
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, 3*time.Second)
		err := chromedp.Do(ctx,
			chromedp.Click(chromedp.Search(xButton("Refresh"))),
			chromedp.WaitVisible(chromedp.Search(target)))
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.run(what, chromedp.WaitVisible(chromedp.Search(target))) // fails with a screenshot
			return
		}
	}
}

// askGoverns asks the policies page which policy governs a grant of Figma editor, and
// answers the answer's text once it shows.
func (tb *tab) askGoverns(what string) string {
	tb.b.t.Helper()
	tb.visit("/console/policies", "#rv-type")
	tb.run(what,
		pick("#rv-type", "grant access"),
		pick("#rv-app", "Figma"),
		pick("#rv-perm", "editor"),
		chromedp.Click(chromedp.Search(xButton("Ask"))),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="resolve-answer"] .reason`)),
	)
	return value(tb, what+": the answer", chromedp.Text(chromedp.CSS(`[data-testid="resolve-answer"]`)))
}

// taskCard is the XPath of the inbox card of a task about who and app.
func taskCard(why, app string) string {
	return fmt.Sprintf(`//li[contains(@class,"task")][contains(., %q)][contains(., %q)]`, why, app)
}

// TestConsole walks the console as the demo's people would, in one browser.
func TestConsole(t *testing.T) {
	exe := chromium(t)
	// OIDC sign-in is configured, with an issuer the test runs, which signs Uma in.
	issuer := newFakeIssuer(t, "grantflow-console", "uma@demo.grantflow.dev")
	srv := startAllInOne(t, "GRANTFLOW_OIDC_ISSUER="+issuer.srv.URL, "GRANTFLOW_OIDC_AUDIENCE=grantflow-console")
	b := newBrowser(t, exe, srv.base)
	b.allowed = append(b.allowed, strings.TrimPrefix(issuer.srv.URL, "http://"))
	defer b.checkProblems()
	defer b.logLoads()

	// Sign-in: the demo's people one click away.
	uma := b.open("Uma Chen")
	uma.visit("/console/", "#apikey")
	uma.run("the demo shortcut", chromedp.WaitVisible(chromedp.Search(xButton("Sign in as Mona Ramirez"))))
	uma.shot("signin")
	uma.signIn()

	// A user sees no admin page in the navigation.
	navText := value(uma, "read the navigation", chromedp.Text(chromedp.CSS(`nav[aria-label="Pages"]`)))
	for _, admin := range []string{"People", "Apps", "Audit"} {
		if strings.Contains(navText, admin) {
			t.Errorf("Uma (a user) sees the admin page %q in the navigation: %q", admin, navText)
		}
	}
	if !strings.Contains(navText, "Request access") {
		t.Errorf("navigation %q lacks Request access", navText)
	}

	// Uma asks for Figma editor.
	uma.visit("/console/request", "#ra-app")
	uma.run("ask for Figma editor",
		pick("#ra-app", "Figma"),
		pick("#ra-perm", "editor"),
		chromedp.SendKeys(chromedp.CSS("#ra-reason"), "design reviews"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="governs"]`)),
	)
	uma.shot("request-access")
	uma.run("submit",
		chromedp.Click(chromedp.Search(xButton("Submit request"))),
		chromedp.WaitVisible(chromedp.Search(`//*[@data-testid="request-status"][contains(., "IN_PROGRESS")]`)),
	)
	reqURL := value(uma, "the request's address", chromedp.Location())
	requestPath := reqURL[strings.Index(reqURL, "/console/"):]

	// Mona, her manager, approves from her inbox.
	mona := b.open("Mona Ramirez")
	mona.signIn()
	mona.visit("/console/inbox", "#inbox-status")
	// Otto may not see Uma in the directory (identity shows a user their manager and reports
	// only), so the card is found by what she asked and why.
	card := taskCard("design reviews", "Figma")
	mona.refreshUntil("Uma's task in Mona's inbox", card+`//button[normalize-space()="Approve"]`)
	mona.run("write a justification", chromedp.SendKeys(chromedp.Search(card+`//textarea`), "needed for the redesign"))
	mona.shot("inbox")
	mona.run("approve",
		chromedp.Click(chromedp.Search(card+`//button[normalize-space()="Approve"]`)),
		chromedp.WaitVisible(chromedp.Search(text("p", "Task approved"))),
	)

	// Otto, Figma's owner, approves, then completes the action step.
	otto := b.open("Otto Berg")
	otto.signIn()
	otto.visit("/console/inbox", "#inbox-status")
	otto.refreshUntil("Uma's review task in Otto's inbox", card+`//button[normalize-space()="Approve"]`)
	otto.run("approve",
		chromedp.Click(chromedp.Search(card+`//button[normalize-space()="Approve"]`)),
		chromedp.WaitVisible(chromedp.Search(text("p", "Task approved"))),
	)
	otto.refreshUntil("Uma's action task in Otto's inbox", card+`//button[normalize-space()="Complete"]`)
	otto.run("complete",
		chromedp.SendKeys(chromedp.Search(card+`//textarea`), "invited in Figma"),
		chromedp.Click(chromedp.Search(card+`//button[normalize-space()="Complete"]`)),
		chromedp.WaitVisible(chromedp.Search(text("p", "Task completed"))),
	)

	// Uma sees DONE, the timeline with both decisions and the audit lineage, and her access.
	uma.visit(requestPath, `[data-testid="request-status"]`)
	uma.refreshUntil("Uma's request DONE", `//*[@data-testid="request-status"][contains(., "DONE")]`)
	uma.run("the timeline",
		chromedp.WaitVisible(chromedp.Search(text("li", "needed for the redesign"))),
		chromedp.WaitVisible(chromedp.Search(`//*[@data-testid="lineage"]/li[contains(., "request.created")]`)),
	)
	uma.shot("request-timeline")
	uma.visit("/console/request", `[data-testid="my-access"]`)
	uma.run("her access", chromedp.WaitVisible(chromedp.Search(`//*[@data-testid="my-access"]//tr[contains(., "Figma")][contains(., "editor")]`)))
	uma.visit("/console/requests?view=mine&status=DONE", `[data-testid="requests"]`)
	uma.run("her request in the log", chromedp.WaitVisible(chromedp.Search(`//*[@data-testid="requests"]//tr[contains(., "Figma")][contains(., "DONE")]`)))
	uma.shot("requests")

	// A user who goes to an admin page by URL gets the API's refusal, in words.
	uma.visit("/console/audit", "h1")
	uma.run("refused", chromedp.WaitVisible(chromedp.Search(`//p[@role="alert"][starts-with(normalize-space(.), "Not allowed:")]`)))
	uma.shot("audit-refused")

	// Ada signs in with the keyboard alone, pasting her API key; a wrong key is refused in words.
	ada := b.open("Ada Lovelace")
	ada.visit("/console/", "#apikey")
	ada.run("a wrong key",
		chromedp.SendKeys(chromedp.CSS("#apikey"), "gf_not_a_key"+kb.Enter),
		chromedp.WaitVisible(chromedp.Search(`//p[@role="alert"][starts-with(normalize-space(.), "Not signed in:")]`)),
	)
	ada.visit("/console/", "#apikey")
	ada.run("her key",
		chromedp.SendKeys(chromedp.CSS("#apikey"), srv.demoKey(t, "ada")+kb.Enter),
		chromedp.WaitVisible(chromedp.Search(`//*[@data-testid="whoami"][contains(., "Ada Lovelace")]`)),
	)

	// Ada drafts a policy, edits the draft, activates it, and asks which policy governs.
	ada.visit("/console/policies/new", "#np-name")
	ada.run("draft a policy",
		chromedp.SendKeys(chromedp.CSS("#np-name"), "Figma editors"),
		pick("#np-type", "grant access"),
		pick("#np-app", "Figma"),
		chromedp.Click(chromedp.Search(`//label[contains(., "editor")]/input`)),
		chromedp.Click(chromedp.Search(xButton("Create draft"))),
		chromedp.WaitVisible(chromedp.Search(`//h2[contains(., "Version 1")][contains(., "DRAFT")]`)),
	)
	ada.run("edit the draft",
		chromedp.Click(chromedp.Search(xButton("Edit draft"))),
		chromedp.Click(chromedp.Search(xButton("Add a review step"))),
		pick("#rs1-kind", "app owner"),
		chromedp.Click(chromedp.Search(xButton("Save draft"))),
		chromedp.WaitVisible(chromedp.Search(text("p", "The draft was saved."))),
		chromedp.WaitVisible(chromedp.Search(`//*[@data-testid="workflow"]/li[2][contains(., "app owner")]`)),
	)
	ada.run("activate",
		chromedp.Click(chromedp.Search(xButton("Activate version 1"))),
		chromedp.WaitVisible(chromedp.Search(text("p", "Version 1 is active."))),
		chromedp.WaitVisible(chromedp.Search(`//h2[contains(., "Version 1")][contains(., "ACTIVE")]`)),
	)
	ada.shot("policy")
	policyURL := value(ada, "the policy's address", chromedp.Location())
	policyPath := policyURL[strings.Index(policyURL, "/console/"):]
	if answer := ada.askGoverns("which policy governs"); !strings.Contains(answer, "Figma editors") || !strings.Contains(answer, "version 1") {
		t.Errorf("the policy Ada activated does not govern Figma editor: %q", answer)
	}
	reason := value(ada, "the reason", chromedp.Text(chromedp.CSS(`[data-testid="resolve-answer"] .reason`)))
	if strings.TrimSpace(reason) == "" {
		t.Error("the answer to which policy governs gives no reason")
	}
	ada.shot("policies")

	// Ada retires the policy: the next broader one governs again.
	ada.visit(policyPath, `h1`)
	ada.run("retire",
		chromedp.Click(chromedp.Search(xButton("Retire policy"))),
		chromedp.WaitVisible(chromedp.Search(text("p", "The policy is retired"))),
		chromedp.WaitVisible(chromedp.Search(`//nav[@aria-label="Versions"]//li[contains(., "Version 1")][contains(., "RETIRED")]`)),
	)
	if answer := ada.askGoverns("which policy governs after the retirement"); strings.Contains(answer, "Figma editors") {
		t.Errorf("a retired policy still governs: %q", answer)
	}

	// An Admin verifies the audit log; people and apps.
	ada.visit("/console/audit", xButtonCSS)
	ada.run("verify",
		chromedp.Click(chromedp.Search(xButton("Verify the chain"))),
		chromedp.WaitVisible(chromedp.Search(`//*[@data-testid="verify"][contains(., "The chain is intact")]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="audit"]`)),
	)
	ada.shot("audit")
	ada.visit("/console/people", `[data-testid="people"]`)
	ada.run("people", chromedp.WaitVisible(chromedp.Search(`//*[@data-testid="people"]//tr[contains(., "Uma Chen")]`)))
	ada.shot("people")
	ada.visit("/console/apps", `[data-testid="apps"]`)
	ada.shot("apps")

	// Access reviews: Ada opens a campaign over Figma through the REST API, reviewed by each
	// person's manager; Mona keeps Ulf's access and changes Uma's, in the browser; Ada sees
	// the progress and closes the campaign.
	adaKey := srv.demoKey(t, "ada")
	var apps struct{ Apps []struct{ ID, Name string } }
	srv.call(t, adaKey, "GET", "/v1/apps?pageSize=100", nil, &apps)
	figma := ""
	for _, a := range apps.Apps {
		if a.Name == "Figma" {
			figma = a.ID
		}
	}
	var campaign struct{ ID string }
	srv.call(t, adaKey, "POST", "/v1/accessReviews", map[string]any{
		"name": "Figma, this quarter", "scope": map[string]any{"appIds": []string{figma}}, "reviewer": map[string]any{"kind": "MANAGER"},
	}, &campaign)
	srv.call(t, adaKey, "POST", "/v1/accessReviews/"+campaign.ID+":launch", map[string]any{}, nil)

	mona.visit("/console/reviews", `[data-testid="campaigns"]`)
	mona.run("open the campaign",
		chromedp.Click(chromedp.Search(`//*[@data-testid="campaigns"]//a[normalize-space()="Figma, this quarter"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="review-items"]`)),
	)
	if strings.Contains(value(mona, "the campaigns", chromedp.Text(chromedp.CSS(`[data-testid="campaigns"]`))), "Launch") {
		t.Error("Mona (a reviewer) is offered an admin's actions on the campaign")
	}
	ulfItem := `//li[contains(@class,"item")][contains(., "Ulf Larsen")][contains(., "viewer")]`
	umaItem := `//li[contains(@class,"item")][contains(., "Uma Chen")][contains(., "editor")]`
	mona.run("keep Ulf's access",
		chromedp.SendKeys(chromedp.Search(ulfItem+`//textarea`), "still on the design team"),
		chromedp.Click(chromedp.Search(ulfItem+`//button[normalize-space()="Keep"]`)),
		chromedp.WaitVisible(chromedp.Search(text("p", "Kept: Ulf Larsen"))),
		chromedp.WaitVisible(chromedp.Search(ulfItem+`//p[contains(., "Kept by Mona Ramirez")][contains(., "still on the design team")]`)),
	)
	mona.shot("reviews")
	mona.run("change Uma's access",
		pick(umaItem+`//select`, "viewer"),
		chromedp.SendKeys(chromedp.Search(umaItem+`//textarea`), "reviews only"),
		chromedp.Click(chromedp.Search(umaItem+`//button[normalize-space()="Change"]`)),
		chromedp.WaitVisible(chromedp.Search(umaItem+`//p[contains(., "Changed to viewer by Mona Ramirez")]//a[normalize-space()="its request"]`)),
	)

	ada.visit("/console/reviews?campaign="+campaign.ID, `[data-testid="review-items"]`)
	ada.run("the progress and close",
		chromedp.WaitVisible(chromedp.Search(`//*[@data-testid="campaigns"]//tr[contains(., "Figma, this quarter")][contains(., "1 kept, 1 changed")]`)),
		chromedp.Click(chromedp.Search(`//*[@data-testid="campaigns"]//tr[contains(., "Figma, this quarter")]//button[normalize-space()="Close"]`)),
		chromedp.WaitVisible(chromedp.Search(`//*[@data-testid="campaigns"]//tr[contains(., "Figma, this quarter")][contains(., "CLOSED")]`)),
		// The export is fetched with the session's credential and saved from the answer.
		chromedp.Click(chromedp.Search(`//*[@data-testid="campaigns"]//tr[contains(., "Figma, this quarter")]//button[normalize-space()="Export CSV"]`)),
		chromedp.WaitVisible(chromedp.Search(text("p", "Figma, this quarter was exported."))),
	)
	ada.shot("reviews-admin")

	// Ada creates and launches a campaign on the page: Figma's owner reviews; Uma's access
	// is blocked while the request Mona's decision opened is in progress.
	ada.run("create a campaign",
		chromedp.SendKeys(chromedp.CSS("#nc-name"), "Figma owner check"),
		chromedp.Click(chromedp.Search(`//fieldset[contains(legend, "Apps")]//label[normalize-space()="Figma"]/input`)),
		pick("#nc-kind", "each app's owners"),
		chromedp.Click(chromedp.Search(xButton("Create campaign"))),
		chromedp.WaitVisible(chromedp.Search(`//*[@data-testid="campaigns"]//tr[contains(., "Figma owner check")][contains(., "DRAFT")]`)),
		chromedp.Click(chromedp.Search(`//*[@data-testid="campaigns"]//tr[contains(., "Figma owner check")]//button[normalize-space()="Launch"]`)),
		chromedp.WaitVisible(chromedp.Search(`//*[@data-testid="campaigns"]//tr[contains(., "Figma owner check")][contains(., "ACTIVE")]`)),
		chromedp.WaitVisible(chromedp.Search(`//h2[normalize-space()="Items of Figma owner check"]`)),
		chromedp.WaitVisible(chromedp.Search(`//li[contains(@class,"item")][contains(., "Ulf Larsen")][contains(., "PENDING")]`)),
	)
	ada.run("a blocked item with its reason", chromedp.WaitVisible(chromedp.Search(`//li[contains(@class,"item")][contains(., "Uma Chen")][contains(., "BLOCKED")]//dd[contains(., "open request")]`)))
	ada.shot("reviews-blocked")
	ada.run("reviews at phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	if value(ada, "no horizontal scroll", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`)) {
		t.Error("the access reviews page scrolls sideways at phone width")
	}
	ada.shot("reviews-phone")

	// Uma signs in with single sign-on from a shared address, and lands there.
	sso := b.open("Uma Chen")
	sso.visit("/console/oidc/callback?code=stolen&state=forged-state-value", "#apikey")
	sso.run("a callback this tab did not start",
		chromedp.WaitVisible(chromedp.Search(`//p[@role="alert"][contains(., "it was not started in this tab")]`)))
	sso.visit("/console/requests?view=mine&status=DONE", "#apikey")
	sso.run("single sign-on",
		chromedp.Click(chromedp.Search(xButton("Sign in with single sign-on"))),
		chromedp.WaitVisible(chromedp.Search(`//*[@data-testid="whoami"][contains(., "Uma Chen")]`)),
		chromedp.WaitVisible(chromedp.Search(`//*[@data-testid="requests"]//tr[contains(., "Figma")][contains(., "DONE")]`)),
	)
	if loc := value(sso, "where she landed", chromedp.Location()); !strings.HasSuffix(loc, "/console/requests?view=mine&status=DONE") {
		t.Errorf("after single sign-on Uma is at %s, not where she was going", loc)
	}
	if parts := strings.Split(value(sso, "the session's credential", chromedp.Evaluate[string](`sessionStorage.getItem("grantflow.apiKey") ?? ""`)), "."); len(parts) != 3 {
		t.Errorf("the session's credential after single sign-on is not an ID token (a JWT): %d parts", len(parts))
	}
	sso.shot("sso-landing")

	// At phone width.
	mona.run("phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	mona.visit("/console/inbox?status=DONE", `li.task`)
	overflow := value(mona, "no horizontal scroll", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if overflow {
		t.Error("the inbox scrolls sideways at phone width")
	}
	mona.shot("inbox-phone")

	// Sign-out forgets the key.
	uma.visit("/console/inbox", "#inbox-status")
	uma.run("sign out",
		chromedp.Click(chromedp.Search(xButton("Sign out"))),
		chromedp.WaitVisible(chromedp.CSS("#apikey")),
	)
	left := value(uma, "session storage", chromedp.Evaluate[int](`sessionStorage.length`))
	if left != 0 {
		t.Errorf("%d items left in session storage after sign-out", left)
	}
}

// xButtonCSS waits for the audit page's first button.
const xButtonCSS = `section .card button`
