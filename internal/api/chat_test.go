package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"
)

type chatUser struct {
	CustomIdentifier *string `json:"customIdentifier"`
	Email            *string `json:"email"`
	ID               string  `json:"id"`
	IsBot            bool    `json:"isBot"`
	Name             string  `json:"name"`
	Status           string  `json:"status"`
}

type chatMessage struct {
	Author       chatUser `json:"author"`
	CreationTime string   `json:"creationTime"`
	ID           int64    `json:"id"`
	Message      string   `json:"message"`
}

type conversation struct {
	Author   chatUser `json:"author"`
	Feedback *struct {
		IsPositive bool
		Text       string
	} `json:"feedback"`
	ID                int64         `json:"id"`
	InitialPageURL    *string       `json:"initialPageUrl"`
	LatestPageURL     *string       `json:"latestPageUrl"`
	IsClosed          bool          `json:"isClosed"`
	IsTakeoverEnabled bool          `json:"isTakeoverEnabled"`
	Messages          []chatMessage `json:"messages"`
	QueuePositionInfo struct {
		Position int  `json:"position"`
		WaitTime *int `json:"waitTime"`
	} `json:"queuePositionInfo"`
	TotalMessagesCount int `json:"totalMessagesCount"`
}

func TestChatConversation(t *testing.T) {
	b := setup(t)
	c := b.client
	created := decode[conversation](t, c.ok(t, "POST", "/chat/conversations", map[string]any{
		"author": map[string]any{"name": "John", "customIdentifier": "  CUS-12345 "},
		"title":  "Chat API Client Problems", "url": "https://thejohndow.com", "sentiment": "question",
	}))
	if created.ID == 0 || created.Author.Name != "John" || created.Author.CustomIdentifier == nil || *created.Author.CustomIdentifier != "cus-12345" {
		t.Fatalf("created %+v", created)
	}
	if !created.IsTakeoverEnabled || created.IsClosed || created.QueuePositionInfo.Position != 1 || created.TotalMessagesCount != 0 {
		t.Fatalf("created state %+v", created)
	}
	if created.InitialPageURL == nil || *created.InitialPageURL != "https://thejohndow.com" || created.LatestPageURL == nil {
		t.Fatalf("page urls %v %v", created.InitialPageURL, created.LatestPageURL)
	}
	second := decode[conversation](t, c.ok(t, "POST", "/chat/conversations", map[string]any{"author": map[string]any{"email": "eve@example.com"}}))
	q := decode[struct{ Position int }](t, c.ok(t, "GET", fmt.Sprintf("/chat/conversations/%d/queue", second.ID), nil))
	if q.Position != 2 {
		t.Fatalf("second in line at %d", q.Position)
	}

	// The conversation is a ticket of source chat.
	tk := c.ticket(t, created.ID)
	if tk.Source != "chat" || tk.Title != "Chat API Client Problems" {
		t.Fatalf("ticket %+v", tk)
	}

	// Messages: the customer found by identifier (any case), a past time kept, a client id deduplicated.
	path := fmt.Sprintf("/chat/conversations/%d/messages", created.ID)
	past := "2023-10-19T10:00:58.84+00:00"
	body := []map[string]any{
		{"message": "Hello", "author": map[string]any{"customIdentifier": "cus-12345"}, "clientMessageId": "m1"},
		{"message": "Earlier", "author": map[string]any{"customIdentifier": "CUS-12345"}, "creationTime": past},
	}
	added := decode[[]chatMessage](t, c.ok(t, "POST", path, body))
	if len(added) != 2 || added[0].Author.ID != created.Author.ID || added[1].CreationTime != past {
		t.Fatalf("added %+v", added)
	}
	again := decode[[]chatMessage](t, c.ok(t, "POST", path, body[:1]))
	if len(again) != 1 || again[0].ID != added[0].ID {
		t.Fatalf("retried message %+v, want the first one back", again)
	}
	list := decode[[]chatMessage](t, c.ok(t, "GET", path+"?orderBy=creation_time_asc", nil))
	if len(list) != 2 || list[0].Message != "Earlier" || list[1].Message != "Hello" {
		t.Fatalf("oldest first %+v", list)
	}
	got := decode[conversation](t, c.ok(t, "GET", fmt.Sprintf("/chat/conversations/%d?includeMessages=true&orderyBy=creation_time_desc", created.ID), nil))
	if len(got.Messages) != 2 || got.Messages[0].Message != "Hello" || got.TotalMessagesCount != 2 {
		t.Fatalf("get with messages %+v", got)
	}
	// Context messages count but raise nothing.
	ctxMsgs := decode[[]chatMessage](t, c.ok(t, "POST", fmt.Sprintf("/chat/conversations/%d/previousMessages", created.ID),
		[]map[string]any{{"message": "From the CRM", "author": map[string]any{"email": "john@dow.com"}, "creationTime": "2023-08-22T14:50:07.21+00:00"}}))
	if len(ctxMsgs) != 1 || ctxMsgs[0].Author.Status != "client" {
		t.Fatalf("context %+v", ctxMsgs)
	}

	// Rules: a clear 400 naming the field, nothing written.
	future := b.clock.Now().Add(35 * time.Second).Format(time.RFC3339Nano)
	before := b.snapshot(t)
	c.fail(t, "POST", path, []map[string]any{{"message": "x", "author": map[string]any{"name": "x"}}}, http.StatusBadRequest, "[0].author: give id, email or customIdentifier")
	c.fail(t, "POST", path, []map[string]any{{"message": "x", "author": map[string]any{"email": "a@example.com"}, "creationTime": future}}, http.StatusBadRequest, "[0].creationTime: more than 30 seconds in the future")
	c.fail(t, "POST", path, map[string]any{"message": "x"}, http.StatusBadRequest, "")
	c.fail(t, "POST", path, []map[string]any{{"message": "ok", "author": map[string]any{"email": "a@example.com"}}, {"message": "", "author": map[string]any{"email": "a@example.com"}}}, http.StatusBadRequest, "[1].message")
	c.fail(t, "POST", path, []map[string]any{{"message": "x", "author": map[string]any{"email": "a@example.com", "image": "not a url"}}}, http.StatusBadRequest, "[0].author.image")
	c.fail(t, "POST", path, []map[string]any{{"message": "x", "author": map[string]any{"id": "fc2481f6-28a4-4ca7-849a-344fd6ab1b20"}}}, http.StatusBadRequest, "[0].author.id")
	c.fail(t, "POST", path, []map[string]any{{"message": "x", "author": map[string]any{"email": "a@example.com"}, "isByTeam": true}}, http.StatusBadRequest, "[0].isByTeam")
	c.fail(t, "POST", "/chat/conversations", map[string]any{"author": map[string]any{"email": "a@example.com"}, "categoryId": 999999}, http.StatusBadRequest, "categoryId")
	c.fail(t, "POST", "/chat/conversations", map[string]any{"author": map[string]any{"email": "a@example.com"}, "url": "javascript:alert(1)"}, http.StatusBadRequest, "url")
	c.fail(t, "POST", "/chat/conversations", map[string]any{"title": "no author"}, http.StatusBadRequest, "author: required")
	c.fail(t, "GET", path+"?take=101", nil, http.StatusBadRequest, "take")
	c.fail(t, "GET", path+"?orderBy=newest", nil, http.StatusBadRequest, "orderBy")
	if after := b.snapshot(t); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("a refused request wrote something")
	}

	// Takeover: a bot conversation does not wait; handing it to a person queues it.
	bot := decode[conversation](t, c.ok(t, "POST", "/chat/conversations", map[string]any{"author": map[string]any{"email": "bot-user@example.com"}, "isBotEnabled": true}))
	if bot.IsTakeoverEnabled || bot.QueuePositionInfo.Position != -1 {
		t.Fatalf("bot conversation %+v", bot)
	}
	botPath := fmt.Sprintf("/chat/conversations/%d", bot.ID)
	byBot := decode[[]chatMessage](t, c.ok(t, "POST", botPath+"/messages", []map[string]any{{"message": "I am a bot", "author": map[string]any{"isBot": true}}}))
	if !byBot[0].Author.IsBot || byBot[0].Author.Status != "bot" {
		t.Fatalf("bot message author %+v", byBot[0].Author)
	}
	st := decode[struct{ IsAssignedToBot bool }](t, c.ok(t, "PATCH", botPath+"/takeover", map[string]any{"isAssignedToBot": false}))
	if st.IsAssignedToBot {
		t.Fatal("still with the bot")
	}
	if q := decode[struct{ Position int }](t, c.ok(t, "GET", botPath+"/queue", nil)); q.Position != 3 {
		t.Fatalf("handed-off conversation at %d, want 3", q.Position)
	}
	// Assigning the first through the Ticket API moves the others up.
	c.ok(t, "PATCH", fmt.Sprintf("/tickets/%d/assignee", created.ID), map[string]any{"assigneeId": b.agent.ID, "previousAssigneeId": nil})
	if q := decode[struct{ Position int }](t, c.ok(t, "GET", botPath+"/queue", nil)); q.Position != 2 {
		t.Fatalf("after an assignment at %d, want 2", q.Position)
	}
	c.ok(t, "PATCH", botPath+"/takeover", map[string]any{"isAssignedToBot": false, "assigneeId": b.agent.ID})
	if q := decode[struct{ Position int }](t, c.ok(t, "GET", botPath+"/queue", nil)); q.Position != -1 {
		t.Fatalf("assigned at takeover: position %d", q.Position)
	}
	c.fail(t, "PATCH", botPath+"/takeover", map[string]any{"isAssignedToBot": true, "assigneeId": "fc2481f6-28a4-4ca7-849a-344fd6ab1b20"}, http.StatusBadRequest, "assigneeId")

	// Feedback, page, close.
	fb := decode[struct {
		IsPositive bool
		Text       string
	}](t, c.ok(t, "PATCH", fmt.Sprintf("/chat/conversations/%d/feedback", created.ID), map[string]any{"isPositive": true, "text": "Nice, thank you!"}))
	if !fb.IsPositive || fb.Text != "Nice, thank you!" {
		t.Fatalf("feedback %+v", fb)
	}
	moved := decode[conversation](t, c.ok(t, "PATCH", fmt.Sprintf("/chat/conversations/%d/latestUrl", created.ID), map[string]any{"url": "https://thejohndow.com/pricing"}))
	if *moved.LatestPageURL != "https://thejohndow.com/pricing" || *moved.InitialPageURL != "https://thejohndow.com" || moved.Feedback == nil {
		t.Fatalf("after latestUrl %+v", moved)
	}
	closed := decode[conversation](t, c.ok(t, "PATCH", fmt.Sprintf("/chat/conversations/%d/close", created.ID), nil))
	if !closed.IsClosed || closed.QueuePositionInfo.Position != -1 {
		t.Fatalf("closed %+v", closed)
	}
	c.ok(t, "PATCH", fmt.Sprintf("/chat/conversations/%d/close", created.ID), nil)
	c.fail(t, "POST", path, body[1:], http.StatusConflict, "is closed")
	if tk := c.ticket(t, created.ID); tk.Status != "completed" {
		t.Fatalf("closed conversation's ticket is %s", tk.Status)
	}

	// Another community sees none of it; a plain ticket is no conversation.
	other := b.newTenant(t, "globex")
	other.client.fail(t, "GET", fmt.Sprintf("/chat/conversations/%d", created.ID), nil, http.StatusNotFound, "not found")
	other.client.fail(t, "POST", path, body[:1], http.StatusNotFound, "not found")
	plain := c.createTicket(t, simpleTicket("Not a chat"))
	c.fail(t, "GET", fmt.Sprintf("/chat/conversations/%d", plain), nil, http.StatusNotFound, "not found")
	c.fail(t, "POST", fmt.Sprintf("/chat/conversations/%d/messages", plain), body[:1], http.StatusNotFound, "not found")
}

// createdID reads the id of a conversation answer.
func (b *bundle) createdID(t testing.TB, raw []byte) int64 {
	t.Helper()
	var env struct {
		Data struct {
			ID int64 `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || env.Data.ID == 0 {
		t.Fatalf("no conversation id in %s (%v)", raw, err)
	}
	return env.Data.ID
}

// TestChatEvents follows one conversation through the outbox to a
// receiver: the chat events arrive in order, beside the ticket events the
// endpoint also subscribed to, with the conversation as it was.
func TestChatEvents(t *testing.T) {
	t.Parallel()
	b := setupWith(t, options{Dispatch: true})
	e := newEndpoint(t, "chat", "verify")
	hook := b.client.createWebhook(t, e, "conversation_created", "conversation_message_added", "conversation_takeover_state_changed",
		"conversation_closed", "conversation_status_changed", "reply_creation")
	c := b.client
	conv := decode[conversation](t, c.ok(t, "POST", "/chat/conversations", map[string]any{
		"author": map[string]any{"email": "john@dow.com", "name": "John"}, "isBotEnabled": true, "url": "https://thejohndow.com"}))
	path := fmt.Sprintf("/chat/conversations/%d", conv.ID)
	c.ok(t, "POST", path+"/previousMessages", []map[string]any{{"message": "from elsewhere", "author": map[string]any{"email": "john@dow.com"}}})
	c.ok(t, "POST", path+"/messages", []map[string]any{{"message": "Hi", "author": map[string]any{"email": "john@dow.com"}}})
	c.ok(t, "PATCH", path+"/takeover", map[string]any{"isAssignedToBot": false})
	c.ok(t, "POST", fmt.Sprintf("/tickets/%d/replies", conv.ID), map[string]any{"author": map[string]any{"email": "anna.agent@example.com"}, "message": "Hello John"})
	c.ok(t, "PATCH", path+"/close", nil)

	want := []string{"conversation_created", "reply_creation", "conversation_message_added", "conversation_takeover_state_changed",
		"reply_creation", "conversation_message_added", "conversation_status_changed", "conversation_closed"}
	got := e.waitNotifications(t, len(want))
	var types []string
	for _, n := range got {
		types = append(types, decodeBody(t, n).EventType)
	}
	// The agent's reply leaves the conversation open (unlike a ticket's):
	// its one status change is the close.
	if fmt.Sprint(types) != fmt.Sprint(want) {
		t.Fatalf("events %v, want %v", types, want)
	}
	var created struct {
		TicketID int64 `json:"TicketId"`
		Events   []struct {
			ConversationID int64 `json:"ConversationId"`
			Conversation   struct {
				IsTakeoverEnabled bool
				InitialPageURL    string `json:"InitialPageUrl"`
				QueuePositionInfo struct{ Position int }
			}
		}
	}
	if err := json.Unmarshal(got[0].Body, &created); err != nil {
		t.Fatal(err)
	}
	ev := created.Events[0]
	if created.TicketID != conv.ID || ev.ConversationID != conv.ID || ev.Conversation.IsTakeoverEnabled ||
		ev.Conversation.InitialPageURL != "https://thejohndow.com" || ev.Conversation.QueuePositionInfo.Position != -1 {
		t.Fatalf("conversation_created %s", got[0].Body)
	}
	var message struct {
		Events []struct {
			Message      struct{ Message string }
			Conversation struct{ TotalMessagesCount int }
		}
	}
	if err := json.Unmarshal(got[2].Body, &message); err != nil {
		t.Fatal(err)
	}
	if m := message.Events[0]; m.Message.Message != "Hi" || m.Conversation.TotalMessagesCount != 2 {
		t.Fatalf("conversation_message_added %s", got[2].Body)
	}
	for _, n := range got {
		checkSigned(t, n, hook.Secret)
	}
}
