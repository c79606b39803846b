package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// agentReply is a Create Reply body written by the agent.
func agentReply(message string, kv ...any) map[string]any {
	body := map[string]any{"author": map[string]any{"email": "anna.agent@example.com"}, "message": message}
	for i := 0; i+1 < len(kv); i += 2 {
		body[kv[i].(string)] = kv[i+1]
	}
	return body
}

func TestReplyCreate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)

	t.Run("Response", func(t *testing.T) {
		b.clock.Advance(time.Minute)
		rp := decode[replyView](t, b.ok(t, "POST", fmt.Sprintf("/tickets/%d/replies", f.ticket), agentReply("Thanks, here it is.")))
		want := replyView{
			Attachments: []attachmentView{}, CCEmails: []string{"ann_smith@gmail.com"}, CreationTime: apiTime(b.clock.Now()),
			HTMLMessage: "Thanks, here it is.", ID: rp.ID, Message: "Thanks, here it is.",
			Properties: map[string]bool{"isByTeam": true, "isDraft": false, "isHidden": false},
			Tags:       []string{}, TicketID: f.ticket, ToEmails: []string{"bill_smith@gmail.com"},
		}
		if rp.Author == nil || rp.Author.ID != b.agent.ID || rp.Author.Status != "team" {
			t.Errorf("author %+v, want the agent", rp.Author)
		}
		rp.Author = nil
		if diff := cmp.Diff(want, rp); diff != "" {
			t.Errorf("reply (-want +got):\n%s", diff)
		}
	})

	t.Run("StatusFlow", func(t *testing.T) {
		id := b.createTicket(t, simpleTicket("Flow"))
		path := fmt.Sprintf("/tickets/%d/replies", id)
		customerReply := func(message string) map[string]any {
			return map[string]any{"author": map[string]any{"email": "bill_smith@gmail.com"}, "message": message}
		}
		steps := []struct {
			name   string
			body   map[string]any
			status string
			byTeam bool
		}{
			{"TeamReplyOnOpen", agentReply("First answer"), "pending", true},
			{"TeamReplyOnPending", agentReply("Second answer"), "pending", true},
			{"CustomerReopens", customerReply("Still broken"), "open", false},
			{"Complete", agentReply("Fixed", "isTicketNeededToBeCompleted", true), "completed", true},
			{"CustomerReopensCompleted", customerReply("No, it is not"), "open", false},
			{"Suppressed", agentReply("Looking", "suppressTicketStatusAutoupdate", true), "open", true},
			{"SuppressedButComplete", agentReply("Done", "suppressTicketStatusAutoupdate", true, "isTicketNeededToBeCompleted", true), "completed", true},
			{"CustomerSuppressed", map[string]any{"author": map[string]any{"email": "bill_smith@gmail.com"}, "message": "Thanks", "suppressTicketStatusAutoupdate": true}, "completed", false},
		}
		for i, s := range steps {
			t.Run(s.name, func(t *testing.T) {
				b.clock.Advance(time.Minute)
				before := b.ticket(t, id)
				rp := decode[replyView](t, b.ok(t, "POST", path, s.body))
				got := b.ticket(t, id)
				if got.Status != s.status {
					t.Errorf("status %q -> %q, want %q", before.Status, got.Status, s.status)
				}
				if got.ReplyCount != i+1 {
					t.Errorf("replyCount %d, want %d", got.ReplyCount, i+1)
				}
				if got.LastThreadElementCreationTime != apiTime(b.clock.Now()) || got.LastThreadElementCreationTime != rp.CreationTime {
					t.Errorf("lastThreadElementCreationTime %s, want the reply's time %s", got.LastThreadElementCreationTime, rp.CreationTime)
				}
				if rp.Properties["isByTeam"] != s.byTeam {
					t.Errorf("isByTeam %v, want %v", rp.Properties["isByTeam"], s.byTeam)
				}
				if !s.byTeam && (len(rp.ToEmails) != 0 || len(rp.CCEmails) != 0) {
					t.Errorf("customer reply sent to %v cc %v", rp.ToEmails, rp.CCEmails)
				}
				log := b.log(t, id)
				sentIdx := 0
				if before.Status != s.status {
					want := fmt.Sprintf("changed the status from %q to %q", label(before.Status), label(s.status))
					if log[0].ActionType != "ticket_status_changed" || log[0].ActionString != want || log[0].User.ID != rp.Author.ID {
						t.Errorf("log entry %+v, want %q by the reply's author", log[0], want)
					}
					sentIdx = 1
				}
				if e := log[sentIdx]; e.ActionType != "reply_created" || e.ActionString != "sent a reply" || e.User.ID != rp.Author.ID {
					t.Errorf("log entry %+v, want reply_created", e)
				}
			})
		}
	})

	t.Run("Draft", func(t *testing.T) {
		id := b.createTicket(t, simpleTicket("Draft"))
		before := b.ticket(t, id)
		b.clock.Advance(time.Minute)
		rp := decode[replyView](t, b.ok(t, "POST", fmt.Sprintf("/tickets/%d/replies", id), agentReply("Not yet", "isDraft", true)))
		if !rp.Properties["isDraft"] {
			t.Fatalf("properties %v, want isDraft", rp.Properties)
		}
		got := b.ticket(t, id)
		if got.ReplyCount != 0 || got.Status != "open" || got.LastThreadElementCreationTime != before.LastThreadElementCreationTime {
			t.Errorf("a draft changed the ticket: %+v", got)
		}
		if !got.Properties["hasDraft"] {
			t.Errorf("properties %v, want hasDraft", got.Properties)
		}
		if e := b.log(t, id)[0]; e.ActionType != "reply_created" || e.ActionString != "saved a draft reply" {
			t.Errorf("log entry %+v", e)
		}

		// Publishing the draft sends it.
		b.clock.Advance(time.Minute)
		pub := decode[replyView](t, b.ok(t, "PATCH", fmt.Sprintf("/tickets/%d/replies/%d", id, rp.ID), map[string]any{"isDraft": false}))
		if pub.Properties["isDraft"] || pub.Message != "Not yet" {
			t.Fatalf("published reply %+v", pub)
		}
		got = b.ticket(t, id)
		if got.ReplyCount != 1 || got.Status != "pending" || got.Properties["hasDraft"] || got.LastThreadElementCreationTime != apiTime(b.clock.Now()) {
			t.Errorf("after publishing: %+v", got)
		}
		log := b.log(t, id)
		if log[0].ActionType != "ticket_status_changed" || log[1].ActionType != "reply_updated" || log[1].ActionString != "sent a reply" {
			t.Errorf("log %+v", log[:2])
		}
	})

	t.Run("Authors", func(t *testing.T) {
		id := b.createTicket(t, map[string]any{"title": "Authors", "creator": map[string]any{"customIdentifier": "cust-9", "name": "Nine"}})
		for _, tc := range []struct {
			author map[string]any
			name   string
		}{
			{map[string]any{"id": strings.ToUpper(b.admin.ID)}, "Robert Baker"},
			{map[string]any{"email": "Robert.Baker@Example.com"}, "Robert Baker"},
			{map[string]any{"customIdentifier": "CUST-9"}, "Nine"},
			{map[string]any{"id": b.agent.ID, "email": "robert.baker@example.com"}, "Anna Agent"}, // id wins
		} {
			rp := decode[replyView](t, b.ok(t, "POST", fmt.Sprintf("/tickets/%d/replies", id), map[string]any{"author": tc.author, "message": "Hi"}))
			if rp.Author.Name != tc.name {
				t.Errorf("author %v: got %q, want %q", tc.author, rp.Author.Name, tc.name)
			}
		}
	})

	t.Run("Thread", func(t *testing.T) {
		parent := decode[replyView](t, b.ok(t, "POST", fmt.Sprintf("/tickets/%d/replies", f.plain), agentReply("Top")))
		child := decode[replyView](t, b.ok(t, "POST", fmt.Sprintf("/tickets/%d/replies", f.plain), agentReply("Nested", "parentReplyId", parent.ID)))
		if child.Level != 1 || child.ParentReplyID == nil || *child.ParentReplyID != parent.ID {
			t.Fatalf("child level %d parent %v, want 1 and %d", child.Level, child.ParentReplyID, parent.ID)
		}
		grandchild := decode[replyView](t, b.ok(t, "POST", fmt.Sprintf("/tickets/%d/replies", f.plain), agentReply("Deeper", "parentReplyId", child.ID)))
		if grandchild.Level != 2 {
			t.Fatalf("grandchild level %d, want 2", grandchild.Level)
		}
	})

	t.Run("AttachmentOnly", func(t *testing.T) {
		rp := decode[replyView](t, b.ok(t, "POST", fmt.Sprintf("/tickets/%d/replies", f.plain), agentReply("",
			"attachments", []map[string]any{{"url": "https://files.example.com/a/invoice.pdf"}})))
		if diff := cmp.Diff([]attachmentView{{false, "invoice.pdf", "https://files.example.com/a/invoice.pdf"}}, rp.Attachments); diff != "" {
			t.Fatalf("attachments (-want +got):\n%s", diff)
		}
	})

	t.Run("HTML", func(t *testing.T) {
		rp := decode[replyView](t, b.ok(t, "POST", fmt.Sprintf("/tickets/%d/replies", f.plain), agentReply(
			`<p>Hello <b>world</b></p><script>alert(1)</script><img src="x" onerror="alert(2)"><a href="javascript:alert(3)">link</a>`,
			"isHtml", true)))
		for _, bad := range []string{"<script", "alert", "onerror", "javascript:"} {
			if strings.Contains(rp.HTMLMessage, bad) {
				t.Errorf("htmlMessage %q contains %q", rp.HTMLMessage, bad)
			}
		}
		if !strings.Contains(rp.HTMLMessage, "<b>world</b>") {
			t.Errorf("htmlMessage %q lost the formatting", rp.HTMLMessage)
		}
		if rp.Message != "Hello world\nlink" {
			t.Errorf("message %q, want the plain text", rp.Message)
		}
		// What the response says is what was stored.
		list := decode[[]replyView](t, b.ok(t, "GET", fmt.Sprintf("/tickets/%d/replies?take=50", f.plain), nil))
		if stored := list[len(list)-1]; stored.HTMLMessage != rp.HTMLMessage || stored.Message != rp.Message {
			t.Errorf("stored %q / %q, responded %q / %q", stored.HTMLMessage, stored.Message, rp.HTMLMessage, rp.Message)
		}
	})

	t.Run("PlainText", func(t *testing.T) {
		rp := decode[replyView](t, b.ok(t, "POST", fmt.Sprintf("/tickets/%d/replies", f.plain), agentReply("  <b>x</b>\nline 2  ")))
		if rp.Message != "<b>x</b>\nline 2" || rp.HTMLMessage != "&lt;b&gt;x&lt;/b&gt;<br>line 2" {
			t.Fatalf("message %q, htmlMessage %q", rp.Message, rp.HTMLMessage)
		}
	})

	path := fmt.Sprintf("/tickets/%d/replies", f.plain)
	b.reject(t, b.client, []rejected{
		{"ErrReadOnly", "POST", path, map[string]any{"author": map[string]any{"email": "william@example.com"}, "message": "Hi"}, 403, "author: read-only users cannot reply"},
		{"ErrReadOnlyDraft", "POST", path, map[string]any{"author": map[string]any{"id": b.viewer.ID}, "message": "Hi", "isDraft": true}, 403, "read-only"},
		{"ErrNoAuthor", "POST", path, map[string]any{"message": "Hi"}, 400, "author: required"},
		{"ErrEmptyAuthor", "POST", path, map[string]any{"author": map[string]any{}, "message": "Hi"}, 400, "author: required"},
		{"ErrAuthorType", "POST", path, map[string]any{"author": "anna", "message": "Hi"}, 400, "author: must be an object"},
		{"ErrUnknownAuthor", "POST", path, map[string]any{"author": map[string]any{"email": "nobody@example.com"}, "message": "Hi"}, 400, `author: no user has e-mail "nobody@example.com"`},
		{"ErrAuthorNotGUID", "POST", path, map[string]any{"author": map[string]any{"id": "anna"}, "message": "Hi"}, 400, `author.id: "anna" is not a GUID`},
		{"ErrNoMessage", "POST", path, agentReply(""), 400, "message: a reply needs a message or an attachment"},
		{"ErrBlankMessage", "POST", path, agentReply(" \n "), 400, "message: a reply needs"},
		{"ErrOnlyScript", "POST", path, agentReply("<script>alert(1)</script>", "isHtml", true), 400, "message: a reply needs"},
		{"ErrMessageType", "POST", path, agentReply("x", "message", 5), 400, "message: must be a string"},
		{"ErrAttachment", "POST", path, agentReply("x", "attachments", []map[string]any{{"url": "/relative.png"}}), 400, "attachments[0].url"},
		{"ErrIsDraftType", "POST", path, agentReply("x", "isDraft", "yes"), 400, "isDraft: must be true or false"},
		{"ErrParentType", "POST", path, agentReply("x", "parentReplyId", "1"), 400, "parentReplyId: must be an integer"},
		{"ErrUnknownParent", "POST", path, agentReply("x", "parentReplyId", 999), 400, fmt.Sprintf("parentReplyId: reply 999 not found on ticket %d", f.plain)},
		{"ErrParentOnOtherTicket", "POST", path, agentReply("x", "parentReplyId", f.reply), 400, "parentReplyId"},
		{"ErrMalformed", "POST", path, `{"message": "x"`, 400, "invalid JSON"},
		{"ErrEmptyBody", "POST", path, nil, 400, "a JSON body is required"},
		{"ErrNotFound", "POST", "/tickets/999/replies", agentReply("x"), 404, "ticket 999 not found"},
	})
}

// label is a status as the log prints it.
func label(status string) string { return strings.ToUpper(status[:1]) + status[1:] }

func TestReplyList(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)
	path := fmt.Sprintf("/tickets/%d/replies", f.plain)
	var ids []int64
	for i := range 3 {
		b.clock.Advance(time.Second)
		ids = append(ids, decode[replyView](t, b.ok(t, "POST", path, agentReply(fmt.Sprint("Reply ", i)))).ID)
	}
	list := func(t *testing.T, query string) []int64 {
		t.Helper()
		var got []int64
		for _, rp := range decode[[]replyView](t, b.ok(t, "GET", path+query, nil)) {
			if rp.TicketID != f.plain {
				t.Errorf("reply %d of ticket %d listed", rp.ID, rp.TicketID)
			}
			got = append(got, rp.ID)
		}
		return got
	}
	for _, tc := range []struct {
		query string
		want  []int64
	}{
		{"", ids},
		{"?take=2", ids[:2]},
		{"?skip=1&take=1", ids[1:2]},
		{"?Skip=2", ids[2:]},
		{"?take=0", ids},
		{"?skip=3", nil},
	} {
		if diff := cmp.Diff(tc.want, list(t, tc.query)); diff != "" {
			t.Errorf("GET %s%s (-want +got):\n%s", path, tc.query, diff)
		}
	}
	if got := decode[[]replyView](t, b.ok(t, "GET", fmt.Sprintf("/tickets/%d/replies", f.ticket), nil)); len(got) != 1 || got[0].ID != f.reply {
		t.Errorf("replies of the seeded ticket: %+v", got)
	}
	b.fail(t, "GET", path+"?take=abc", nil, 400, `take: "abc" is not an integer`)
	b.fail(t, "GET", "/tickets/999/replies", nil, 404, "ticket 999 not found")
}

func TestReplyUpdate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)
	path := fmt.Sprintf("/tickets/%d/replies/%d", f.ticket, f.reply)

	t.Run("OK", func(t *testing.T) {
		b.clock.Advance(time.Minute)
		before := b.ticket(t, f.ticket)
		rp := decode[replyView](t, b.ok(t, "PATCH", path, map[string]any{"message": "<i>Updated</i>", "isHtml": true}))
		if rp.ID != f.reply || rp.Message != "Updated" || rp.HTMLMessage != "<i>Updated</i>" || rp.Author.ID != b.agent.ID {
			t.Fatalf("reply %+v", rp)
		}
		e := b.log(t, f.ticket)[0]
		if e.ActionType != "reply_updated" || e.ActionString != "edited a reply" || e.User.ID != b.cm.APIUserID {
			t.Fatalf("log entry %+v", e)
		}
		if got := b.ticket(t, f.ticket); got.ReplyCount != before.ReplyCount || got.Status != before.Status {
			t.Fatalf("editing a sent reply changed the ticket: %+v", got)
		}
	})
	t.Run("Attachments", func(t *testing.T) {
		rp := decode[replyView](t, b.ok(t, "PATCH", path, map[string]any{"attachments": []map[string]any{{"url": "https://example.com/a.png", "name": "A"}}}))
		if rp.Message != "Updated" || len(rp.Attachments) != 1 || rp.Attachments[0].Name != "A" {
			t.Fatalf("reply %+v", rp)
		}
		rp = decode[replyView](t, b.ok(t, "PATCH", path, map[string]any{"attachments": []any{}}))
		if rp.Attachments == nil || len(rp.Attachments) != 0 {
			t.Fatalf("attachments %#v, want []", rp.Attachments)
		}
	})
	other := decode[replyView](t, b.ok(t, "POST", fmt.Sprintf("/tickets/%d/replies", f.plain), agentReply("Other"))).ID
	b.reject(t, b.client, []rejected{
		{"ErrBackToDraft", "PATCH", path, map[string]any{"isDraft": true}, 400, "isDraft: a sent reply cannot become a draft"},
		{"ErrEmpty", "PATCH", path, map[string]any{"message": ""}, 400, "message: a reply needs a message or an attachment"},
		{"ErrMessageType", "PATCH", path, map[string]any{"message": 1}, 400, "message: must be a string"},
		{"ErrAttachment", "PATCH", path, map[string]any{"attachments": []map[string]any{{"url": "nope"}}}, 400, "attachments[0].url"},
		{"ErrMalformed", "PATCH", path, `{`, 400, "invalid JSON"},
		{"ErrEmptyBody", "PATCH", path, nil, 400, "a JSON body is required"},
		{"ErrUnknownReply", "PATCH", fmt.Sprintf("/tickets/%d/replies/999", f.ticket), map[string]any{"message": "x"}, 404, fmt.Sprintf("reply 999 not found on ticket %d", f.ticket)},
		{"ErrReplyOfOtherTicket", "PATCH", fmt.Sprintf("/tickets/%d/replies/%d", f.ticket, other), map[string]any{"message": "x"}, 404, "not found"},
		{"ErrUnknownTicket", "PATCH", fmt.Sprintf("/tickets/999/replies/%d", f.reply), map[string]any{"message": "x"}, 404, "ticket 999 not found"},
		{"ErrBadReplyID", "PATCH", fmt.Sprintf("/tickets/%d/replies/x", f.ticket), map[string]any{"message": "x"}, 400, `replyId: "x"`},
	})
}

func TestReplyDelete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)
	replies := fmt.Sprintf("/tickets/%d/replies", f.plain)
	sent := decode[replyView](t, b.ok(t, "POST", replies, agentReply("Sent"))).ID
	draft := decode[replyView](t, b.ok(t, "POST", replies, agentReply("Draft", "isDraft", true))).ID
	other := decode[replyView](t, b.ok(t, "POST", fmt.Sprintf("/tickets/%d/replies", f.ticket), agentReply("Other"))).ID

	t.Run("Draft", func(t *testing.T) {
		b.ok(t, "DELETE", fmt.Sprintf("%s/%d", replies, draft), nil)
		got := b.ticket(t, f.plain)
		if got.ReplyCount != 1 || got.Properties["hasDraft"] {
			t.Fatalf("after deleting the draft: replyCount %d, properties %v", got.ReplyCount, got.Properties)
		}
	})
	t.Run("Sent", func(t *testing.T) {
		b.ok(t, "DELETE", fmt.Sprintf("%s/%d", replies, sent), nil)
		if got := b.ticket(t, f.plain).ReplyCount; got != 0 {
			t.Fatalf("replyCount %d, want 0", got)
		}
		if got := decode[[]replyView](t, b.ok(t, "GET", replies, nil)); len(got) != 0 {
			t.Fatalf("replies %+v, want none", got)
		}
		if e := b.log(t, f.plain)[0]; e.ActionType != "reply_deleted" || e.ActionString != "deleted a reply" || e.User.ID != b.cm.APIUserID {
			t.Fatalf("log entry %+v", e)
		}
	})
	b.reject(t, b.client, []rejected{
		{"ErrGone", "DELETE", fmt.Sprintf("%s/%d", replies, sent), nil, 404, fmt.Sprintf("reply %d not found", sent)},
		{"ErrReplyOfOtherTicket", "DELETE", fmt.Sprintf("%s/%d", replies, other), nil, 404, "not found"},
		{"ErrUnknownTicket", "DELETE", fmt.Sprintf("/tickets/999/replies/%d", other), nil, 404, "ticket 999 not found"},
		{"ErrBadID", "DELETE", replies + "/0", nil, 400, "replyId"},
	})
}

func TestReplyTags(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)
	path := fmt.Sprintf("/tickets/%d/replies/%d/tags", f.ticket, f.reply)
	replyTags := func(t *testing.T) []string {
		t.Helper()
		for _, rp := range decode[[]replyView](t, b.ok(t, "GET", fmt.Sprintf("/tickets/%d/replies", f.ticket), nil)) {
			if rp.ID == f.reply {
				return rp.Tags
			}
		}
		t.Fatalf("reply %d not listed", f.reply)
		return nil
	}

	t.Run("BareArray", func(t *testing.T) {
		b.ok(t, "PUT", path, []string{"Important", "vip"})
		if diff := cmp.Diff([]string{"Important", "VIP"}, replyTags(t)); diff != "" {
			t.Fatalf("tags (-want +got):\n%s", diff)
		}
		e := b.log(t, f.ticket)[0]
		if e.ActionType != "reply_tags_changed" || !strings.HasPrefix(e.ActionString, "changed the tags of a reply to {Tag:") || len(e.IncludedItems.Tags) != 2 {
			t.Fatalf("log entry %+v", e)
		}
		// The ticket's own tags are not touched.
		if got := b.ticket(t, f.ticket).Tags; !slices.Equal(got, []string{"VIP", "Billing"}) {
			t.Fatalf("ticket tags %v", got)
		}
	})
	t.Run("Object", func(t *testing.T) {
		b.ok(t, "PUT", path, map[string]any{"tags": []string{}})
		if got := replyTags(t); got == nil || len(got) != 0 {
			t.Fatalf("tags %#v, want []", got)
		}
		if e := b.log(t, f.ticket)[0]; e.ActionString != "removed all tags of a reply" {
			t.Fatalf("log entry %+v", e)
		}
	})
	b.reject(t, b.client, []rejected{
		{"ErrNoTags", "PUT", path, map[string]any{}, 400, "tags: required"},
		{"ErrMisspeltKey", "PUT", path, map[string]any{"names": []string{"x"}}, 400, `body: unknown field "names"`},
		{"ErrEmptyName", "PUT", path, []string{""}, 400, "tags[0]: empty tag name"},
		{"ErrUnknownReply", "PUT", fmt.Sprintf("/tickets/%d/replies/999/tags", f.ticket), []string{"x"}, 404, "reply 999 not found"},
		{"ErrReplyOfOtherTicket", "PUT", fmt.Sprintf("/tickets/%d/replies/%d/tags", f.plain, f.reply), []string{"x"}, 404, "not found"},
		{"ErrUnknownTicket", "PUT", fmt.Sprintf("/tickets/999/replies/%d/tags", f.reply), []string{"x"}, 404, "ticket 999 not found"},
	})
}

func TestNotes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)
	notes := fmt.Sprintf("/tickets/%d/notes", f.plain)

	var id int64
	t.Run("Create", func(t *testing.T) {
		b.clock.Advance(time.Minute)
		before := b.ticket(t, f.plain)
		n := decode[noteView](t, b.ok(t, "POST", notes, map[string]any{
			"author": map[string]any{"email": "anna.agent@example.com"}, "message": "Internal note from PublicAPI", "isHtml": false,
			"attachments":    []map[string]any{{"url": "https://www.example.com/logo.png", "name": "Postman attach"}},
			"mentionedUsers": []any{b.admin.ID, map[string]any{"email": "william@example.com"}, map[string]any{"id": b.admin.ID}},
		}))
		id = n.ID
		if n.Message != "Internal note from PublicAPI" || n.HTMLMessage != nil || n.Author.ID != b.agent.ID || n.CreationTime != apiTime(b.clock.Now()) {
			t.Errorf("note %+v", n)
		}
		if diff := cmp.Diff([]attachmentView{{false, "Postman attach", "https://www.example.com/logo.png"}}, n.Attachments); diff != "" {
			t.Errorf("attachments (-want +got):\n%s", diff)
		}
		if len(n.MentionedUsers) != 2 || n.MentionedUsers[0].ID != b.admin.ID || n.MentionedUsers[1].ID != b.viewer.ID || n.MentionedUsers[1].Name != "William Shakespeare" {
			t.Errorf("mentionedUsers %+v, want the admin and the viewer once each", n.MentionedUsers)
		}
		e := b.log(t, f.plain)[0]
		if e.ActionType != "note_created" || e.User.ID != b.agent.ID ||
			e.ActionString != "added a note mentioning {User:"+b.admin.ID+"}, {User:"+b.viewer.ID+"}" || len(e.IncludedItems.Users) != 2 {
			t.Errorf("log entry %+v", e)
		}
		if diff := cmp.Diff(before, b.ticket(t, f.plain)); diff != "" {
			t.Errorf("a note changed the ticket:\n%s", diff)
		}
	})
	t.Run("HTML", func(t *testing.T) {
		n := decode[noteView](t, b.ok(t, "POST", notes, map[string]any{
			"author": map[string]any{"id": b.viewer.ID}, "message": `<p>See <b>this</b><script>alert(1)</script></p>`, "isHtml": true,
		}))
		if n.HTMLMessage == nil || strings.Contains(*n.HTMLMessage, "script") || !strings.Contains(*n.HTMLMessage, "<b>this</b>") || n.Message != "See this" {
			t.Errorf("note %+v (htmlMessage %v)", n, n.HTMLMessage)
		}
		if n.MentionedUsers == nil {
			t.Errorf("mentionedUsers null, want []")
		}
	})
	t.Run("List", func(t *testing.T) {
		list := decode[[]noteView](t, b.ok(t, "GET", notes, nil))
		if len(list) != 2 || list[0].ID != id || list[1].ID <= id {
			t.Fatalf("notes %+v, want the two notes oldest first", list)
		}
		if len(list[0].MentionedUsers) != 2 {
			t.Fatalf("listed note lost its mentions: %+v", list[0])
		}
		if got := decode[[]noteView](t, b.ok(t, "GET", notes+"?skip=1&take=1", nil)); len(got) != 1 || got[0].ID != list[1].ID {
			t.Fatalf("second page %+v", got)
		}
	})
	t.Run("Update", func(t *testing.T) {
		for _, method := range []string{"PATCH", "PUT"} {
			b.clock.Advance(time.Minute)
			n := decode[noteView](t, b.ok(t, method, fmt.Sprintf("%s/%d", notes, id), map[string]any{"message": "Updated by " + method}))
			if n.Message != "Updated by "+method || n.Author.ID != b.agent.ID || len(n.MentionedUsers) != 2 || len(n.Attachments) != 1 {
				t.Fatalf("%s: note %+v, want the message changed and the rest kept", method, n)
			}
			e := b.log(t, f.plain)[0]
			if e.ActionType != "note_updated" || e.User.ID != b.cm.APIUserID || !strings.HasPrefix(e.ActionString, "edited a note mentioning") {
				t.Fatalf("log entry %+v", e)
			}
		}
		n := decode[noteView](t, b.ok(t, "PATCH", fmt.Sprintf("%s/%d", notes, id), map[string]any{"mentionedUsers": []any{}, "author": map[string]any{"email": "robert.baker@example.com"}}))
		if len(n.MentionedUsers) != 0 || n.Message != "Updated by PUT" || n.Author.ID != b.agent.ID {
			t.Fatalf("note %+v, want no mentions, the message and author kept", n)
		}
		if e := b.log(t, f.plain)[0]; e.ActionString != "edited a note" || e.User.ID != b.admin.ID {
			t.Fatalf("log entry %+v, want the edit by the admin", e)
		}
	})

	b.reject(t, b.client, []rejected{
		{"ErrCustomerAuthor", "POST", notes, map[string]any{"author": map[string]any{"email": "bill_smith@gmail.com"}, "message": "x"}, 400, "is not a teammate"},
		{"ErrNoAuthor", "POST", notes, map[string]any{"message": "x"}, 400, "author: required"},
		{"ErrUnknownAuthor", "POST", notes, map[string]any{"author": map[string]any{"email": "nobody@example.com"}, "message": "x"}, 400, "author: no user"},
		{"ErrNoMessage", "POST", notes, map[string]any{"author": map[string]any{"id": b.agent.ID}}, 400, "message: a note needs a message or an attachment"},
		{"ErrMentionCustomer", "POST", notes, map[string]any{"author": map[string]any{"id": b.agent.ID}, "message": "x", "mentionedUsers": []any{map[string]any{"email": "bill_smith@gmail.com"}}}, 400, "mentionedUsers[0]: user"},
		{"ErrMentionUnknown", "POST", notes, map[string]any{"author": map[string]any{"id": b.agent.ID}, "message": "x", "mentionedUsers": []any{b.admin.ID, "3561ab34-b6bd-4998-97e6-4ad5a58a89e8"}}, 400, "mentionedUsers[1]:"},
		{"ErrMentionNotGUID", "POST", notes, map[string]any{"author": map[string]any{"id": b.agent.ID}, "message": "x", "mentionedUsers": []any{"anna"}}, 400, `mentionedUsers[0].id: "anna" is not a GUID`},
		{"ErrMentionsType", "POST", notes, map[string]any{"author": map[string]any{"id": b.agent.ID}, "message": "x", "mentionedUsers": "anna"}, 400, "mentionedUsers: must be an array"},
		{"ErrAttachment", "POST", notes, map[string]any{"author": map[string]any{"id": b.agent.ID}, "message": "x", "attachments": []map[string]any{{"url": "x"}}}, 400, "attachments[0].url"},
		{"ErrMalformed", "POST", notes, `{"message": }`, 400, "invalid JSON"},
		{"ErrEmptyBody", "POST", notes, nil, 400, "a JSON body is required"},
		{"ErrNotFound", "POST", "/tickets/999/notes", map[string]any{"author": map[string]any{"id": b.agent.ID}, "message": "x"}, 404, "ticket 999 not found"},
		{"ErrUpdateUnknown", "PATCH", notes + "/999", map[string]any{"message": "x"}, 404, fmt.Sprintf("note 999 not found on ticket %d", f.plain)},
		{"ErrUpdateOtherTicket", "PATCH", fmt.Sprintf("%s/%d", notes, f.note), map[string]any{"message": "x"}, 404, "not found"},
		{"ErrUpdateCustomerAuthor", "PATCH", fmt.Sprintf("%s/%d", notes, id), map[string]any{"author": map[string]any{"email": "bill_smith@gmail.com"}}, 400, "is not a teammate"},
		{"ErrUpdateEmptyBody", "PUT", fmt.Sprintf("%s/%d", notes, id), nil, 400, "a JSON body is required"},
		{"ErrDeleteOtherTicket", "DELETE", fmt.Sprintf("%s/%d", notes, f.note), nil, 404, "not found"},
		{"ErrDeleteUnknownTicket", "DELETE", fmt.Sprintf("/tickets/999/notes/%d", id), nil, 404, "ticket 999 not found"},
		{"ErrDeleteBadID", "DELETE", notes + "/x", nil, 400, `noteId: "x"`},
	})

	t.Run("Delete", func(t *testing.T) {
		b.ok(t, "DELETE", fmt.Sprintf("%s/%d", notes, id), nil)
		for _, n := range decode[[]noteView](t, b.ok(t, "GET", notes, nil)) {
			if n.ID == id {
				t.Fatalf("note %d still listed", id)
			}
		}
		if e := b.log(t, f.plain)[0]; e.ActionType != "note_deleted" || e.ActionString != "deleted a note" {
			t.Fatalf("log entry %+v", e)
		}
		b.fail(t, "DELETE", fmt.Sprintf("%s/%d", notes, id), nil, 404, "not found")
	})
}
