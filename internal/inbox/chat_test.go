package inbox_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"openboards/internal/chat"
	"openboards/internal/openboards"
)

// conversation opens a conversation in acme by a new client.
func (h *harness) conversation(name string, bot bool) int64 {
	h.t.Helper()
	v, err := h.chat.Create(h.ctx, h.acme, chat.CreateInput{Author: &chat.UserValue{Name: name, Email: strings.ToLower(name) + "@example.com"},
		Title: "Chat with " + name, IsBotEnabled: bot})
	if err != nil {
		h.t.Fatal(err)
	}
	return v.Ticket.ID
}

// say adds a message to a conversation as its client (or its bot).
func (h *harness) say(id int64, text string, bot bool) {
	h.t.Helper()
	t := h.ticket(id)
	author := &chat.UserValue{ID: t.AuthorID}
	if bot {
		author = &chat.UserValue{IsBot: true, Name: "Helper"}
	}
	if _, err := h.chat.AddMessages(h.ctx, h.acme, id, []chat.MessageInput{{Author: author, Message: text}}, false); err != nil {
		h.t.Fatal(err)
	}
}

var queueRow = regexp.MustCompile(`<tr data-ticket-id="(\d+)">\s*<td>(\d+)</td><td>([^<]*)</td>`)

// queueRows lists the desk's queue as "position name #id".
func queueRows(page string) []string {
	var out []string
	for _, m := range queueRow.FindAllStringSubmatch(page, -1) {
		out = append(out, m[2]+" "+m[3]+" #"+m[1])
	}
	return out
}

func TestChatDesk(t *testing.T) {
	h := newHarness(t)
	ann, bo := h.conversation("Ann", false), h.conversation("Bo", false)
	h.conversation("Cy", true) // with its bot: not in line
	b := h.signedIn("max@acme.test")
	page := b.ok("/acme/chat")
	if got, want := strings.Join(queueRows(page), ", "), fmt.Sprintf("1 Ann #%d, 2 Bo #%d", ann, bo); got != want {
		t.Fatalf("queue %q, want %q", got, want)
	}
	for _, want := range []string{"<title>(2) Live chat · Openboards</title>", "2 waiting", "You: away", "You hold 0 of 4 conversations", "no estimate yet", "Take next</button>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the desk lacks %q", want)
		}
	}
	csrf := b.csrf(page)

	// Going online at capacity 1.
	r := b.post("/acme/chat/presence", url.Values{"csrf": {csrf}, "status": {"online"}, "capacity": {"1"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("presence: %d\n%s", r.StatusCode, r.body)
	}
	page = b.ok("/acme/chat")
	if !strings.Contains(page, "You: online") || !strings.Contains(page, "You hold 0 of 1 conversations") {
		t.Fatalf("after going online:\n%s", page)
	}
	// A bad capacity says so and changes nothing.
	for _, bad := range []url.Values{{"status": {"online"}, "capacity": {"0"}}, {"status": {"online"}, "capacity": {"many"}}, {"status": {"busy"}, "capacity": {"2"}}} {
		bad.Set("csrf", csrf)
		r = b.post("/acme/chat/presence", bad)
		field := "capacity"
		if bad.Get("status") == "busy" {
			field = "status"
		}
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, field+":") {
			t.Errorf("presence %v: %d, want 400 naming %s", bad, r.StatusCode, field)
		}
	}
	if p, err := h.store.FindPresence(h.ctx, h.acme.ID, h.member.ID); err != nil || p.Capacity != 1 || p.Status != openboards.PresenceOnline {
		t.Fatalf("presence after refusals %+v, %v", p, err)
	}

	// Take next: the first in line, shown as handled by Max.
	r = b.post("/acme/chat/next", url.Values{"csrf": {csrf}})
	if r.StatusCode != http.StatusSeeOther || !strings.HasSuffix(r.Header.Get("Location"), "ticketId="+strconv.FormatInt(ann, 10)) {
		t.Fatalf("take next: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if a := h.ticket(ann).AssigneeID; a == nil || *a != h.member.ID {
		t.Fatalf("Ann's conversation assigned to %v", deref(a))
	}
	page = b.ok(r.Header.Get("Location"))
	if !strings.Contains(page, "Handled by Max Member") || !strings.Contains(page, "data-chat-send") || !strings.Contains(page, "Close conversation") {
		t.Fatalf("the taken conversation:\n%s", page)
	}
	// Max is at capacity now: the next stays in line.
	r = b.post("/acme/chat/next", url.Values{"csrf": {csrf}})
	if r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "capacity") {
		t.Fatalf("take beyond capacity: %d\n%s", r.StatusCode, r.body)
	}
	if h.ticket(bo).AssigneeID != nil {
		t.Fatal("Bo's conversation was taken beyond capacity")
	}
	page = b.ok("/acme/chat")
	if got := strings.Join(queueRows(page), ", "); got != fmt.Sprintf("1 Bo #%d", bo) {
		t.Fatalf("queue after taking %q", got)
	}
	if !strings.Contains(page, "You hold 1 of 1 conversations") || !strings.Contains(page, "Chat with Ann</a>") {
		t.Fatalf("the desk does not show Max's conversation:\n%s", page)
	}

	// Ada takes Bo's conversation from its row; Max cannot take it then.
	a := h.signedIn("ada@acme.test")
	r = a.post(fmt.Sprintf("/acme/tickets/%d/take", bo), url.Values{"csrf": {a.csrf(a.ok("/acme/chat"))}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("take: %d\n%s", r.StatusCode, r.body)
	}
	before := h.snapshot(bo)
	r = b.post(fmt.Sprintf("/acme/tickets/%d/take", bo), url.Values{"csrf": {csrf}})
	if r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "Ada Admin has taken") {
		t.Fatalf("take another's: %d\n%s", r.StatusCode, r.body)
	}
	if h.snapshot(bo) != before {
		t.Fatal("a refused take changed the conversation")
	}
	// With nobody waiting, take next says so.
	if err := h.chat.SetPresence(h.ctx, h.acme, h.member.ID, openboards.PresenceOnline, 5); err != nil {
		t.Fatal(err)
	}
	r = b.post("/acme/chat/next", url.Values{"csrf": {csrf}})
	if r.StatusCode != http.StatusSeeOther || !strings.Contains(b.ok(r.Header.Get("Location")), "Nobody is waiting.") {
		t.Fatalf("take next with nobody waiting: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
}

func TestChatDeskRefusals(t *testing.T) {
	h := newHarness(t)
	id := h.conversation("Ann", false)
	ro := h.signedIn("rita@acme.test")
	page := ro.ok("/acme/chat")
	if strings.Contains(page, "Take next") || strings.Contains(page, `name="capacity"`) {
		t.Error("a read-only teammate is offered chat actions")
	}
	csrf := ro.csrf(page)
	for _, path := range []string{"/acme/chat/next", "/acme/chat/presence", fmt.Sprintf("/acme/tickets/%d/take", id), fmt.Sprintf("/acme/tickets/%d/bot", id)} {
		if r := ro.post(path, url.Values{"csrf": {csrf}, "status": {"online"}, "capacity": {"2"}}); r.StatusCode != http.StatusForbidden {
			t.Errorf("read-only POST %s: %d, want 403", path, r.StatusCode)
		}
	}
	b := h.signedIn("max@acme.test")
	if r := b.get("/other/chat"); r.StatusCode != http.StatusNotFound {
		t.Errorf("another community's desk: %d", r.StatusCode)
	}
	// Without the form's token nothing happens.
	if r := b.post("/acme/chat/next", url.Values{}); r.StatusCode != http.StatusForbidden {
		t.Errorf("take next without csrf: %d", r.StatusCode)
	}
	if r := b.post("/acme/chat/seen", url.Values{}); r.StatusCode != http.StatusForbidden {
		t.Errorf("seen without csrf: %d", r.StatusCode)
	}
	if h.ticket(id).AssigneeID != nil {
		t.Fatal("a refused request took the conversation")
	}
	// A ticket is no conversation: nothing to take.
	tk := h.newTicket(h.acme, "Printer", "It jams")
	if r := b.post(fmt.Sprintf("/acme/tickets/%d/take", tk), url.Values{"csrf": {b.csrf(b.ok("/acme/chat"))}}); r.StatusCode != http.StatusNotFound {
		t.Errorf("take a ticket: %d", r.StatusCode)
	}
	if r := b.post("/acme/chat/seen", url.Values{"csrf": {b.csrf(b.ok("/acme/chat"))}}); r.StatusCode != http.StatusNoContent {
		t.Errorf("seen: %d", r.StatusCode)
	}
}

// The conversation view: the bot, taking over, handing back, feedback,
// the client's page, closing.
func TestChatConversationView(t *testing.T) {
	h := newHarness(t)
	id := h.conversation("Cy", true)
	h.say(id, "Where is my parcel?", false)
	h.say(id, "Let me find a person for you.", true)
	b := h.signedIn("max@acme.test")
	path := fmt.Sprintf("/acme/tickets?status=all&ticketId=%d", id)
	page := b.ok(path)
	for _, want := range []string{"With the bot", "Take over from the bot", "Where is my parcel?", "Public API (bot)", `data-stick="bottom"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the bot's conversation lacks %q", want)
		}
	}
	if strings.Contains(page, `<div class="message customer">
    
  </div>`) {
		t.Error("the conversation shows an empty first message")
	}
	csrf := b.csrf(page)
	if r := b.post(fmt.Sprintf("/acme/tickets/%d/take", id), url.Values{"csrf": {csrf}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("take over: %d\n%s", r.StatusCode, r.body)
	}
	if bot, _ := h.chat.Takeover(h.ctx, h.acme, id); bot {
		t.Fatal("the bot still holds it")
	}
	page = b.ok(path)
	if !strings.Contains(page, "Handled by Max Member") || !strings.Contains(page, "Hand back to the bot") || strings.Contains(page, "Take over from the bot") {
		t.Fatalf("after taking over:\n%s", page)
	}
	// The teammate's message is a team message of the conversation.
	if r := b.post(fmt.Sprintf("/acme/tickets/%d/reply", id), url.Values{"csrf": {csrf}, "message": {"Hi Cy, it is on its way."}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply: %d\n%s", r.StatusCode, r.body)
	}
	msgs, err := h.chat.Messages(h.ctx, h.acme, id, openboards.OldestFirst, 0, 10)
	if err != nil || len(msgs) != 3 || msgs[2].Message != "Hi Cy, it is on its way." || !msgs[2].IsByTeam || msgs[2].AuthorID != h.member.ID {
		t.Fatalf("messages after the reply: %v %+v", err, msgs)
	}
	if r := b.post(fmt.Sprintf("/acme/tickets/%d/bot", id), url.Values{"csrf": {csrf}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("hand back: %d", r.StatusCode)
	}
	if bot, _ := h.chat.Takeover(h.ctx, h.acme, id); !bot {
		t.Fatal("handing back left it with people")
	}
	// Feedback and the client's page are shown.
	if _, err := h.chat.SetFeedback(h.ctx, h.acme, id, openboards.Feedback{IsPositive: true, Text: "Quick, thanks"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.chat.SetLatestURL(h.ctx, h.acme, id, "https://shop.example.com/orders/7"); err != nil {
		t.Fatal(err)
	}
	page = b.ok(path)
	for _, want := range []string{"Feedback: positive: “Quick, thanks”", `href="https://shop.example.com/orders/7"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the conversation lacks %q", want)
		}
	}
	// Closing it: the state says so and the composer speaks of e-mail.
	if r := b.post(fmt.Sprintf("/acme/tickets/%d/status", id), url.Values{"csrf": {csrf}, "status": {"completed"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("close: %d", r.StatusCode)
	}
	page = b.ok(path)
	if !strings.Contains(page, `state-closed">Closed`) || strings.Contains(page, "data-chat-send") || !strings.Contains(page, "reaches the client by e-mail") {
		t.Fatalf("the closed conversation:\n%s", page)
	}
	if v, _ := h.chat.Get(h.ctx, h.acme, id, false, openboards.NewestFirst); v.Ticket.Status != openboards.TicketCompleted {
		t.Fatalf("closed conversation's status %s", v.Ticket.Status)
	}
	// A queued conversation shows its place.
	next := h.conversation("Dee", false)
	page = b.ok(fmt.Sprintf("/acme/tickets?status=all&ticketId=%d", next))
	if !strings.Contains(page, "Waiting in the queue: #1") || !strings.Contains(page, "Take this conversation") {
		t.Fatalf("the waiting conversation:\n%s", page)
	}
}

// Admins choose how waiting conversations reach teammates.
func TestChatRouting(t *testing.T) {
	h := newHarness(t)
	a := h.signedIn("ada@acme.test")
	page := a.ok("/acme/chat")
	if !strings.Contains(page, "Teammates take waiting conversations from the queue.") || !strings.Contains(page, `value="manual" checked`) {
		t.Fatalf("the desk does not show manual assignment:\n%s", page)
	}
	csrf := a.csrf(page)
	if r := a.post("/acme/chat/routing", url.Values{"csrf": {csrf}, "assign": {"sometimes"}}); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "assign:") {
		t.Fatalf("a bad choice: %d", r.StatusCode)
	}
	if st, _ := h.chat.Settings(h.ctx, h.acme); st.AutoAssign {
		t.Fatal("a refused choice was stored")
	}
	if r := a.post("/acme/chat/routing", url.Values{"csrf": {csrf}, "assign": {"auto"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("choose auto: %d\n%s", r.StatusCode, r.body)
	}
	if st, _ := h.chat.Settings(h.ctx, h.acme); !st.AutoAssign {
		t.Fatal("automatic assignment was not stored")
	}
	// Every teammate reads the choice; only admins make it.
	m := h.signedIn("max@acme.test")
	page = m.ok("/acme/chat")
	if !strings.Contains(page, "assigned automatically") || strings.Contains(page, "routing-form") {
		t.Fatalf("a team member's desk:\n%s", page)
	}
	if r := m.post("/acme/chat/routing", url.Values{"csrf": {m.csrf(page)}, "assign": {"manual"}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a team member chose: %d", r.StatusCode)
	}
	if st, _ := h.chat.Settings(h.ctx, h.other); st.AutoAssign {
		t.Fatal("another community's setting changed")
	}
	// With a teammate online with room, a waiting conversation is theirs.
	if err := h.chat.SetPresence(h.ctx, h.acme, h.member.ID, openboards.PresenceOnline, 2); err != nil {
		t.Fatal(err)
	}
	id := h.conversation("Ann", false)
	if n, err := h.chat.AutoAssign(h.ctx, h.acme); err != nil || n != 1 {
		t.Fatalf("auto-assign: %d, %v", n, err)
	}
	if a := h.ticket(id).AssigneeID; a == nil || *a != h.member.ID {
		t.Fatalf("assigned to %v", deref(a))
	}
}
