package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// goldenResponses makes the requests whose bodies are compared to the
// golden files, on the seeded fixture: name → raw response body.
func goldenResponses(t *testing.T) (*bundle, map[string][]byte) {
	t.Helper()
	b := setup(t)
	f := b.seed(t)
	out := map[string][]byte{}
	call := func(name, method, path string, body any, status int) {
		t.Helper()
		resp, env := b.call(t, method, path, body)
		if resp.StatusCode != status {
			t.Fatalf("%s %s: status %d (%s), want %d", method, path, resp.StatusCode, env.ErrorText, status)
		}
		out[name] = env.Raw
	}

	b.clock.Advance(time.Minute)
	call("reply_create", "POST", fmt.Sprintf("/tickets/%d/replies", f.plain), map[string]any{
		"attachments": []map[string]any{{"url": "https://your.attachment.url/filename.png", "name": "filename.png"}},
		"author":      map[string]any{"email": "anna.agent@example.com"},
		"isDraft":     false, "isHtml": false, "isTicketNeededToBeCompleted": false,
		"message": "new reply text", "parentReplyId": nil, "suppressTicketStatusAutoupdate": true,
	}, 200)
	b.clock.Advance(time.Minute)
	call("note_create", "POST", fmt.Sprintf("/tickets/%d/notes", f.plain), map[string]any{
		"author": map[string]any{"email": "robert.baker@example.com"}, "message": "Internal note from PublicAPI", "isHtml": false,
		"attachments":    []map[string]any{{"url": "https://www.example.com/images/logo.png", "name": "Postman attach"}},
		"mentionedUsers": []any{b.agent.ID},
	}, 200)
	b.clock.Advance(time.Minute)
	b.ok(t, "PATCH", fmt.Sprintf("/tickets/%d/status", f.ticket), map[string]any{"status": "pending"})
	b.ok(t, "PATCH", fmt.Sprintf("/tickets/%d/assignee", f.ticket), map[string]any{"assigneeId": b.admin.ID, "previousAssigneeId": b.agent.ID})
	b.ok(t, "PATCH", fmt.Sprintf("/tickets/%d/category", f.ticket), map[string]any{"id": f.dunder})
	b.ok(t, "PUT", fmt.Sprintf("/tickets/%d/tags", f.ticket), []string{"VIP", "Billing Issue"})

	call("ticket", "GET", fmt.Sprintf("/tickets/%d", f.ticket), nil, 200)
	call("ticket_list", "POST", "/tickets/list", map[string]any{"orderBy": "creation_time_asc"}, 200)
	call("ticket_ids", "POST", "/tickets/ids", map[string]any{"orderBy": "creation_time_asc"}, 200)
	call("ticket_create", "POST", "/tickets", simpleTicket("Golden"), 200)
	call("ticket_log", "POST", fmt.Sprintf("/tickets/%d/log", f.ticket), nil, 200)
	call("replies", "GET", fmt.Sprintf("/tickets/%d/replies", f.ticket), nil, 200)
	call("notes", "GET", fmt.Sprintf("/tickets/%d/notes", f.ticket), nil, 200)
	call("update", "PATCH", fmt.Sprintf("/tickets/%d/status", f.ticket), map[string]any{"status": "open"}, 200)
	call("categories", "GET", "/categories", nil, 200)
	call("category", "GET", fmt.Sprintf("/categories/%d", f.customers), nil, 200)
	call("subcategories", "GET", fmt.Sprintf("/categories/%d/subcategories", f.customers), nil, 200)
	call("custom_field", "GET", fmt.Sprintf("/customfields/%d", f.region), nil, 200)
	call("custom_fields", "GET", "/customfields", nil, 200)
	call("teammates", "GET", "/Teammates", nil, 200)
	call("user_groups", "GET", "/UserGroups", nil, 200)
	call("user_group", "GET", fmt.Sprintf("/UserGroups/%d", f.group), nil, 200)
	call("tags", "GET", "/tags", nil, 200)
	call("widget_schedules", "GET", "/widgets/schedules", nil, 200)
	b.clock.Advance(time.Minute)
	call("conversation_create", "POST", "/chat/conversations", map[string]any{
		"author": map[string]any{"name": "John", "customIdentifier": "CUS-12345"}, "title": "Chat API Client Problems",
		"url": "https://thejohndow.com", "sentiment": "question", "categoryId": f.customers,
	}, 200)
	conv := b.createdID(t, out["conversation_create"])
	b.clock.Advance(time.Minute)
	call("conversation_messages_add", "POST", fmt.Sprintf("/chat/conversations/%d/messages", conv), []map[string]any{
		{"message": "Example of chat message", "author": map[string]any{"name": "John", "email": "john@dow.com", "customIdentifier": "cus-12345"}},
		{"message": "Example of previous chat message", "author": map[string]any{"name": "John", "email": "john@dow.com"}, "creationTime": "2023-10-19T10:00:58.84+00:00"},
	}, 200)
	call("conversation_context_add", "POST", fmt.Sprintf("/chat/conversations/%d/previousMessages", conv), []map[string]any{
		{"message": "Example of chat message", "author": map[string]any{"name": "John", "email": "john@dow.com"}, "creationTime": "2023-08-22T14:50:07.21+00:00"},
	}, 200)
	call("conversation", "GET", fmt.Sprintf("/chat/conversations/%d?includeMessages=true", conv), nil, 200)
	call("conversation_messages", "GET", fmt.Sprintf("/chat/conversations/%d/messages?orderBy=creation_time_asc&skip=0&take=2", conv), nil, 200)
	call("conversation_queue", "GET", fmt.Sprintf("/chat/conversations/%d/queue", conv), nil, 200)
	call("conversation_takeover", "GET", fmt.Sprintf("/chat/conversations/%d/takeover", conv), nil, 200)
	call("conversation_feedback", "PATCH", fmt.Sprintf("/chat/conversations/%d/feedback", conv), map[string]any{"isPositive": true, "text": "Nice, resolve my problem!"}, 200)
	call("conversation_close", "PATCH", fmt.Sprintf("/chat/conversations/%d/close", conv), nil, 200)
	call("error_conversation_closed", "POST", fmt.Sprintf("/chat/conversations/%d/messages", conv), []map[string]any{
		{"message": "Hello?", "author": map[string]any{"email": "john@dow.com"}}}, 409)
	call("error_not_found", "GET", "/tickets/999", nil, 404)
	call("error_invalid", "PATCH", fmt.Sprintf("/tickets/%d/status", f.ticket), map[string]any{"status": "closed"}, 400)

	status, body := b.postToken(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {b.refresh}, "client_id": {b.cm.ClientID}})
	if status != http.StatusOK {
		t.Fatalf("POST /token: %d %s", status, body)
	}
	// The secrets change every run; their presence and form are checked
	// in TestToken.
	body = bytes.Replace(body, []byte(b.refresh), []byte("<refresh-token>"), 1)
	body = regexp.MustCompile(`"access_token":"[^"]+"`).ReplaceAll(body, []byte(`"access_token":"<access-token>"`))
	out["token"] = body
	return b, out
}

func TestGolden(t *testing.T) {
	t.Parallel()
	b, responses := goldenResponses(t)
	for name, raw := range responses {
		t.Run(name, func(t *testing.T) { b.golden(t, name, raw) })
	}
}

// dateTimes finds every string in a body that looks like a date-time.
var dateTimes = regexp.MustCompile(`"(\d{4}-\d\d-\d\dT[^"]*)"`)

// TestShapes checks what the documented examples fix, independently of the
// golden files: key order, the time format, null versus absent keys.
func TestShapes(t *testing.T) {
	t.Parallel()
	_, responses := goldenResponses(t)

	envelope := []string{"data", "errorCode", "errorText"}
	user := []string{"customIdentifier", "email", "id", "image", "isBot", "name", "status"}
	attachment := []string{"isContentPart", "name", "url"}
	ticket := []string{"id", "title", "message", "htmlMessage", "author", "category", "creationTime", "customFields",
		"lastThreadElementCreationTime", "lockedBy", "originalLink", "properties", "replyCount", "isMuted", "sentiment", "source",
		"detailedSource", "sourceName", "status", "tags", "attachments"}
	properties := []string{"isAnonymized", "isMuted", "hasAttachments", "hasDraft", "isAssignedToBot", "isDeleted", "isExpired",
		"isHidden", "isLocked", "isSpam", "isSensitive"}
	reply := []string{"attachments", "author", "ccEmails", "creationTime", "htmlMessage", "id", "level", "message", "parentReplyId",
		"properties", "tags", "ticketId", "toEmails"}
	note := []string{"id", "message", "htmlMessage", "attachments", "author", "mentionedUsers", "creationTime"}
	logEntry := []string{"actionString", "actionType", "includedItems", "time", "user"}
	category := []string{"children", "autoArchive", "canBeChosen", "isHidden", "isMuted", "parentId", "id", "name"}
	field := []string{"assignedCategoryIds", "defaultValue", "id", "isHidden", "isRequired", "isSensitiveData", "name", "order",
		"placeholder", "possibleValues", "type", "value"}
	widget := []string{"communityId", "customTimes", "timePeriod", "times", "widgetId"}
	days := []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

	for _, tc := range []struct {
		name string
		path string // into the response, see at
		want []string
	}{
		{"ticket", "", envelope},
		{"ticket", "data", ticket},
		{"ticket", "data.author", user},
		{"ticket", "data.lockedBy", user},
		{"ticket", "data.category", []string{"id", "name"}},
		{"ticket", "data.customFields.0", []string{"id", "value"}},
		{"ticket", "data.properties", properties},
		{"ticket", "data.attachments.0", attachment},
		{"ticket_list", "data.0", ticket},
		{"reply_create", "data", reply},
		{"reply_create", "data.author", user},
		{"reply_create", "data.properties", []string{"isByTeam", "isDraft", "isHidden"}},
		{"reply_create", "data.attachments.0", attachment},
		{"replies", "data.0", reply},
		{"note_create", "data", note},
		{"note_create", "data.mentionedUsers.0", user},
		{"notes", "data.0", note},
		{"ticket_log", "data.0", logEntry},
		{"ticket_log", "data.0.includedItems", []string{"categories", "tags", "users"}},
		{"ticket_log", "data.0.user", user},
		{"categories", "data.0", category},
		{"category", "data", category},
		{"category", "data.children.0", category},
		{"subcategories", "data.0", category[1:]}, // no children
		{"custom_field", "data", field},
		{"custom_field", "data.possibleValues.0", []string{"order", "value"}},
		{"teammates", "data.0", []string{"id", "name", "email", "role", "image"}},
		{"user_groups", "data.0", []string{"id", "name"}},
		{"user_group", "data", []string{"id", "name", "teammateIds"}},
		{"tags", "data.0", []string{"id", "name"}},
		{"widget_schedules", "data.0", widget},
		{"widget_schedules", "data.0.customTimes", days},
		{"widget_schedules", "data.0.customTimes.monday.0", []string{"startAt", "endAt"}},
		{"error_not_found", "", envelope},
		{"token", "", []string{"access_token", "token_type", "expires_in", "refresh_token"}},
	} {
		t.Run(tc.name+"/"+tc.path, func(t *testing.T) {
			got := keys(t, at(t, responses[tc.name], tc.path))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("keys of %s %s (-want +got):\n%s", tc.name, tc.path, diff)
			}
		})
	}

	t.Run("Values", func(t *testing.T) {
		for _, tc := range []struct {
			name, path, want string
		}{
			{"ticket", "errorCode", "-1"},
			{"ticket", "errorText", "null"},
			{"ticket", "data.originalLink", "null"},
			{"ticket", "data.category", `{"id":3,"name":"Dunder Mifflin Paper Co"}`},
			{"ticket_list", "data.1.category", "null"},
			{"ticket_list", "data.1.lockedBy", "null"},
			{"ticket_list", "data.1.sentiment", "null"},
			{"ticket_list", "data.1.sourceName", "null"},
			{"ticket_list", "data.1.tags", "[]"},
			{"ticket_list", "data.1.customFields", "[]"},
			{"ticket_list", "data.1.attachments", "[]"},
			{"ticket_ids", "data", "[1,2]"},
			{"ticket_create", "data", "3"},
			{"update", "data", "{}"},
			{"reply_create", "data.parentReplyId", "null"},
			{"reply_create", "data.level", "0"},
			{"note_create", "data.htmlMessage", "null"},
			{"category", "data.parentId", "null"},
			{"category", "data.children.0.children", "[]"},
			{"custom_field", "data.value", "null"},
			{"custom_field", "data.defaultValue", "null"},
			{"custom_field", "data.assignedCategoryIds", "[]"},
			{"widget_schedules", "data.0.timePeriod", "3"},
			{"widget_schedules", "data.0.times", "null"},
			{"error_not_found", "data", "null"},
			{"error_not_found", "errorCode", "404"},
			{"error_not_found", "errorText", `"ticket 999 not found"`},
			{"error_invalid", "errorCode", "400"},
			{"token", "token_type", `"bearer"`},
			{"token", "expires_in", "3599"},
		} {
			if got := compact(t, at(t, responses[tc.name], tc.path)); got != tc.want {
				t.Errorf("%s %s: got %s, want %s", tc.name, tc.path, got, tc.want)
			}
		}
		// The assignment entry carries the new assignee in includedItems.
		for _, e := range decode[[]logView](t, at(t, responses["ticket_log"], "data")) {
			if e.ActionType == "ticket_assigned_to_user" && (len(e.IncludedItems.Users) != 1 || !strings.Contains(e.ActionString, "{User:"+e.IncludedItems.Users[0].ID+"}")) {
				t.Errorf("assignment entry %+v", e)
			}
		}
	})

	t.Run("Times", func(t *testing.T) {
		n := 0
		for name, raw := range responses {
			for _, m := range dateTimes.FindAllSubmatch(raw, -1) {
				n++
				if s := string(m[1]); !timePattern.MatchString(s) || !strings.HasSuffix(s, "+00:00") {
					t.Errorf("%s: time %q, want 2006-01-02T15:04:05.9999999+00:00", name, s)
				}
			}
		}
		if n < 10 {
			t.Fatalf("found only %d times in the responses", n)
		}
		if got := compact(t, at(t, responses["ticket"], "data.creationTime")); got != `"`+apiTime(start)+`"` {
			t.Errorf("creationTime %s, want %q", got, apiTime(start))
		}
	})
}

// at returns the JSON value at a dotted path of object keys and array
// indexes ("data.children.0"); an empty path is the whole value.
func at(t *testing.T, raw []byte, path string) json.RawMessage {
	t.Helper()
	v := json.RawMessage(raw)
	if path == "" {
		return v
	}
	for _, part := range strings.Split(path, ".") {
		var idx int
		if _, err := fmt.Sscan(part, &idx); err == nil {
			var arr []json.RawMessage
			if err := json.Unmarshal(v, &arr); err != nil || idx >= len(arr) {
				t.Fatalf("%s: no element %d in %s", path, idx, v)
			}
			v = arr[idx]
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(v, &obj); err != nil {
			t.Fatalf("%s: %s is not an object", path, v)
		}
		next, ok := obj[part]
		if !ok {
			t.Fatalf("%s: no key %q in %s", path, part, v)
		}
		v = next
	}
	return v
}

// keys returns the keys of a JSON object in the order they appear.
func keys(t *testing.T, raw json.RawMessage) []string {
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
	return out
}

func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}
