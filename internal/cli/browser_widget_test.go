package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"openboards/internal/openboards"
	"openboards/internal/widget"
)

// The support widget in headless Chromium, on host pages of another
// origin, as a site embeds it: the documented snippet shows the launcher;
// a visitor chats with a teammate who works in the inbox, both live; the
// network between the visitor and the server is cut mid-conversation and
// restored, and no message is lost or doubled; the panel survives a
// reload; a phone-sized page gets the panel full-screen; a page with a
// strict CSP works; outside its schedule the widget offers the offline
// form; an identity the site signed is accepted and a forged one is not.
// It takes the widget screenshots in docs/screenshots/.

// cutProxy forwards TCP connections to a server until cut: then it drops
// the connections it carries and refuses new ones until restored, as a
// network that goes away does.
type cutProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *cutProxy) url() string { return "http://" + p.ln.Addr().String() }

func (p *cutProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return false
	}
	p.conns[c] = true
	return true
}

func (p *cutProxy) serve(c net.Conn) {
	if !p.track(c) {
		c.Close()
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil || !p.track(up) {
		c.Close()
		if up != nil {
			up.Close()
		}
		return
	}
	go func() { io.Copy(up, c); up.Close() }()
	io.Copy(c, up)
	c.Close()
}

// cut drops every connection and refuses new ones.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *cutProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// hostPages serves the sites that embed the widget, from an origin of
// their own: /snippet?widget=N (the documented snippet, with hostile
// styles), /strict?widget=N (a strict CSP and the script-tag form) and
// /identified?widget=N&token=T (a signed-in customer).
func hostPages(t *testing.T, server string) *httptest.Server {
	t.Helper()
	loader := server + "/magic-widget.js"
	h := http.NewServeMux()
	// Styles a careless site might have: none of them may reach the widget.
	const hostile = `<style>* { font-size: 40px !important; color: red !important; } button, iframe { display: none !important; width: 1px !important; } div { all: unset !important; }</style>`
	page := func(w http.ResponseWriter, title, head, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>%s</title>%s</head>
<body><h1>%s</h1><p>Our shop sells boats and the things boats need.</p>%s</body></html>`, title, head, title, body)
	}
	h.HandleFunc("/snippet", func(w http.ResponseWriter, r *http.Request) {
		page(w, "Palby Marine", hostile, fmt.Sprintf(`<script>
  const s = document.createElement("script"); s.async = true;
  s.src = %q; document.body.appendChild(s);
</script>
<script>
  const options = { community: 'acme', widgetId: %s }
  window.magicWidgetAsyncInit = function () { magicWidget.initializeAsync(options) }
</script>`, loader, r.URL.Query().Get("widget")))
	})
	h.HandleFunc("/strict", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", fmt.Sprintf("default-src 'none'; script-src %[1]s; connect-src %[1]s; frame-src %[1]s", server))
		page(w, "Strict shop", "", fmt.Sprintf(`<script async src="%s" data-community="acme" data-widget-id="%s"></script>`,
			html.EscapeString(loader), html.EscapeString(r.URL.Query().Get("widget"))))
	})
	h.HandleFunc("/hidden", func(w http.ResponseWriter, r *http.Request) {
		page(w, "Closed shop", "", fmt.Sprintf(`<script>
  const s = document.createElement("script"); s.async = true;
  s.src = %q; document.body.appendChild(s);
  window.magicWidgetAsyncInit = function () { window.__init = magicWidget.initializeAsync({ community: 'acme', widgetId: %s, hideWhenOffline: true }) }
</script>`, loader, r.URL.Query().Get("widget")))
	})
	h.HandleFunc("/identified", func(w http.ResponseWriter, r *http.Request) {
		user, _ := json.Marshal(map[string]string{"customIdentifier": "cust-42", "name": "Kim Customer", "email": "kim@customer.example",
			"identityToken": r.URL.Query().Get("token")})
		page(w, "My account", "", fmt.Sprintf(`<script>
  const s = document.createElement("script"); s.async = true;
  s.src = %q; document.body.appendChild(s);
  window.magicWidgetAsyncInit = function () { magicWidget.initializeAsync({ community: 'acme', widgetId: %s, user: %s, open: true }) }
</script>`, loader, r.URL.Query().Get("widget"), user))
	})
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// front brings the tab to the front, where the keyboard types.
func (p *browserPage) front() {
	p.t.Helper()
	if _, err := chromedp.Call(p.ctx, page.BringToFront, cdp.Empty{}); err != nil {
		p.fail("bring the tab to the front: %v", err)
	}
}

// panelFrame returns the widget's iframe in the tab, once it is there.
func (p *browserPage) panelFrame() *chromedp.Node {
	p.t.Helper()
	deadline := time.Now().Add(browserStepTimeout)
	for {
		nodes := browserRun(p, "find the widget's frame", chromedp.Nodes(chromedp.CSS(`iframe[title]`)))
		// The frame's document may still be on its way: it is there when
		// its script can be run.
		ctx, cancel := context.WithTimeout(p.ctx, time.Second)
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.readyState !== 'loading' && !!document.getElementById('panel')`,
			chromedp.WithPollingInFrame(nodes[0]), chromedp.WithPollingInterval(20*time.Millisecond)))
		cancel()
		if err == nil {
			return nodes[0]
		}
		if time.Now().After(deadline) {
			p.fail("the widget's frame did not load: %v", err)
		}
	}
}

// inPanel waits until expr, evaluated in the panel's document, is truthy
// and returns it.
func inPanel[T any](p *browserPage, frame *chromedp.Node, what, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserStepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Poll[T](expr, chromedp.WithPollingInFrame(frame),
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(chatMessageWithin)))
	if err != nil {
		// Say what the panel shows.
		ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
		defer cancel()
		text, _ := chromedp.Run(ctx, chromedp.Poll[string](`document.body.innerText + ' ' || 'empty'`, chromedp.WithPollingInFrame(frame)))
		p.mu.Lock()
		exc := strings.Join(p.exceptions, "\n")
		p.mu.Unlock()
		p.fail("%s: %v\npanel text:\n%s\nexceptions:\n%s", what, err, text, exc)
	}
	return v
}

// panelTexts returns the panel's messages, "team: text" or "visitor: text",
// top to bottom, with the pending ones marked.
const panelTexts = `JSON.stringify([...document.querySelectorAll('#messages li')].map(li =>
  li.className.split(' ')[0] + (li.classList.contains('pending') ? '(pending)' : '') + ': ' + li.querySelector('p').textContent))`

func TestBrowserWidget(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromiumPath(t)
	started := time.Now()
	shots := t.TempDir()
	if os.Getenv("OPENBOARDS_UPDATE_SCREENSHOTS") == "1" {
		shots = filepath.Join("..", "..", "docs", "screenshots")
	}
	db := filepath.Join(t.TempDir(), "widget.db")
	cr := browserCommunity(t, db, "team_member")
	node := startLiveNode(t, db)
	base := node.s.URL
	proxy := newCutProxy(t, node.s.Addr())
	// The visitor reaches the server through the proxy: its origin is
	// the widget's server for the host pages.
	hosts := hostPages(t, proxy.url())
	newWidget := func(name string) widgetJSON {
		var w widgetJSON
		if err := json.Unmarshal(runCLI(t, "widget", "create", "--community", "acme", "--name", name, "--origins", hosts.URL, "--db", db, "--json"), &w); err != nil {
			t.Fatal(err)
		}
		return w
	}
	shop := newWidget("Palby Marine support")
	acme, err := node.s.Store.FindCommunityByName(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	acmeID := acme.ID
	c := &client{t: t, base: base, token: accessToken(t, base, cr)}

	// The teammate works in the inbox, in a tab of the same browser.
	p := startBrowser(t, base, shots)
	agentCtx, cancelAgent := chromedp.NewContext(p.ctx)
	defer cancelAgent()
	agent := &browserPage{t: t, ctx: agentCtx, base: base, shots: shots, output: p.output}
	agent.front()
	if _, err := chromedp.Call(agentCtx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: streamsScript}); err != nil {
		t.Fatal(err)
	}
	agent.do("open the sign-in page", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(base+"/signin"), chromedp.WaitVisible(chromedp.ID("community")))
	agent.do("fill in the sign-in form",
		chromedp.SendKeys(chromedp.ID("community"), browserCommunityName),
		chromedp.SendKeys(chromedp.ID("email"), browserEmail),
		chromedp.SendKeys(chromedp.ID("password"), browserPassword))
	agent.follow("sign in", chromedp.Click(chromedp.CSS(`form[action$="/signin"] button[type=submit]`)))

	// The documented snippet on a page of another origin, whose styles
	// would break any widget they reached: the launcher shows.
	p.front()
	p.do("open the host page", chromedp.Navigate(hosts.URL+"/snippet?widget="+strconv.FormatInt(shop.WidgetID, 10)))
	p.do("open the host page", chromedp.WaitVisible(chromedp.CSS(`[data-openboards-widget]`)))
	box := browserRun(p, "measure the launcher", chromedp.Evaluate[[]float64](
		`(r => [r.width, r.height, innerWidth - r.right, innerHeight - r.bottom])(document.querySelector('[data-openboards-widget]').getBoundingClientRect())`))
	if box[0] != 56 || box[1] != 56 || box[2] != 16 || box[3] != 16 {
		p.fail("the launcher is %v×%v at %v,%v from the corner, want 56×56 at 16,16: the host's styles reached it", box[0], box[1], box[2], box[3])
	}
	p.screenshot("widget-launcher.png", 1280, 800)

	// Open it and start a chat.
	p.do("open the panel", chromedp.Click(chromedp.CSS(`[data-openboards-widget]`)))
	frame := p.panelFrame()
	inPanel[bool](p, frame, "wait for the start form", `!document.getElementById('start').hidden && document.activeElement && document.activeElement.id === 'name'`)
	if fs := inPanel[string](p, frame, "read the input size", `getComputedStyle(document.getElementById('email')).fontSize`); fs != "16px" {
		p.fail("inputs are %s, want 16px so that phones do not zoom", fs)
	}
	const (
		first  = "Hello, does the 40 hp engine fit a 5 m boat?"
		reply1 = "Hi Sofie, yes it does, with the long shaft."
		during = "Great, and what does the long shaft cost?" // typed while the network is down
		reply2 = "The long shaft is 2,400 kr."               // sent while the network is down
		last   = "Thank you, I will order it."
	)
	p.do("fill in the start form", chromedp.SendKeys(chromedp.ID("name"), "Sofie Lind", chromedp.FromNode(frame)),
		chromedp.SendKeys(chromedp.ID("email"), "sofie@lind.example", chromedp.FromNode(frame)),
		chromedp.SendKeys(chromedp.ID("first"), first, chromedp.FromNode(frame)))
	p.do("start the chat", chromedp.Click(chromedp.CSS(`#startForm button[type=submit]`), chromedp.FromNode(frame)))
	inPanel[bool](p, frame, "wait for the conversation", `!document.getElementById('chat').hidden && document.querySelectorAll('#messages li').length === 1`)
	stored := inPanel[string](p, frame, "read the stored conversation", fmt.Sprintf(`localStorage.getItem('openboards:%s:%d')`, browserCommunityName, shop.WidgetID))
	var st struct{ ID int64 }
	if err := json.Unmarshal([]byte(stored), &st); err != nil || st.ID == 0 {
		p.fail("the panel stored %q", stored)
	}
	var conv struct {
		InitialPageURL *string
		Author         struct{ Name, Email string }
	}
	c.do("GET", fmt.Sprintf("/chat/conversations/%d", st.ID), nil, &conv)
	if conv.InitialPageURL == nil || !strings.HasPrefix(*conv.InitialPageURL, hosts.URL+"/snippet") || conv.Author.Name != "Sofie Lind" {
		t.Fatalf("the conversation %+v", conv)
	}
	if tk, err := node.s.Store.FindTicketByID(context.Background(), acmeID, st.ID); err != nil || tk.Source != "chat" || tk.DetailedSource != "web_website" {
		t.Fatalf("the conversation's ticket %+v, %v", tk, err)
	}

	// The teammate opens it; the visitor's message is there. Her answer
	// reaches the panel live.
	agent.front()
	agent.follow("open the conversation", chromedp.Navigate(fmt.Sprintf("%s/%s/tickets?status=all&ticketId=%d", base, browserCommunityName, st.ID)))
	agent.expectText("article.ticket .thread", first)
	agent.do("wait for the live stream", chromedp.Poll[chromedp.Void](
		`(window.__openboardsStreams || []).some(s => s.readyState === 1)`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	agentSays := func(text string) {
		t.Helper()
		agent.front()
		defer p.front()
		agent.do("type the answer", chromedp.Click(chromedp.ID("reply")), chromedp.SendKeys(chromedp.ID("reply"), text))
		agent.pressEnter("send with Enter")
		q, _ := json.Marshal(text)
		agent.do("wait for the answer in the thread", chromedp.Poll[chromedp.Void](
			fmt.Sprintf(`Array.from(document.querySelectorAll('article.ticket .thread .message')).some(m => m.textContent.includes(%s))`, q),
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(chatMessageWithin)))
	}
	agentSays(reply1)
	q1, _ := json.Marshal("team: " + reply1)
	inPanel[bool](p, frame, "wait for the answer in the panel", fmt.Sprintf(`%s.includes(%s)`, panelTexts, q1))

	// The network goes away. The visitor writes; the teammate answers;
	// nothing arrives while it is down.
	proxy.cut()
	inPanel[bool](p, frame, "wait for the panel to notice", `document.getElementById('connection').textContent !== ''`)
	p.do("write while offline", chromedp.SendKeys(chromedp.ID("compose"), during, chromedp.FromNode(frame)),
		chromedp.Click(chromedp.CSS(`#composeForm button[type=submit]`), chromedp.FromNode(frame)))
	inPanel[bool](p, frame, "wait for the queued message", fmt.Sprintf(`%s.includes(%q)`, panelTexts, "visitor(pending): "+during))
	agentSays(reply2)
	p.screenshot("widget-offline-queue.png", 1280, 800)

	// Restored: the queued message goes out once, the missed answer comes.
	proxy.restore()
	// The server took the teammate's answer first: it comes first.
	want := []string{"visitor: " + first, "team: " + reply1, "team: " + reply2, "visitor: " + during}
	wantJSON, _ := json.Marshal(want)
	inPanel[string](p, frame, "wait for the panel to catch up", fmt.Sprintf(`(s => s === %q && s)(%s)`, wantJSON, panelTexts))
	qd, _ := json.Marshal(during)
	agent.do("wait for the queued message in the inbox", chromedp.Poll[chromedp.Void](
		fmt.Sprintf(`document.querySelector('article.ticket .thread').textContent.includes(%s)`, qd),
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(chatMessageWithin)))
	p.do("write after the network is back", chromedp.SendKeys(chromedp.ID("compose"), last, chromedp.FromNode(frame)),
		chromedp.Click(chromedp.CSS(`#composeForm button[type=submit]`), chromedp.FromNode(frame)))
	want = append(want, "visitor: "+last)
	wantJSON, _ = json.Marshal(want)
	inPanel[string](p, frame, "wait for the last message", fmt.Sprintf(`(s => s === %q && s)(%s)`, wantJSON, panelTexts))
	var msgs []struct {
		Message string
		Author  struct{ Status string }
	}
	c.do("GET", fmt.Sprintf("/chat/conversations/%d/messages?orderBy=creation_time_asc", st.ID), nil, &msgs)
	var server []string
	for _, m := range msgs {
		who := "visitor"
		if m.Author.Status != "client" {
			who = "team"
		}
		server = append(server, who+": "+m.Message)
	}
	if strings.Join(server, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the server has:\n%s\nwant each message once:\n%s", strings.Join(server, "\n"), strings.Join(want, "\n"))
	}
	p.screenshot("widget-chat.png", 1280, 800)

	// A reload keeps the conversation; on a phone the panel fills the
	// screen.
	p.do("a phone-sized page", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`[data-openboards-widget]`)))
	p.do("open the panel on the phone", chromedp.Evaluate[chromedp.Void](`magicWidget.open()`))
	frame = p.panelFrame()
	inPanel[string](p, frame, "wait for the conversation after the reload", fmt.Sprintf(`(s => s === %q && s)(%s)`, wantJSON, panelTexts))
	size := browserRun(p, "measure the panel", chromedp.Evaluate[[]float64](
		`(r => [r.left, r.top, r.width, r.height, innerWidth, innerHeight])(document.querySelector('iframe[title]').getBoundingClientRect())`))
	if size[0] != 0 || size[1] != 0 || size[2] != size[4] || size[3] != size[5] {
		p.fail("on a phone the panel is at %v,%v %v×%v, want the whole %v×%v", size[0], size[1], size[2], size[3], size[4], size[5])
	}
	if !inPanel[bool](p, frame, "check the focus stays in the panel", `(() => {
		const f = [...document.querySelectorAll('#panel button, #panel textarea, #panel input')].filter(e => !e.disabled && e.offsetParent !== null);
		f[f.length - 1].focus();
		document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Tab', bubbles: true, cancelable: true}));
		return document.activeElement === f[0];
	})()`) {
		p.fail("Tab from the last control left the panel")
	}
	p.screenshot("widget-phone.png", 780, 1688)
	p.do("back to a desktop", chromedp.EmulateViewport(1280, 800))

	// A page with a strict CSP: the script-tag form shows the launcher and
	// the panel works; the page reports no violation.
	p.do("open the strict page", chromedp.Evaluate[chromedp.Void](`localStorage.clear()`),
		chromedp.Navigate(hosts.URL+"/strict?widget="+strconv.FormatInt(shop.WidgetID, 10)),
		chromedp.Evaluate[chromedp.Void](`window.__violations = []; document.addEventListener('securitypolicyviolation', e => __violations.push(e.violatedDirective + ' ' + e.blockedURI))`),
		chromedp.WaitVisible(chromedp.CSS(`[data-openboards-widget]`)))
	p.do("open the panel on the strict page", chromedp.Click(chromedp.CSS(`[data-openboards-widget]`)))
	frame = p.panelFrame()
	inPanel[bool](p, frame, "wait for the panel on the strict page", `document.getElementById('chat').hidden === false && document.querySelectorAll('#messages li').length === 5`)
	if v := browserRun(p, "read the violations", chromedp.Evaluate[[]string](`window.__violations`)); len(v) != 0 {
		p.fail("the strict page reported CSP violations: %v", v)
	}
	// The conversation followed the visitor to this page.
	for deadline := time.Now().Add(chatMessageWithin); ; {
		var pages struct{ InitialPageURL, LatestPageURL *string }
		c.do("GET", fmt.Sprintf("/chat/conversations/%d", st.ID), nil, &pages)
		if pages.LatestPageURL != nil && strings.HasPrefix(*pages.LatestPageURL, hosts.URL+"/strict") && strings.HasPrefix(*pages.InitialPageURL, hosts.URL+"/snippet") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the conversation's pages are %v and %v, want the snippet page then the strict one", pages.InitialPageURL, pages.LatestPageURL)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Outside the schedule: the offline form leaves a ticket.
	closed := newWidget("After hours")
	c.do("POST", "/widgets/schedules", map[string]any{"widgetId": closed.WidgetID, "timePeriod": 3, "customTimes": map[string]any{
		"monday": []any{}, "tuesday": []any{}, "wednesday": []any{}, "thursday": []any{}, "friday": []any{}, "saturday": []any{}, "sunday": []any{}}}, nil)
	p.do("open a closed widget", chromedp.Navigate(hosts.URL+"/snippet?widget="+strconv.FormatInt(closed.WidgetID, 10)),
		chromedp.WaitVisible(chromedp.CSS(`[data-openboards-widget]`)), chromedp.Evaluate[chromedp.Void](`magicWidget.open()`))
	frame = p.panelFrame()
	inPanel[bool](p, frame, "wait for the offline form", `!document.getElementById('offline').hidden`)
	p.do("fill in the offline form", chromedp.SendKeys(chromedp.ID("offlineName"), "Erik Moe", chromedp.FromNode(frame)),
		chromedp.SendKeys(chromedp.ID("offlineEmail"), "erik@moe.example", chromedp.FromNode(frame)),
		chromedp.SendKeys(chromedp.ID("offlineMessage"), "Can you deliver on Saturday?", chromedp.FromNode(frame)))
	p.screenshot("widget-offline-form.png", 1280, 800)
	p.do("send the offline form", chromedp.Click(chromedp.CSS(`#offlineForm button[type=submit]`), chromedp.FromNode(frame)))
	inPanel[bool](p, frame, "wait for the thanks", `document.getElementById('leftText').textContent.includes('erik@moe.example')`)
	tickets, err := node.s.Store.FindTickets(context.Background(), openboards.TicketFilter{CommunityID: acmeID, Take: 50})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, tk := range tickets {
		found = found || (!tk.IsConversation() && tk.DetailedSource == "web_website" && tk.Title == "Message from Erik Moe" && strings.Contains(tk.Message, "Saturday"))
	}
	if !found {
		t.Fatal("the offline form left no ticket")
	}

	// Identity verification: a signed customer is the client the site
	// says; a forged signature makes an anonymous visitor.
	verified := newWidget("My account help")
	if _, err := widget.NewService(node.s.Store, time.Now).Update(context.Background(), acme, verified.WidgetID, func(s *openboards.WidgetSettings) error {
		s.RequireVerification = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		token string
		kim   bool
	}{{widget.SignIdentity(verified.IdentitySecret, "cust-42"), true}, {widget.SignIdentity("a guessed secret", "cust-42"), false}} {
		// A fresh visitor: the panel's storage (the server's origin) is emptied.
		inPanel[bool](p, p.panelFrame(), "forget the stored conversations", `(localStorage.clear(), true)`)
		p.do("open the signed-in page", chromedp.Navigate(hosts.URL+"/identified?widget="+strconv.FormatInt(verified.WidgetID, 10)+"&token="+tc.token))
		frame = p.panelFrame()
		inPanel[bool](p, frame, "wait for the start form", `!document.getElementById('start').hidden && document.getElementById('nameRow').hidden`)
		p.do("write", chromedp.SendKeys(chromedp.ID("first"), "Where is my order?", chromedp.FromNode(frame)),
			chromedp.Click(chromedp.CSS(`#startForm button[type=submit]`), chromedp.FromNode(frame)))
		inPanel[bool](p, frame, "wait for the conversation", `!document.getElementById('chat').hidden`)
		stored := inPanel[string](p, frame, "read the stored conversation", fmt.Sprintf(`localStorage.getItem('openboards:%s:%d')`, browserCommunityName, verified.WidgetID))
		var st struct{ ID int64 }
		json.Unmarshal([]byte(stored), &st)
		var conv struct {
			Author struct {
				Name             string
				CustomIdentifier *string
			}
		}
		c.do("GET", fmt.Sprintf("/chat/conversations/%d", st.ID), nil, &conv)
		isKim := conv.Author.CustomIdentifier != nil && *conv.Author.CustomIdentifier == "cust-42"
		if isKim != tc.kim {
			t.Fatalf("with identityToken %s the author is %+v, want Kim: %v", tc.token, conv.Author, tc.kim)
		}
		if !tc.kim {
			continue
		}
		// With the panel closed, a message from the team is an event for
		// the page.
		p.do("close the panel and listen", chromedp.Evaluate[chromedp.Void](
			`magicWidget.close(); window.__received = []; magicWidget.on('messageReceived', m => __received.push(m.message))`))
		c.do("POST", fmt.Sprintf("/chat/conversations/%d/messages", st.ID), []map[string]any{{"message": "Your order ships today.", "author": map[string]any{"isBot": true}}}, nil)
		p.do("wait for the event", chromedp.Poll[chromedp.Void](`window.__received.includes('Your order ships today.')`,
			chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(chatMessageWithin)))
		p.do("open the panel again", chromedp.Evaluate[chromedp.Void](`magicWidget.open()`))
		// Kim ends the chat (the button asks once more) and rates it.
		p.do("end the chat", chromedp.Click(chromedp.ID("end"), chromedp.FromNode(frame)))
		inPanel[bool](p, frame, "wait for the confirmation", `document.getElementById('end').textContent === 'End the chat?'`)
		p.do("confirm", chromedp.Click(chromedp.ID("end"), chromedp.FromNode(frame)))
		inPanel[bool](p, frame, "wait for the feedback form", `!document.getElementById('ended').hidden`)
		p.do("rate the chat", chromedp.Click(chromedp.ID("good"), chromedp.FromNode(frame)),
			chromedp.SendKeys(chromedp.ID("comment"), "Quick answer, thanks", chromedp.FromNode(frame)))
		p.screenshot("widget-feedback.png", 1280, 800)
		p.do("send the feedback", chromedp.Click(chromedp.ID("sendFeedback"), chromedp.FromNode(frame)))
		inPanel[bool](p, frame, "wait for the thanks", `!document.getElementById('feedbackDone').hidden`)
		var ended struct {
			IsClosed bool
			Feedback *struct {
				IsPositive bool
				Text       string
			}
		}
		c.do("GET", fmt.Sprintf("/chat/conversations/%d", st.ID), nil, &ended)
		if !ended.IsClosed || ended.Feedback == nil || !ended.Feedback.IsPositive || ended.Feedback.Text != "Quick answer, thanks" {
			t.Fatalf("the ended conversation %+v", ended)
		}
	}

	// With hideWhenOffline, a closed widget shows nothing at all.
	p.do("open a closed widget that hides", chromedp.Navigate(hosts.URL+"/hidden?widget="+strconv.FormatInt(closed.WidgetID, 10)),
		// Until its initialisation has finished.
		chromedp.Evaluate[chromedp.Void](`new Promise(done => { const t = setInterval(() => {
			if (window.__init) { clearInterval(t); __init.then(() => done(true), () => done(false)); } }, 10) })`,
			func(p *runtime.EvaluateParams) { yes := true; p.AwaitPromise = &yes }))
	if n := browserRun(p, "count the widget's elements", chromedp.Evaluate[int](`document.querySelectorAll('[data-openboards-widget], iframe').length`)); n != 0 {
		p.fail("a closed widget with hideWhenOffline shows %d elements", n)
	}

	p.mu.Lock()
	for _, e := range p.exceptions {
		t.Errorf("uncaught exception in a page: %s", e)
	}
	p.mu.Unlock()
	t.Logf("widget browser test took %v", time.Since(started).Round(time.Millisecond))
}
