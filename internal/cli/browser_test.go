package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"openboards/internal/openboards"
)

// The browser test drives the inbox in headless Chromium against a real
// server process, as a teammate would: it signs in, finds a ticket through
// the list's status tabs, its search box and category filter, replies, adds a note, changes
// the status, watches a ticket created through the API appear without a
// reload, and adds a webhook whose delivery then shows in its log. On the
// way it takes the screenshots in docs/screenshots/.
//
// It needs Chromium (or Chrome): the first of chromium, chromium-browser,
// google-chrome, google-chrome-stable and headless_shell on the PATH, or the
// program OPENBOARDS_TEST_CHROMIUM names. Without one it skips, unless
// OPENBOARDS_TEST_REQUIRE_BROWSER=1 (as in CI) makes that a failure.
//
// OPENBOARDS_UPDATE_SCREENSHOTS=1 writes the screenshots to
// docs/screenshots/ (and requires the browser); otherwise they go to a
// temporary directory and are only checked.
//
// The test does not call t.Parallel: it runs while the package's heavy
// parallel tests are not, so that its timings (the live update, the
// webhook delivery) are not stretched by them.

const (
	// browserTestTimeout bounds the whole browser session.
	browserTestTimeout = 80 * time.Second
	// browserStepTimeout bounds one step (a navigation, a form, a wait).
	browserStepTimeout = 15 * time.Second
	// liveUpdateWithin is how soon a ticket created elsewhere must show
	// in an open list.
	liveUpdateWithin = 5 * time.Second
	// maxScreenshotBytes keeps the committed screenshots small.
	maxScreenshotBytes = 300 << 10
)

// streamsScript runs in every page before its own scripts and keeps the
// EventSource objects the page opens, so that the test can wait until the
// live stream is connected before it changes anything.
const streamsScript = `(function () {
  var ES = window.EventSource;
  if (!ES) return;
  window.__openboardsStreams = [];
  function Wrapped(url, init) {
    var s = new ES(url, init);
    window.__openboardsStreams.push(s);
    return s;
  }
  Wrapped.prototype = ES.prototype;
  Wrapped.CONNECTING = ES.CONNECTING; Wrapped.OPEN = ES.OPEN; Wrapped.CLOSED = ES.CLOSED;
  window.EventSource = Wrapped;
})();`

// chromiumPath finds the browser, or skips the test.
func chromiumPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("OPENBOARDS_TEST_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless_shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "browser test skipped: no Chromium found on the PATH (install it, e.g. apt-get install chromium, or set OPENBOARDS_TEST_CHROMIUM to the browser's path)"
	if os.Getenv("OPENBOARDS_TEST_REQUIRE_BROWSER") == "1" || os.Getenv("OPENBOARDS_UPDATE_SCREENSHOTS") == "1" {
		t.Fatal(strings.Replace(msg, "skipped", "cannot run", 1))
	}
	t.Skip(msg)
	return ""
}

// browserPage is one browser tab and what the test knows about it.
type browserPage struct {
	t      *testing.T
	ctx    context.Context // the tab's context
	base   string          // the server's URL
	shots  string          // where screenshots go
	output *syncBuffer     // the browser's own output, for failures

	mu         sync.Mutex
	exceptions []string // uncaught exceptions of the pages
}

// fail ends the test with what the page shows.
func (p *browserPage) fail(format string, args ...any) {
	p.t.Helper()
	msg := fmt.Sprintf(format, args...)
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		msg += "\npage: " + loc
	}
	if text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`)); err == nil {
		if len(text) > 2000 {
			text = text[:2000] + "…"
		}
		msg += "\npage text:\n" + text
	}
	logTail(p.t, "browser output", browserOutput(p.output))
	p.t.Fatal(msg)
}

// do runs steps in the tab, failing the test if they fail or take too long.
func (p *browserPage) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserStepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.fail("%s: %v", what, err)
	}
}

// follow runs a step that loads a page (a click on a link or a submit
// button) and waits for the page, which must be answered 200.
func (p *browserPage) follow(what string, step chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserStepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, step)
	if err != nil {
		p.fail("%s: %v", what, err)
	}
	if resp == nil || resp.Status != 200 {
		status := int64(0)
		if resp != nil {
			status = resp.Status
		}
		p.fail("%s: the page was answered %d", what, status)
	}
}

// browserRun runs one step that returns a value.
func browserRun[T any](p *browserPage, what string, step chromedp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserStepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, step)
	if err != nil {
		p.fail("%s: %v", what, err)
	}
	return v
}

// text returns the visible text of the first element sel matches.
func (p *browserPage) text(sel string) string {
	p.t.Helper()
	return browserRun(p, "read "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// expectText fails unless the element sel matches contains want.
func (p *browserPage) expectText(sel, want string) {
	p.t.Helper()
	if got := p.text(sel); !strings.Contains(got, want) {
		p.fail("%s shows %q, want it to contain %q", sel, got, want)
	}
}

// listTitles returns the titles in the ticket list, top to bottom.
func (p *browserPage) listTitles() []string {
	p.t.Helper()
	return browserRun(p, "read the ticket list", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('section.list ol.tickets .title'), e => e.textContent.trim())`))
}

// ticketLink selects the link of the ticket titled title in the list, the
// way a teammate finds it: by reading the titles.
func ticketLink(title string) chromedp.JSPath {
	q, _ := json.Marshal(title)
	return chromedp.JSPath(fmt.Sprintf(
		`Array.from(document.querySelectorAll('section.list ol.tickets a')).find(a => a.querySelector('.title').textContent.trim() === %s)`, q))
}

// linkText selects the first link in scope whose text starts with text.
func linkText(scope, text string) chromedp.JSPath {
	q, _ := json.Marshal(text)
	s, _ := json.Marshal(scope + " a")
	return chromedp.JSPath(fmt.Sprintf(
		`Array.from(document.querySelectorAll(%s)).find(a => a.textContent.trim().startsWith(%s))`, s, q))
}

// screenshot captures the viewport as name (a PNG) in the screenshot
// directory and checks its size.
func (p *browserPage) screenshot(name string, width, height int) {
	p.t.Helper()
	// Let the layout settle (fonts, a live refresh) before the capture.
	p.do("settle before "+name, chromedp.Poll[chromedp.Void](
		`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(document.fonts.status === 'loaded'))))`,
		chromedp.WithPollingInterval(50*time.Millisecond)))
	buf := browserRun(p, "screenshot "+name, chromedp.CaptureScreenshot())
	cfg, err := png.DecodeConfig(bytes.NewReader(buf))
	if err != nil {
		p.t.Fatalf("screenshot %s: not a PNG: %v", name, err)
	}
	if cfg.Width != width || cfg.Height != height {
		p.t.Errorf("screenshot %s is %d×%d, want %d×%d", name, cfg.Width, cfg.Height, width, height)
	}
	if len(buf) > maxScreenshotBytes {
		p.t.Errorf("screenshot %s is %d bytes, more than %d", name, len(buf), maxScreenshotBytes)
	}
	if err := os.WriteFile(filepath.Join(p.shots, name), buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot %s: %d×%d, %d KB", name, cfg.Width, cfg.Height, (len(buf)+1023)/1024)
}

// startBrowser starts headless Chromium with a fresh profile and opens a tab
// that records uncaught exceptions and EventSource objects.
func startBrowser(t *testing.T, base, shots string) *browserPage {
	t.Helper()
	exe := chromiumPath(t)
	output := &syncBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 800),
		chromedp.CombinedOutput(output),
	)
	// The browser lives as long as this context: it also bounds the test.
	root, cancelRoot := context.WithTimeout(context.Background(), browserTestTimeout)
	alloc, cancelAlloc := chromedp.NewExecAllocator(root, opts...)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // stops the browser and waits for it
		cancelRoot()
	})
	p := &browserPage{t: t, ctx: tab, base: base, shots: shots, output: output}
	if err := chromedp.Do(tab); err != nil {
		logTail(t, "browser output", browserOutput(output))
		t.Fatalf("starting %s: %v", exe, err)
	}
	if _, err := chromedp.Call(tab, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: streamsScript}); err != nil {
		t.Fatalf("adding the page script: %v", err)
	}
	exceptions := chromedp.Events(tab, runtime.ExceptionThrown)
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg += " " + d.Exception.Description
			}
			p.mu.Lock()
			p.exceptions = append(p.exceptions, fmt.Sprintf("%s:%d: %s", d.URL, d.LineNumber+1, msg))
			p.mu.Unlock()
		}
	}()
	p.do("set the viewport", chromedp.EmulateViewport(1280, 800))
	return p
}

// The community of the browser tests and its teammate who signs in.
const (
	browserCommunityName = "Acme"
	browserEmail         = "ann@acme.test"
	browserPassword      = "a long passphrase for Ann"
)

// browserCommunity creates the browser tests' community in db with Ann
// Agent, who has a password, in role, and returns its credentials.
func browserCommunity(t *testing.T, db, role string) credentials {
	t.Helper()
	var cr credentials
	if err := json.Unmarshal(runCLI(t, "community", "create", browserCommunityName, "--db", db, "--json"), &cr); err != nil {
		t.Fatal(err)
	}
	runCLI(t, "teammate", "add", "--community", browserCommunityName, "--email", browserEmail, "--name", "Ann Agent", "--role", role, "--db", db)
	if _, errOut, err := runWithStdin(strings.NewReader(browserPassword+"\n"), "teammate", "password", "--community", browserCommunityName,
		"--email", browserEmail, "--db", db); err != nil {
		t.Fatalf("teammate password: %v\n%s", err, errOut)
	}
	return cr
}

func TestBrowserInbox(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromiumPath(t) // skip early, before anything is set up
	started := time.Now()

	shots := t.TempDir()
	if os.Getenv("OPENBOARDS_UPDATE_SCREENSHOTS") == "1" {
		shots = filepath.Join("..", "..", "docs", "screenshots")
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	// The server, its community, a teammate who can sign in, and tickets.
	db := filepath.Join(t.TempDir(), "browser.db")
	const (
		community = browserCommunityName
		email     = browserEmail
		password  = browserPassword
	)
	cr := browserCommunity(t, db, "admin")
	rcv := newHookReceiver(t, 0)
	node := startHookNode(t, "server", db, rcv)
	base := node.base
	c := &client{t: t, base: base, token: accessToken(t, base, cr)}

	var billing, shipping struct{ ID int64 }
	c.do("POST", "/categories", map[string]any{"name": "Billing"}, &billing)
	c.do("POST", "/categories", map[string]any{"name": "Shipping"}, &shipping)
	newTicket := func(title, message, name, mail string, category int64) int64 {
		body := map[string]any{"title": title, "message": message, "creator": map[string]any{"name": name, "email": mail}}
		if category != 0 {
			body["categoryId"] = category
		}
		var id int64
		c.do("POST", "/tickets", body, &id)
		return id
	}
	const (
		doubleCharge = "Charged twice for my March invoice"
		address      = "Please update the invoice address"
		parcel       = "Parcel stuck in Oslo since Monday"
		slot         = "Can I change my delivery slot?"
		thanks       = "Thanks for the quick help!"
	)
	charged := newTicket(doubleCharge, "Hello, my card was charged twice for invoice 2024-031. Could you refund one of the payments?", "Bill Smith", "bill.smith@example.com", billing.ID)
	addr := newTicket(address, "We moved; the new address is Storgata 1, 0155 Oslo.", "Ola Hansen", "ola@hansen.example", billing.ID)
	c.do("PATCH", fmt.Sprintf("/tickets/%d/status", addr), map[string]any{"status": "pending"}, nil)
	newTicket(parcel, "Tracking has said 'in transit, Oslo' for four days now.", "Kari Nordmann", "kari@nordmann.example", shipping.ID)
	newTicket(slot, "Is it possible to move my delivery to Friday afternoon?", "Per Olsen", "per.olsen@example.com", shipping.ID)
	done := newTicket(thanks, "Everything works now, thank you!", "Lisa Berg", "lisa@berg.example", 0)
	c.do("PATCH", fmt.Sprintf("/tickets/%d/status", done), map[string]any{"status": "completed"}, nil)

	p := startBrowser(t, base, shots)
	t.Logf("server and browser ready after %v", time.Since(started).Round(time.Millisecond))

	// Sign in.
	p.do("open the sign-in page", chromedp.Navigate(base+"/signin"), chromedp.WaitVisible(chromedp.ID("community")))
	p.screenshot("signin.png", 1280, 800)
	p.do("fill in the sign-in form",
		chromedp.SendKeys(chromedp.ID("community"), community),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password))
	p.follow("sign in", chromedp.Click(chromedp.CSS(`form[action$="/signin"] button[type=submit]`)))
	if loc := browserRun(p, "location", chromedp.Location()); !strings.HasPrefix(loc, base+"/"+community+"/tickets") {
		p.fail("signing in led to %s, want the ticket list", loc)
	}
	p.expectText("header.top", "Ann Agent")

	// The list opens on the open tickets; the Pending tab has the other.
	if got := p.listTitles(); len(got) != 3 || !slices.Contains(got, doubleCharge) || slices.Contains(got, address) || slices.Contains(got, thanks) {
		p.fail("open tickets listed: %q", got)
	}
	p.follow("open the Pending tab", chromedp.Click(linkText("nav.tabs", "Pending")))
	if got := p.listTitles(); len(got) != 1 || got[0] != address {
		p.fail("pending tickets listed: %q, want only %q", got, address)
	}
	p.follow("back to the Open tab", chromedp.Click(linkText("nav.tabs", "Open")))

	// Search: words of the message find the ticket among all of them.
	p.do("type a search", chromedp.SendKeys(chromedp.ID("q"), "charged TWICE"))
	p.follow("search", chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)))
	if got := p.listTitles(); len(got) != 1 || got[0] != doubleCharge {
		p.fail("searching for 'charged twice' listed %q, want only %q", got, doubleCharge)
	}
	p.do("clear the search", chromedp.Clear(chromedp.ID("q")))

	// Narrow the list to Billing and find the ticket by its title.
	p.do("choose the Billing category", chromedp.SetValue(chromedp.ID("category"), fmt.Sprint(billing.ID)))
	p.follow("apply the filter", chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)))
	if got := p.listTitles(); len(got) != 1 || got[0] != doubleCharge {
		p.fail("open Billing tickets listed: %q, want only %q", got, doubleCharge)
	}
	p.follow("open the ticket", chromedp.Click(ticketLink(doubleCharge)))
	p.expectText("article.ticket h2", doubleCharge)
	p.expectText("article.ticket .message.customer", "charged twice")

	// Reply, add a note, change the status.
	const (
		reply = "Sorry about that! I have refunded the second payment; it shows on your card within 3 days."
		note  = "Refund issued in the payment console, reference RF-2291."
	)
	p.do("write a reply", chromedp.SendKeys(chromedp.ID("reply"), reply))
	p.follow("send the reply", chromedp.Click(chromedp.CSS(`form.compose:not(.note) button[type=submit]`)))
	p.expectText("p.flash", "Saved.")
	p.expectText("article.ticket .thread", reply)
	p.do("write a note", chromedp.SendKeys(chromedp.ID("note"), note))
	p.follow("add the note", chromedp.Click(chromedp.CSS(`form.compose.note button[type=submit]`)))
	p.expectText("article.ticket .message.note", note)
	p.do("choose Completed", chromedp.SetValue(chromedp.ID("status"), "completed"))
	p.follow("set the status", chromedp.Click(chromedp.CSS(`form[action$="/status"] button[type=submit]`)))
	p.expectText("article.ticket header .meta", "completed")
	var got struct {
		Status     string
		ReplyCount int
	}
	c.do("GET", fmt.Sprintf("/tickets/%d", charged), nil, &got)
	if got.Status != "completed" || got.ReplyCount != 1 {
		t.Fatalf("after the browser's changes the API shows %+v, want completed with 1 reply", got)
	}
	var log []struct{ ActionType string }
	c.do("POST", fmt.Sprintf("/tickets/%d/log", charged), map[string]any{"action_types": []string{}}, &log)
	if len(log) < 3 || log[0].ActionType != "ticket_status_changed" || log[1].ActionType != "note_created" || !slices.ContainsFunc(log[2:], func(e struct{ ActionType string }) bool { return e.ActionType == "reply_created" }) {
		t.Fatalf("ticket log, newest first: %+v", log)
	}

	// A ticket created through the API shows in the open page by itself.
	p.do("wait for the live stream", chromedp.Poll[chromedp.Void](
		`(window.__openboardsStreams || []).some(s => s.readyState === 1)`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	p.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__sameDocument = true`))
	const liveTitle = "Login link expired before I could use it"
	created := time.Now()
	liveID := newTicket(liveTitle, "The sign-in link in your e-mail said it had expired after two minutes.", "Mia Lund", "mia@lund.example", 0)
	q, _ := json.Marshal(liveTitle)
	p.do("wait for the new ticket in the list", chromedp.Poll[chromedp.Void](
		fmt.Sprintf(`Array.from(document.querySelectorAll('section.list ol.tickets .title')).some(e => e.textContent.trim() === %s)`, q),
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(liveUpdateWithin)))
	t.Logf("ticket %d showed in the open list %v after it was created", liveID, time.Since(created).Round(time.Millisecond))
	if !browserRun(p, "check the page was not reloaded", chromedp.Evaluate[bool](`window.__sameDocument === true`)) {
		p.fail("the page was reloaded to show the new ticket")
	}
	p.expectText("article.ticket h2", doubleCharge) // the open ticket stayed
	p.screenshot("tickets.png", 1280, 800)

	// The list on a phone.
	p.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait),
		chromedp.Navigate(base+"/"+community+"/tickets"), chromedp.WaitVisible(chromedp.CSS("section.list ol.tickets")))
	p.screenshot("tickets-phone.png", 390, 844)
	p.do("desktop viewport", chromedp.EmulateViewport(1280, 800), chromedp.Reload())

	// Settings → Webhooks → add a webhook against the TLS receiver.
	p.follow("open the settings", chromedp.Click(linkText("header.top nav", "Settings")))
	p.expectText("main h1", "Settings")
	p.screenshot("settings.png", 1280, 800)
	p.follow("open the webhook settings", chromedp.Click(linkText("ul.sections", "Webhooks")))
	p.expectText("main", "No webhooks yet.")
	p.do("fill in the webhook form",
		chromedp.SendKeys(chromedp.ID("new-url"), rcv.URL()),
		chromedp.SendKeys(chromedp.ID("new-verify-token"), hookVerifyToken),
		chromedp.Click(chromedp.ID("new-"+openboards.EventTicketCreation)),
		chromedp.Click(chromedp.ID("new-"+openboards.EventTicketStatusChange)))
	p.follow("add the webhook", chromedp.Click(chromedp.CSS(`form[action$="/settings/webhooks"] button[type=submit]`)))
	p.expectText("p.flash", "The endpoint answered the verification request")
	p.expectText("dl.facts", "Active")
	hookPage := browserRun(p, "location", chromedp.Location())
	hookPage, _, _ = strings.Cut(hookPage, "?")
	secret := p.text("#signing-secret")
	v, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatalf("the page shows the signing secret %q: %v", secret, err)
	}
	rcv.verifier.Store(v)

	// A ticket created through the API is delivered and shows in the log.
	const hookTitle = "Where is my order 4411?"
	hookTicket := newTicket(hookTitle, "I ordered two weeks ago and have heard nothing since.", "Jon Dahl", "jon@dahl.example", shipping.ID)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if arrived(rcv, hookTicket) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver did not get the creation of ticket %d", hookTicket)
		}
	}
	row := fmt.Sprintf(`Array.from(document.querySelectorAll('#deliveries tbody tr')).some(r =>
		r.textContent.includes('#%d') && r.textContent.includes('Ticket created') && r.querySelector('.badge.succeeded'))`, hookTicket)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		p.do("load the webhook's page", chromedp.Navigate(hookPage))
		if browserRun(p, "read the delivery log", chromedp.Evaluate[bool](row)) {
			break
		}
		if time.Now().After(deadline) {
			p.fail("the delivery of ticket %d does not show as succeeded in the webhook's log", hookTicket)
		}
	}
	p.do("show the delivery's attempts", chromedp.Click(chromedp.CSS(`#deliveries tbody tr details summary`)))
	p.expectText("#deliveries tbody tr details", "status 200")
	p.do("scroll to the delivery log", chromedp.Evaluate[chromedp.Void](
		`window.scrollTo(0, document.getElementById('deliveries').getBoundingClientRect().top + window.scrollY - 16)`))
	p.screenshot("webhook.png", 1280, 800)

	_, problems := rcv.snapshot()
	for _, pr := range problems {
		t.Errorf("webhook receiver: %s", pr)
	}
	p.mu.Lock()
	for _, e := range p.exceptions {
		t.Errorf("uncaught exception in a page: %s", e)
	}
	p.mu.Unlock()
	t.Logf("browser test took %v", time.Since(started).Round(time.Millisecond))
}

// browserOutput returns what the browser printed, without its complaints
// about the missing D-Bus of containers.
func browserOutput(b *syncBuffer) string {
	var keep []string
	for _, line := range strings.Split(b.String(), "\n") {
		if line != "" && !strings.Contains(line, "dbus") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// arrived reports whether rcv has received the creation of ticket id.
func arrived(rcv *hookReceiver, id int64) bool {
	arrivals, _ := rcv.snapshot()
	for _, a := range arrivals {
		if a.ticket == id && a.typ == openboards.EventTicketCreation {
			return true
		}
	}
	return false
}
