package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// The live chat browser test: a teammate goes online on the chat desk,
// takes the conversation first in line with Take next, and chats with a
// client whom the test plays through the External Chat API. The client's
// messages appear in the open conversation without a reload, also while
// the teammate is typing; the teammate's, sent with Enter, reach the
// client's event stream. It takes the chat screenshots in
// docs/screenshots/. Like TestBrowserInbox it needs Chromium.

// pressEnter presses Enter in the focused element as a keyboard does: one
// key-down that carries the text it types, which the page may prevent,
// then the key-up.
func (p *browserPage) pressEnter(what string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserStepTimeout)
	defer cancel()
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeKeyDown, input.DispatchKeyEventTypeKeyUp} {
		ev := input.DispatchKeyEventParams{Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13}
		if typ == input.DispatchKeyEventTypeKeyDown {
			ev.Text, ev.UnmodifiedText = "\r", "\r"
		}
		if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, ev); err != nil {
			p.fail("%s: %v", what, err)
		}
	}
}

// chatMessageWithin is how soon a message must show on the other side.
const chatMessageWithin = 5 * time.Second

// conversationStream follows a conversation's event stream as the client
// would, sending "name: text" for each "message" event and "typing: name"
// for each "typing" event on the channel.
func conversationStream(t *testing.T, c *client, id int64) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/chat/conversations/%d/events", c.base, id), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("conversation stream: status %d", resp.StatusCode)
	}
	texts := make(chan string, 16)
	go func() {
		defer resp.Body.Close()
		defer close(texts)
		sc := bufio.NewScanner(resp.Body)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = line[len("event: "):]
			case strings.HasPrefix(line, "data: ") && event == "message":
				var m struct {
					Message string
					Author  struct{ Name string }
				}
				if json.Unmarshal([]byte(line[len("data: "):]), &m) == nil {
					texts <- m.Author.Name + ": " + m.Message
				}
			case strings.HasPrefix(line, "data: ") && event == "typing":
				var d struct{ Name string }
				if json.Unmarshal([]byte(line[len("data: "):]), &d) == nil {
					texts <- "typing: " + d.Name
				}
			case line == "":
				event = ""
			}
		}
	}()
	return texts
}

func TestBrowserLiveChat(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromiumPath(t)
	started := time.Now()
	shots := t.TempDir()
	if os.Getenv("OPENBOARDS_UPDATE_SCREENSHOTS") == "1" {
		shots = filepath.Join("..", "..", "docs", "screenshots")
	}

	db := filepath.Join(t.TempDir(), "chat.db")
	const (
		community = browserCommunityName
		email     = browserEmail
		password  = browserPassword
	)
	cr := browserCommunity(t, db, "team_member")
	runCLI(t, "teammate", "add", "--community", community, "--email", "bo@acme.test", "--name", "Bo Berg", "--role", "team_member", "--db", db)
	node := startHookNode(t, "server", db, newHookReceiver(t, 0))
	base := node.base
	c := &client{t: t, base: base, token: accessToken(t, base, cr)}

	// Two clients wait; a third is with the bot.
	type conv struct{ ID int64 }
	open := func(name, mail, title, first string, bot bool) int64 {
		var cv conv
		c.do("POST", "/chat/conversations", map[string]any{"author": map[string]any{"name": name, "email": mail}, "title": title,
			"url": "https://shop.example.com/checkout", "isBotEnabled": bot}, &cv)
		c.do("POST", fmt.Sprintf("/chat/conversations/%d/messages", cv.ID), []map[string]any{{"message": first, "author": map[string]any{"email": mail}}}, nil)
		return cv.ID
	}
	const (
		sofieFirst = "Hi! My discount code SPRING24 is refused at checkout."
		sofieNext  = "It says the code has expired, but the e-mail said it runs until May."
		sofieLast  = "Thank you, that worked!"
		annReply   = "Hello Sofie, let me check that code for you."
		annLater   = "I have extended it; please try again."
	)
	sofie := open("Sofie Lind", "sofie@lind.example", "Discount code refused", sofieFirst, false)
	open("Erik Moe", "erik@moe.example", "Change of delivery address", "Can I still change the address of order 5521?", false)
	open("Nina Holm", "nina@holm.example", "Opening hours", "When are you open on Saturdays?", true)
	clientSays := func(text string) {
		c.do("POST", fmt.Sprintf("/chat/conversations/%d/messages", sofie), []map[string]any{{"message": text, "author": map[string]any{"email": "sofie@lind.example"}}}, nil)
	}

	p := startBrowser(t, base, shots)
	p.do("open the sign-in page", chromedp.Navigate(base+"/signin"), chromedp.WaitVisible(chromedp.ID("community")))
	p.do("fill in the sign-in form",
		chromedp.SendKeys(chromedp.ID("community"), community),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password))
	p.follow("sign in", chromedp.Click(chromedp.CSS(`form[action$="/signin"] button[type=submit]`)))

	// The desk: two waiting, Ann away until she goes online.
	p.follow("open the chat desk", chromedp.Click(linkText("header.top nav", "Live chat")))
	p.expectText("#queue-heading", "2 waiting")
	rows := browserRun(p, "read the queue", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('table.queue tbody tr'), r => r.cells[1].textContent.trim())`))
	if strings.Join(rows, ",") != "Sofie Lind,Erik Moe" {
		p.fail("queue %q, want Sofie Lind then Erik Moe", rows)
	}
	p.expectText("#me-heading", "away")
	p.do("choose online", chromedp.Click(chromedp.CSS(`form.presence input[value=online]`)))
	p.follow("save the presence", chromedp.Click(chromedp.CSS(`form.presence button[type=submit]`)))
	p.expectText("#me-heading", "online")
	p.expectText(".desk-team", "Ann Agent")

	// A client who starts a chat now shows on the open desk, and in its tab.
	p.do("wait for the live stream", chromedp.Poll[chromedp.Void](
		`(window.__openboardsStreams || []).some(s => s.readyState === 1)`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	open("Jonas Berg", "jonas@berg.example", "Copy of an invoice", "Could you send me a copy of invoice 7781?", false)
	p.do("wait for the new client on the desk", chromedp.Poll[chromedp.Void](
		`document.getElementById('queue-heading').textContent.includes('3 waiting') && document.title.startsWith('(3) Live chat')`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(chatMessageWithin)))
	p.screenshot("chat-desk.png", 1280, 800)

	// Take next opens Sofie's conversation, first in line.
	p.follow("take next", chromedp.Click(chromedp.CSS(`form.take-next button[type=submit]`)))
	p.expectText("article.ticket h2", "Discount code refused")
	p.expectText(".chat-state .state", "Handled by Ann Agent")
	p.expectText("article.ticket .thread", sofieFirst)
	var q struct{ Position int }
	c.do("GET", fmt.Sprintf("/chat/conversations/%d/queue", sofie), nil, &q)
	if q.Position != -1 {
		t.Fatalf("the taken conversation is at %d in the queue, want -1", q.Position)
	}

	// The client's message shows without a reload.
	p.do("wait for the live stream", chromedp.Poll[chromedp.Void](
		`(window.__openboardsStreams || []).some(s => s.readyState === 1)`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	p.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__sameDocument = true`))
	texts := conversationStream(t, c, sofie)
	threadHas := func(what, text string) {
		t.Helper()
		q, _ := json.Marshal(text)
		p.do(what, chromedp.Poll[chromedp.Void](
			fmt.Sprintf(`Array.from(document.querySelectorAll('article.ticket .thread .message')).some(m => m.textContent.includes(%s))`, q),
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(chatMessageWithin)))
	}
	sent := time.Now()
	clientSays(sofieNext)
	threadHas("wait for the client's message", sofieNext)
	t.Logf("the client's message showed in the conversation %v after it was posted", time.Since(sent).Round(time.Millisecond))

	// Ann answers with Enter; the client's stream sees her typing, then
	// receives it.
	p.do("type the answer", chromedp.Click(chromedp.ID("reply")), chromedp.SendKeys(chromedp.ID("reply"), annReply))
	for timeout := time.After(chatMessageWithin); ; {
		var got string
		select {
		case got = <-texts:
		case <-timeout:
			t.Fatal("the client's stream did not see Ann typing")
		}
		if got == "typing: Ann Agent" {
			break
		}
		if !strings.HasPrefix(got, "Sofie Lind: ") {
			t.Fatalf("before Ann's typing the client's stream received %q", got)
		}
	}
	sent = time.Now()
	p.pressEnter("send with Enter")
	threadHas("wait for the answer in the thread", annReply)
	// teamSays returns the next team message of the client's stream,
	// after the client's own and the typing.
	teamSays := func() string {
		t.Helper()
		timeout := time.After(chatMessageWithin)
		for {
			select {
			case got, ok := <-texts:
				if !ok {
					t.Fatal("the client's stream ended")
				}
				if !strings.HasPrefix(got, "Sofie Lind: ") && !strings.HasPrefix(got, "typing: ") {
					return got
				}
			case <-timeout:
				t.Fatal("the client's stream did not receive the teammate's message")
			}
		}
	}
	if got := teamSays(); got != "Ann Agent: "+annReply {
		t.Fatalf("the client's stream received %q", got)
	}
	t.Logf("the teammate's message reached the client's stream %v after Enter", time.Since(sent).Round(time.Millisecond))
	if v := browserRun(p, "read the composer", chromedp.Evaluate[string](`document.getElementById('reply').value`)); v != "" {
		p.fail("the composer still holds %q after sending", v)
	}

	// The client typing shows in the conversation.
	c.do("POST", fmt.Sprintf("/chat/conversations/%d/typing", sofie), nil, nil)
	p.do("wait for the typing indicator", chromedp.Poll[chromedp.Void](
		`(el => el && !el.hidden && el.textContent === 'Sofie Lind is typing…')(document.querySelector('article.ticket .typing-indicator'))`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(chatMessageWithin)))

	// While Ann types her next message, the client's arrives: the thread
	// updates, what she typed stays, and the indicator goes.
	p.do("start typing", chromedp.SendKeys(chromedp.ID("reply"), annLater))
	clientSays(sofieLast)
	threadHas("wait for the client's message while typing", sofieLast)
	if v := browserRun(p, "read the composer", chromedp.Evaluate[string](`document.getElementById('reply').value`)); v != annLater {
		p.fail("the composer holds %q after the live update, want %q", v, annLater)
	}
	if browserRun(p, "read the typing indicator", chromedp.Evaluate[bool](`!document.querySelector('article.ticket .typing-indicator').hidden`)) {
		p.fail("the typing indicator still shows after the client's message")
	}
	if browserRun(p, "look for the reload notice", chromedp.Evaluate[bool](`document.querySelector('.live-notice').textContent !== ''`)) {
		p.fail("the page offers a reload although only the thread changed")
	}
	if !browserRun(p, "check the page was not reloaded", chromedp.Evaluate[bool](`window.__sameDocument === true`)) {
		p.fail("the page was reloaded during the chat")
	}
	p.pressEnter("send the second answer")
	threadHas("wait for the second answer", annLater)
	if got := teamSays(); got != "Ann Agent: "+annLater {
		t.Fatalf("the client's stream received %q", got)
	}
	var msgs []struct {
		Message string
		Author  struct {
			Name   string
			Status string
		}
	}
	c.do("GET", fmt.Sprintf("/chat/conversations/%d/messages?orderBy=creation_time_asc", sofie), nil, &msgs)
	var got []string
	for _, m := range msgs {
		got = append(got, m.Author.Status+": "+m.Message)
	}
	want := []string{"client: " + sofieFirst, "client: " + sofieNext, "team: " + annReply, "client: " + sofieLast, "team: " + annLater}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the conversation's messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	c.do("PATCH", fmt.Sprintf("/chat/conversations/%d/feedback", sofie), map[string]any{"isPositive": true, "text": "Fast and friendly"}, nil)
	p.do("wait for the feedback", chromedp.Poll[chromedp.Void](
		`(document.querySelector('.chat-state .feedback') || {textContent: ''}).textContent.includes('Fast and friendly')`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(chatMessageWithin)))
	p.screenshot("chat-conversation.png", 1280, 800)

	// Closing it from the inbox closes it for the client.
	p.follow("close the conversation", chromedp.Click(chromedp.CSS(`.chat-state form[action$="/status"] button[type=submit]`)))
	p.expectText(".chat-state .state", "Closed")
	var cv struct{ IsClosed bool }
	c.do("GET", fmt.Sprintf("/chat/conversations/%d", sofie), nil, &cv)
	if !cv.IsClosed {
		t.Fatal("the conversation closed in the inbox is open for the API")
	}

	p.mu.Lock()
	for _, e := range p.exceptions {
		t.Errorf("uncaught exception in a page: %s", e)
	}
	p.mu.Unlock()
	t.Logf("live chat browser test took %v", time.Since(started).Round(time.Millisecond))
}
