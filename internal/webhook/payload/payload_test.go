package payload

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"openboards/internal/openboards"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	base      = "https://inbox.example.com"
	community = "yourCompany"
)

// fixture holds the domain objects the tests render.
type fixture struct {
	customer, agent, bot openboards.User
	full, bare           *openboards.Ticket
	reply, topReply      *openboards.Reply
	note, plainNote      *openboards.Note
}

func newFixture() *fixture {
	cet := time.FixedZone("CET", 60*60)
	created := time.Date(2019, 12, 17, 8, 3, 48, 318717000, cet)
	active := time.Date(2019, 12, 17, 8, 10, 3, 818129100, cet)
	later := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

	f := &fixture{
		customer: openboards.User{ID: "35692164-bfaa-4c49-a23c-ecfa618f7d20", CommunityID: 7, Name: "Robert Baker",
			Email: ptr("robert78baker@example.com"), CustomIdentifier: ptr("rb-78"), Status: openboards.StatusClient, CreatedAt: created},
		agent: openboards.User{ID: "bd909b4a-84fb-46ba-9e0e-581d045ed18d", CommunityID: 7, Name: "Anna Agent",
			Email: ptr("anna.agent@example.com"), Image: ptr("https://cdn.example.com/anna.png"), Status: openboards.StatusTeam,
			Role: openboards.RoleTeamMember, CreatedAt: created},
		bot: openboards.User{ID: "0f6f7a43-5a55-4b5e-9d0c-3b0c2f5f0a11", CommunityID: 7, Name: "Public API", IsBot: true,
			Status: openboards.StatusBot, CreatedAt: created},
	}
	f.full = &openboards.Ticket{
		ID: 4478963, CommunityID: 7, Title: "I want to take my cat to a vet",
		Message: "a & b", HTMLMessage: `<div class="x">a & b</div>`,
		AuthorID: f.customer.ID, Author: &f.customer,
		CategoryID: ptr(int64(15721)), Category: &openboards.CategoryRef{ID: 15721, Name: "Other cases"},
		AssigneeID: ptr(f.agent.ID), Assignee: &f.agent,
		Status: openboards.TicketPending, Sentiment: ptr("question"),
		Source: "web", DetailedSource: "web_website", SourceName: ptr("Website"),
		OriginalLink: ptr("https://www.example.com/contact?from=a&to=b"),
		CC:           []string{"cc@example.com"}, Tags: []string{"VIP", "Billing Issue"},
		Attachments: []openboards.Attachment{
			{URL: "https://files.example.com/cat.png", Name: "cat.png", IsContentPart: true},
			{URL: "https://files.example.com/invoice.pdf", Name: "invoice.pdf"},
		},
		CustomFields: []openboards.FieldValue{{FieldID: 3, Value: "north"}},
		ReplyCount:   2, HasDraft: true, IsSensitive: true,
		CreatedAt: created, LastActivityAt: active, UpdatedAt: active,
	}
	f.bare = &openboards.Ticket{
		ID: 12, CommunityID: 7, Title: "New car price list.",
		Message:  "Hello, how can I get a price list?",
		AuthorID: f.customer.ID, Author: &f.customer,
		Status: openboards.TicketOpen, Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI,
		CreatedAt: later, LastActivityAt: later, UpdatedAt: later,
	}
	f.reply = &openboards.Reply{
		ID: 901, TicketID: f.full.ID, CommunityID: 7, AuthorID: f.agent.ID, Author: &f.agent,
		ParentReplyID: ptr(int64(900)), Level: 1,
		Message: "a & b", HTMLMessage: `<div class="x">a & b</div>`, IsByTeam: true,
		Tags:        []string{"answered"},
		Attachments: []openboards.Attachment{{URL: "https://files.example.com/price-list.pdf", Name: "price-list.pdf"}},
		CCEmails:    []string{"cc@example.com"}, ToEmails: []string{"robert78baker@example.com"},
		CreatedAt: active, UpdatedAt: active,
	}
	f.topReply = &openboards.Reply{
		ID: 900, TicketID: f.bare.ID, CommunityID: 7, AuthorID: f.customer.ID, Author: &f.customer,
		Message: "Thank you!", HTMLMessage: "<p>Thank you!</p>",
		CreatedAt: later, UpdatedAt: later,
	}
	f.note = &openboards.Note{
		ID: 55, TicketID: f.full.ID, CommunityID: 7, AuthorID: f.agent.ID, Author: &f.agent,
		Message: "Please check, Bot & Robert", HTMLMessage: ptr(`<p>Please check, <span data-user="x">Bot</span> & Robert</p>`),
		Attachments:      []openboards.Attachment{{URL: "https://www.example.com/images/logo.png", Name: "logo.png"}},
		MentionedUserIDs: []string{f.bot.ID, f.customer.ID},
		MentionedUsers:   []openboards.User{f.bot, f.customer},
		CreatedAt:        active, UpdatedAt: active,
	}
	f.plainNote = &openboards.Note{
		ID: 56, TicketID: f.bare.ID, CommunityID: 7, AuthorID: f.agent.ID, Author: &f.agent,
		Message: "Internal note", CreatedAt: later, UpdatedAt: later,
	}
	return f
}

// goldenCase is one rendering compared to testdata/<name>.json.
type goldenCase struct {
	name   string
	change openboards.Change
	ticket *openboards.Ticket
}

func goldenCases(f *fixture) []goldenCase {
	change := func(typ string, t *openboards.Ticket) openboards.Change {
		return openboards.Change{Type: typ, TicketID: t.ID}
	}
	withStatus := change(openboards.EventTicketStatusChange, f.full)
	withStatus.PreviousStatus = openboards.TicketOpen
	withTags := change(openboards.EventTicketTagsChange, f.full)
	withTags.PreviousTags = []string{"VIP"}
	tagsCleared := change(openboards.EventTicketTagsChange, f.bare) // PreviousTags nil
	categorySet := change(openboards.EventTicketCategoryChange, f.full)
	categoryCleared := change(openboards.EventTicketCategoryChange, f.bare)
	categoryCleared.PreviousCategoryID = ptr(int64(15721))
	replyCreated := change(openboards.EventReplyCreation, f.full)
	replyCreated.Reply = f.reply
	replyUpdated := change(openboards.EventReplyUpdate, f.bare)
	replyUpdated.Reply = f.topReply
	replyDeleted := change(openboards.EventReplyDeletion, f.full)
	replyDeleted.Reply = f.reply
	noteCreated := change(openboards.EventNoteCreation, f.full)
	noteCreated.Note = f.note
	noteUpdated := change(openboards.EventNoteUpdate, f.bare)
	noteUpdated.Note = f.plainNote
	noteDeleted := change(openboards.EventNoteDeletion, f.full)
	noteDeleted.Note = f.note

	// A conversation as in the documented conversation_created example.
	eet := time.FixedZone("EEST", 3*60*60)
	opened := time.Date(2023, 10, 25, 13, 39, 47, 851977900, eet)
	john := &openboards.User{ID: "fc2481f6-28a4-4ca7-849a-344fd6ab1b20", CommunityID: 7, Name: "John",
		Email: ptr("john@dow.com"), CustomIdentifier: ptr("cus-12345"), Status: openboards.StatusClient, CreatedAt: opened}
	chat := &openboards.Ticket{ID: 2555100, CommunityID: 7, Title: "Chat API Client Problems", AuthorID: john.ID, Author: john,
		Status: openboards.TicketOpen, Sentiment: ptr("question"), Source: openboards.SourceChat, DetailedSource: openboards.DetailedSourceChatAPI,
		CreatedAt: opened, LastActivityAt: opened, UpdatedAt: opened}
	conv := &openboards.Conversation{TicketID: chat.ID, CommunityID: 7, InitialPageURL: ptr("https://thejohndow.com"),
		LatestPageURL: ptr("https://thejohndow.com"), QueueSeq: 12, Queued: true, UpdatedAt: opened}
	eventAt := time.Date(2023, 10, 25, 13, 39, 57, 284458700, eet)
	conversation := func(typ string) openboards.Change {
		c := change(typ, chat)
		c.Conversation, c.Queue, c.At = conv, openboards.QueueInfo{Position: 12}, eventAt
		return c
	}
	answered := *chat
	answered.ReplyCount, answered.Status, answered.AssigneeID, answered.Assignee = 1, openboards.TicketPending, ptr(f.agent.ID), &f.agent
	answeredConv := *conv
	answeredConv.Queued, answeredConv.Feedback = false, &openboards.Feedback{IsPositive: true, Text: "Nice, thank you!"}
	messageAdded := conversation(openboards.EventConversationMessageAdded)
	messageAdded.Conversation, messageAdded.Queue = &answeredConv, openboards.QueueInfo{Position: openboards.NotQueued}
	messageAdded.Reply = &openboards.Reply{ID: 667155, TicketID: chat.ID, CommunityID: 7, AuthorID: f.agent.ID, Author: &f.agent,
		Message: "Hello John, how can I help?", HTMLMessage: "<p>Hello John, how can I help?</p>", IsByTeam: true,
		CreatedAt: eventAt, UpdatedAt: eventAt}
	botConv := *conv
	botConv.IsAssignedToBot, botConv.Queued = true, false
	takeover := conversation(openboards.EventConversationTakeover)
	takeover.Conversation, takeover.Queue = &botConv, openboards.QueueInfo{Position: openboards.NotQueued}
	closedTicket := answered
	closedTicket.Status = openboards.TicketCompleted
	closed := conversation(openboards.EventConversationClosed)
	closed.Conversation, closed.Queue = &answeredConv, openboards.QueueInfo{Position: openboards.NotQueued}
	closed.PreviousStatus = openboards.TicketPending
	statusChanged := closed
	statusChanged.Type = openboards.EventConversationStatusChanged
	waitsWithEstimate := conversation(openboards.EventConversationCreated)
	waitsWithEstimate.Queue = openboards.QueueInfo{Position: 1403, WaitTime: ptr(15)}
	return []goldenCase{
		{"conversation_created", conversation(openboards.EventConversationCreated), chat},
		{"conversation_created_wait", waitsWithEstimate, chat},
		{"conversation_message_added", messageAdded, &answered},
		{"conversation_takeover_state_changed", takeover, chat},
		{"conversation_closed", closed, &closedTicket},
		{"conversation_status_changed", statusChanged, &closedTicket},
		{"ticket_creation", change(openboards.EventTicketCreation, f.full), f.full},
		{"ticket_creation_bare", change(openboards.EventTicketCreation, f.bare), f.bare},
		{"ticket_status_change", withStatus, f.full},
		{"ticket_tags_change", withTags, f.full},
		{"ticket_tags_change_cleared", tagsCleared, f.bare},
		{"ticket_category_change", categorySet, f.full},
		{"ticket_category_change_cleared", categoryCleared, f.bare},
		{"reply_creation", replyCreated, f.full},
		{"reply_update", replyUpdated, f.bare},
		{"reply_deletion", replyDeleted, f.full},
		{"note_creation", noteCreated, f.full},
		{"note_update", noteUpdated, f.bare},
		{"note_deletion", noteDeleted, f.full},
	}
}

// sampleTime is the "now" of the sample golden file.
var sampleTime = time.Date(2024, 5, 6, 7, 8, 9, 123456700, time.UTC)

// rendered returns every golden rendering by name.
func rendered(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, tc := range goldenCases(newFixture()) {
		body, err := Render(base, community, tc.change, tc.ticket)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		out[tc.name] = body
	}
	body, err := Sample(base, community, openboards.EventTicketStatusChange, sampleTime)
	if err != nil {
		t.Fatalf("sample: %v", err)
	}
	out["sample_ticket_status_change"] = body
	return out
}

func TestGolden(t *testing.T) {
	for name, body := range rendered(t) {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := json.Indent(&buf, body, "", "    "); err != nil {
				t.Fatalf("indent: %v: %s", err, body)
			}
			buf.WriteByte('\n')
			path := filepath.Join("testdata", name+".json")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/webhook/payload -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
			}
		})
	}
}

func TestEveryEventTypeHasGolden(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range goldenCases(newFixture()) {
		seen[tc.change.Type] = true
	}
	for _, typ := range openboards.EventTypes {
		if !seen[typ] {
			t.Errorf("no golden case for %s", typ)
		}
	}
}

func TestCompact(t *testing.T) {
	for name, body := range rendered(t) {
		if bytes.ContainsAny(body, "\n\t") {
			t.Errorf("%s: body holds a newline or tab: %q", name, body)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, body); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(buf.Bytes(), body) {
			t.Errorf("%s: body is not compact:\n%s", name, body)
		}
	}
}

func TestHTMLNotEscaped(t *testing.T) {
	body := rendered(t)["reply_creation"]
	if !bytes.Contains(body, []byte(`"HtmlMessage":"<div class=\"x\">a & b</div>"`)) {
		t.Errorf("HTML message not written raw:\n%s", body)
	}
	for _, esc := range []string{`\u003c`, `\u003e`, `\u0026`} {
		if bytes.Contains(body, []byte(esc)) {
			t.Errorf("body holds %s:\n%s", esc, body)
		}
	}
	if !bytes.Contains(body, []byte(`"OriginalLink":"https://www.example.com/contact?from=a&to=b"`)) {
		t.Errorf("original link escaped:\n%s", body)
	}
}

func TestEnvelopeOrder(t *testing.T) {
	want := []string{"CommunityName", "EventType", "TicketId", "Events"}
	for name, body := range rendered(t) {
		if diff := cmp.Diff(want, keys(t, body)); diff != "" {
			t.Errorf("%s: envelope keys (-want +got):\n%s", name, diff)
		}
	}
}

func TestShapes(t *testing.T) {
	ticket := []string{"Id", "Title", "Message", "HtmlMessage", "Author", "Category", "CreationTime",
		"LastThreadElementCreationTime", "LockedBy", "OriginalLink", "Properties", "ReplyCount", "IsMuted", "Sentiment",
		"Source", "DetailedSource", "SourceName", "Status", "Tags", "Attachments"}
	properties := []string{"IsAnonymized", "IsMuted", "HasAttachments", "HasDraft", "IsAssignedToBot", "IsDeleted",
		"IsExpired", "IsHidden", "IsLocked", "IsSpam", "IsSensitive"}
	user := []string{"CustomIdentifier", "Id", "Name", "Image", "Email", "Status", "IsBot"}
	attachment := []string{"IsContentPart", "Name", "Url"}
	reply := []string{"Attachments", "Author", "CcEmails", "CreationTime", "HtmlMessage", "Id", "Level", "Message",
		"ParentReplyId", "Properties", "Tags", "TicketId", "ToEmails"}
	note := []string{"Id", "Message", "HtmlMessage", "Attachments", "Author", "MentionedUsers", "CreationTime"}

	bodies := rendered(t)
	for _, tc := range []struct {
		name, path string
		want       []string
	}{
		{"ticket_creation", "Events.0", []string{"InboxLink", "Ticket"}},
		{"ticket_creation", "Events.0.Ticket", ticket},
		{"ticket_creation", "Events.0.Ticket.Author", user},
		{"ticket_creation", "Events.0.Ticket.LockedBy", user},
		{"ticket_creation", "Events.0.Ticket.Category", []string{"Id", "Name"}},
		{"ticket_creation", "Events.0.Ticket.Properties", properties},
		{"ticket_creation", "Events.0.Ticket.Attachments.0", attachment},
		{"ticket_creation_bare", "Events.0.Ticket", ticket},
		{"ticket_status_change", "Events.0", []string{"InboxLink", "PreviousTicketStatus", "Ticket"}},
		{"ticket_tags_change", "Events.0", []string{"InboxLink", "PreviousTicketTags", "Ticket"}},
		{"ticket_category_change", "Events.0", []string{"InboxLink", "PreviousTicketCategoryId", "Ticket"}},
		{"reply_creation", "Events.0", []string{"InboxLink", "Reply", "Ticket"}},
		{"reply_update", "Events.0", []string{"InboxLink", "Reply", "Ticket"}},
		{"reply_deletion", "Events.0", []string{"InboxLink", "Reply", "Ticket"}},
		{"reply_creation", "Events.0.Reply", reply},
		{"reply_creation", "Events.0.Reply.Author", user},
		{"reply_creation", "Events.0.Reply.Properties", []string{"IsByTeam", "IsDraft", "IsHidden"}},
		{"reply_creation", "Events.0.Reply.Attachments.0", attachment},
		{"note_creation", "Events.0", []string{"InboxLink", "Note", "Ticket"}},
		{"note_update", "Events.0", []string{"InboxLink", "Note", "Ticket"}},
		{"note_deletion", "Events.0", []string{"InboxLink", "Note", "Ticket"}},
		{"note_creation", "Events.0.Note", note},
		{"note_creation", "Events.0.Note.MentionedUsers.0", user},
		{"note_creation", "Events.0.Note.Attachments.0", attachment},
		{"sample_ticket_status_change", "Events.0.Ticket", ticket},
	} {
		t.Run(tc.name+"/"+tc.path, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, keys(t, at(t, bodies[tc.name], tc.path))); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("Values", func(t *testing.T) {
		for _, tc := range []struct {
			name, path, want string
		}{
			{"ticket_creation", "Events", "array of 1"},
			{"ticket_creation", "Events.0.Ticket.Attachments.0", `{"IsContentPart":true,"Name":"cat.png","Url":"https://files.example.com/cat.png"}`},
			{"ticket_creation", "Events.0.Ticket.Category", `{"Id":15721,"Name":"Other cases"}`},
			{"ticket_creation", "Events.0.Ticket.LockedBy.Id", `"bd909b4a-84fb-46ba-9e0e-581d045ed18d"`},
			{"ticket_creation", "Events.0.Ticket.Properties.HasAttachments", "true"},
			{"ticket_creation", "Events.0.Ticket.Properties.IsLocked", "true"},
			{"ticket_creation", "Events.0.Ticket.Properties.IsAssignedToBot", "false"},
			{"ticket_creation", "Events.0.Ticket.Properties.IsExpired", "false"},
			{"ticket_creation", "Events.0.Ticket.Properties.HasDraft", "true"},
			{"ticket_creation", "Events.0.Ticket.Properties.IsSensitive", "true"},
			{"ticket_creation", "Events.0.Ticket.Status", `"pending"`},
			{"ticket_creation", "Events.0.Ticket.Tags", `["VIP","Billing Issue"]`},
			{"ticket_creation_bare", "Events.0.Ticket.Attachments", "null"},
			{"ticket_creation_bare", "Events.0.Ticket.Category", "null"},
			{"ticket_creation_bare", "Events.0.Ticket.LockedBy", "null"},
			{"ticket_creation_bare", "Events.0.Ticket.Sentiment", "null"},
			{"ticket_creation_bare", "Events.0.Ticket.SourceName", "null"},
			{"ticket_creation_bare", "Events.0.Ticket.OriginalLink", "null"},
			{"ticket_creation_bare", "Events.0.Ticket.Tags", "[]"},
			{"ticket_creation_bare", "Events.0.Ticket.Properties.HasAttachments", "false"},
			{"ticket_creation_bare", "Events.0.Ticket.Properties.IsLocked", "false"},
			{"ticket_status_change", "Events.0.PreviousTicketStatus", `"open"`},
			{"ticket_tags_change", "Events.0.PreviousTicketTags", `["VIP"]`},
			{"ticket_tags_change_cleared", "Events.0.PreviousTicketTags", "[]"},
			{"ticket_category_change", "Events.0.PreviousTicketCategoryId", "null"},
			{"ticket_category_change_cleared", "Events.0.PreviousTicketCategoryId", "15721"},
			{"reply_creation", "Events.0.Reply.ParentReplyId", "900"},
			{"reply_creation", "Events.0.Reply.Level", "1"},
			{"reply_creation", "Events.0.Reply.TicketId", "4478963"},
			{"reply_update", "Events.0.Reply.ParentReplyId", "null"},
			{"reply_update", "Events.0.Reply.Attachments", "[]"},
			{"reply_update", "Events.0.Reply.CcEmails", "[]"},
			{"reply_update", "Events.0.Reply.ToEmails", "[]"},
			{"reply_update", "Events.0.Reply.Tags", "[]"},
			{"note_creation", "Events.0.Note.MentionedUsers.0.IsBot", "true"},
			{"note_creation", "Events.0.Note.MentionedUsers.0.Email", "null"},
			{"note_update", "Events.0.Note.HtmlMessage", "null"},
			{"note_update", "Events.0.Note.Attachments", "[]"},
			{"note_update", "Events.0.Note.MentionedUsers", "[]"},
		} {
			raw := at(t, bodies[tc.name], tc.path)
			got := string(raw)
			if tc.want == "array of 1" {
				var items []json.RawMessage
				if err := json.Unmarshal(raw, &items); err != nil {
					t.Fatalf("%s %s: %v", tc.name, tc.path, err)
				}
				got = fmt.Sprintf("array of %d", len(items))
			}
			if got != tc.want {
				t.Errorf("%s %s: got %s, want %s", tc.name, tc.path, got, tc.want)
			}
		}
	})

	t.Run("NoCustomFields", func(t *testing.T) {
		for name, body := range bodies {
			if bytes.Contains(body, []byte("CustomFields")) {
				t.Errorf("%s: ticket carries CustomFields:\n%s", name, body)
			}
		}
	})
}

func TestTicketIDAndLink(t *testing.T) {
	for name, body := range rendered(t) {
		var env struct {
			CommunityName string
			EventType     string
			TicketID      int64 `json:"TicketId"`
			Events        []struct {
				InboxLink      string
				ConversationID int64 `json:"ConversationId"`
				Ticket         struct {
					ID int64 `json:"Id"`
				}
				Conversation struct {
					ID int64 `json:"Id"`
				}
			}
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(env.Events) != 1 {
			t.Fatalf("%s: %d events, want 1", name, len(env.Events))
		}
		ev := env.Events[0]
		if openboards.IsConversationEvent(env.EventType) {
			// A conversation is its ticket: one id throughout.
			if ev.ConversationID != env.TicketID || ev.Conversation.ID != env.TicketID {
				t.Errorf("%s: TicketId %d, ConversationId %d, Conversation.Id %d", name, env.TicketID, ev.ConversationID, ev.Conversation.ID)
			}
			ev.Ticket.ID = ev.Conversation.ID
		}
		if env.TicketID == 0 || env.TicketID != ev.Ticket.ID {
			t.Errorf("%s: TicketId %d, Ticket.Id %d", name, env.TicketID, ev.Ticket.ID)
		}
		wantLink := fmt.Sprintf("%s/%s/tickets?ticketId=%d", base, community, env.TicketID)
		if ev.InboxLink != wantLink || !strings.HasSuffix(ev.InboxLink, fmt.Sprintf("?ticketId=%d", ev.Ticket.ID)) {
			t.Errorf("%s: InboxLink %q, want %q", name, ev.InboxLink, wantLink)
		}
		if env.CommunityName != community {
			t.Errorf("%s: CommunityName %q, want %q", name, env.CommunityName, community)
		}
	}
}

// timePattern is the .NET round-trip form with an explicit offset.
var timePattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?[+-]\d\d:\d\d$`)

func TestTimes(t *testing.T) {
	bodies := rendered(t)
	for _, tc := range []struct {
		name, path, want string
	}{
		// Created at 08:03:48.318717 +01:00: rendered in UTC.
		{"ticket_creation", "Events.0.Ticket.CreationTime", `"2019-12-17T07:03:48.318717+00:00"`},
		{"ticket_creation", "Events.0.Ticket.LastThreadElementCreationTime", `"2019-12-17T07:10:03.8181291+00:00"`},
		// A UTC time with no fraction.
		{"ticket_creation_bare", "Events.0.Ticket.CreationTime", `"2024-03-01T12:00:00+00:00"`},
		{"reply_update", "Events.0.Reply.CreationTime", `"2024-03-01T12:00:00+00:00"`},
		{"note_update", "Events.0.Note.CreationTime", `"2024-03-01T12:00:00+00:00"`},
		{"sample_ticket_status_change", "Events.0.Ticket.CreationTime", `"2024-05-06T07:08:09.1234567+00:00"`},
	} {
		if got := string(at(t, bodies[tc.name], tc.path)); got != tc.want {
			t.Errorf("%s %s: got %s, want %s", tc.name, tc.path, got, tc.want)
		}
	}

	dateTimes := regexp.MustCompile(`"(\d{4}-\d\d-\d\dT[^"]*)"`)
	n := 0
	for name, body := range bodies {
		for _, m := range dateTimes.FindAllSubmatch(body, -1) {
			n++
			if s := string(m[1]); !timePattern.MatchString(s) || !strings.HasSuffix(s, "+00:00") {
				t.Errorf("%s: time %q, want 2006-01-02T15:04:05.9999999+00:00", name, s)
			}
		}
	}
	if n < 20 {
		t.Errorf("found only %d times in the bodies", n)
	}
}

func TestSample(t *testing.T) {
	now := time.Date(2024, 5, 6, 9, 8, 9, 0, time.FixedZone("", 2*60*60))
	for _, typ := range openboards.EventTypes {
		t.Run(typ, func(t *testing.T) {
			body, err := Sample(base, community, typ, now)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(at(t, body, "EventType")); got != `"`+typ+`"` {
				t.Errorf("EventType %s, want %q", got, typ)
			}
			if got := string(at(t, body, "TicketId")); got != "1" {
				t.Errorf("TicketId %s, want 1", got)
			}
			if openboards.IsConversationEvent(typ) {
				item := keys(t, at(t, body, "Events.0"))
				if len(item) < 4 || item[0] != "InboxLink" || item[1] != "ConversationId" || item[2] != "Conversation" || item[len(item)-1] != "EventTime" {
					t.Errorf("item keys %v", item)
				}
				if got := string(at(t, body, "Events.0.Conversation.Author.Status")); got != `"client"` {
					t.Errorf("author status %s, want \"client\"", got)
				}
				if typ == openboards.EventConversationMessageAdded {
					at(t, body, "Events.0.Message.Id")
				}
				return
			}
			if got := string(at(t, body, "Events.0.Ticket.Title")); got != `"Test event"` {
				t.Errorf("Title %s, want \"Test event\"", got)
			}
			if got := string(at(t, body, "Events.0.Ticket.CreationTime")); got != `"2024-05-06T07:08:09+00:00"` {
				t.Errorf("CreationTime %s, want the sample time in UTC", got)
			}
			if got := string(at(t, body, "Events.0.Ticket.Author.Status")); got != `"client"` {
				t.Errorf("author status %s, want \"client\"", got)
			}
			item := keys(t, at(t, body, "Events.0"))
			if len(item) < 2 || item[0] != "InboxLink" || item[len(item)-1] != "Ticket" {
				t.Errorf("item keys %v", item)
			}
			switch {
			case strings.HasPrefix(typ, "reply_"):
				at(t, body, "Events.0.Reply.Id")
			case strings.HasPrefix(typ, "note_"):
				at(t, body, "Events.0.Note.Id")
			}
		})
	}
}

func TestErrors(t *testing.T) {
	f := newFixture()
	for _, tc := range []struct {
		name    string
		change  openboards.Change
		ticket  *openboards.Ticket
		invalid bool // an invalid-input error
	}{
		{"unknown type", openboards.Change{Type: "ticket_deletion", TicketID: f.full.ID}, f.full, true},
		{"misspelled type", openboards.Change{Type: "Ticket_Creation", TicketID: f.full.ID}, f.full, true},
		{"empty type", openboards.Change{TicketID: f.full.ID}, f.full, true},
		{"reply creation without reply", openboards.Change{Type: openboards.EventReplyCreation, TicketID: f.full.ID}, f.full, false},
		{"reply update without reply", openboards.Change{Type: openboards.EventReplyUpdate, TicketID: f.full.ID}, f.full, false},
		{"reply deletion without reply", openboards.Change{Type: openboards.EventReplyDeletion, TicketID: f.full.ID}, f.full, false},
		{"note creation without note", openboards.Change{Type: openboards.EventNoteCreation, TicketID: f.full.ID}, f.full, false},
		{"note update without note", openboards.Change{Type: openboards.EventNoteUpdate, TicketID: f.full.ID}, f.full, false},
		{"note deletion without note", openboards.Change{Type: openboards.EventNoteDeletion, TicketID: f.full.ID,
			Reply: f.reply}, f.full, false},
		{"reply event with a note only", openboards.Change{Type: openboards.EventReplyCreation, TicketID: f.full.ID,
			Note: f.note}, f.full, false},
		{"no ticket", openboards.Change{Type: openboards.EventTicketCreation, TicketID: 1}, nil, false},
		{"conversation event without conversation", openboards.Change{Type: openboards.EventConversationCreated, TicketID: f.full.ID}, f.full, false},
		{"message added without message", openboards.Change{Type: openboards.EventConversationMessageAdded, TicketID: f.full.ID,
			Conversation: &openboards.Conversation{TicketID: f.full.ID}}, f.full, false},
		{"other ticket", openboards.Change{Type: openboards.EventTicketCreation, TicketID: f.bare.ID}, f.full, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, err := Render(base, community, tc.change, tc.ticket)
			if err == nil {
				t.Fatalf("no error, body %s", body)
			}
			if got := openboards.ErrorCode(err) == openboards.CodeInvalid; got != tc.invalid {
				t.Errorf("error %v: invalid-input %v, want %v", err, got, tc.invalid)
			}
		})
	}

	t.Run("sample of unknown type", func(t *testing.T) {
		if body, err := Sample(base, community, "ticket_deletion", sampleTime); err == nil {
			t.Fatalf("no error, body %s", body)
		} else if openboards.ErrorCode(err) != openboards.CodeInvalid {
			t.Errorf("error %v, want an invalid-input error", err)
		}
	})
}

// at returns the JSON value at a dotted path of object keys and array
// indexes ("Events.0.Ticket"); an empty path is the whole value.
func at(t *testing.T, raw []byte, path string) json.RawMessage {
	t.Helper()
	v := json.RawMessage(raw)
	if path == "" {
		return v
	}
	for part := range strings.SplitSeq(path, ".") {
		if idx, err := strconv.Atoi(part); err == nil {
			var items []json.RawMessage
			if json.Unmarshal(v, &items) != nil || idx < 0 || idx >= len(items) {
				t.Fatalf("%s: %s has no element %d", path, v, idx)
			}
			v = items[idx]
			continue
		}
		var members map[string]json.RawMessage
		if json.Unmarshal(v, &members) != nil {
			t.Fatalf("%s: %s is not an object", path, v)
		}
		member, ok := members[part]
		if !ok {
			t.Fatalf("%s: %s has no key %q", path, v, part)
		}
		v = member
	}
	return v
}

// keys returns the keys of a JSON object in the order they appear, read
// token by token.
func keys(t *testing.T, raw []byte) []string {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%s is not an object", raw)
	}
	var out []string
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tok.(string))
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	if tok, err := d.Token(); err != nil || tok != json.Delim('}') {
		t.Fatalf("%s: object not closed", raw)
	}
	return out
}
