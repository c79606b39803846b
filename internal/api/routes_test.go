package api_test

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// routes lists every pattern registered in api.go, chat.go and webhook.go
// with a path that reaches it. TestRoutes fails when they gain a route
// missing here, so
// a new endpoint cannot go untested by the checks below.
var routes = []struct {
	pattern string
	path    string
}{
	{"POST /token", "/token"},
	{"GET /healthz", "/healthz"},
	{"GET /categories", "/categories"},
	{"POST /categories", "/categories"},
	{"GET /categories/subcategories", "/categories/subcategories"},
	{"GET /categories/{id}/subcategories", "/categories/1/subcategories"},
	{"GET /categories/{id}", "/categories/1"},
	{"PATCH /categories/{id}", "/categories/1"},
	{"DELETE /categories/{id}", "/categories/1"},
	{"GET /customfields", "/customfields"},
	{"POST /customfields", "/customfields"},
	{"GET /customfields/{id}", "/customfields/1"},
	{"PUT /customfields/{id}", "/customfields/1"},
	{"DELETE /customfields/{id}", "/customfields/1"},
	{"GET /teammates", "/teammates"},
	{"GET /usergroups", "/usergroups"},
	{"POST /usergroups", "/usergroups"},
	{"GET /usergroups/{id}", "/usergroups/1"},
	{"PATCH /usergroups/{id}", "/usergroups/1"},
	{"DELETE /usergroups/{id}", "/usergroups/1"},
	{"POST /usergroups/{id}/teammates", "/usergroups/1/teammates"},
	{"DELETE /usergroups/{id}/teammates/{userId}", "/usergroups/1/teammates/3561ab34-b6bd-4998-97e6-4ad5a58a89e8"},
	{"POST /tickets", "/tickets"},
	{"POST /tickets/list", "/tickets/list"},
	{"POST /tickets/ids", "/tickets/ids"},
	{"GET /tickets/{id}", "/tickets/1"},
	{"PATCH /tickets/{id}/customfields", "/tickets/1/customfields"},
	{"PUT /tickets/{id}/customfields", "/tickets/1/customfields"},
	{"PATCH /tickets/{id}/assignee", "/tickets/1/assignee"},
	{"PATCH /tickets/{id}/status", "/tickets/1/status"},
	{"PATCH /tickets/{id}/category", "/tickets/1/category"},
	{"PUT /tickets/{id}/category", "/tickets/1/category"},
	{"PUT /tickets/{id}/tags", "/tickets/1/tags"},
	{"POST /tickets/{id}/log", "/tickets/1/log"},
	{"POST /tickets/{id}/read", "/tickets/1/read"},
	{"GET /tickets/{id}/replies", "/tickets/1/replies"},
	{"POST /tickets/{id}/replies", "/tickets/1/replies"},
	{"PATCH /tickets/{id}/replies/{replyId}", "/tickets/1/replies/1"},
	{"DELETE /tickets/{id}/replies/{replyId}", "/tickets/1/replies/1"},
	{"PUT /tickets/{id}/replies/{replyId}/tags", "/tickets/1/replies/1/tags"},
	{"GET /tickets/{id}/notes", "/tickets/1/notes"},
	{"POST /tickets/{id}/notes", "/tickets/1/notes"},
	{"PATCH /tickets/{id}/notes/{noteId}", "/tickets/1/notes/1"},
	{"PUT /tickets/{id}/notes/{noteId}", "/tickets/1/notes/1"},
	{"DELETE /tickets/{id}/notes/{noteId}", "/tickets/1/notes/1"},
	{"GET /tags", "/tags"},
	{"GET /widgets/schedules", "/widgets/schedules"},
	{"POST /widgets/schedules", "/widgets/schedules"},
	{"DELETE /widgets/schedules/{widgetId}", "/widgets/schedules/1"},
	{"GET /webhooks", "/webhooks"},
	{"POST /webhooks", "/webhooks"},
	{"GET /webhooks/{id}", "/webhooks/1"},
	{"PATCH /webhooks/{id}", "/webhooks/1"},
	{"DELETE /webhooks/{id}", "/webhooks/1"},
	{"POST /webhooks/{id}/secret", "/webhooks/1/secret"},
	{"GET /webhooks/{id}/deliveries", "/webhooks/1/deliveries"},
	{"GET /webhooks/{id}/deliveries/{deliveryId}", "/webhooks/1/deliveries/1"},
	{"POST /webhooks/{id}/deliveries/{deliveryId}/redeliver", "/webhooks/1/deliveries/1/redeliver"},
	{"POST /webhooks/{id}/test", "/webhooks/1/test"},
	{"POST /webhooks/{id}/replay", "/webhooks/1/replay"},
	{"POST /chat/conversations", "/chat/conversations"},
	{"GET /chat/conversations/{id}", "/chat/conversations/1"},
	{"POST /chat/conversations/{id}/messages", "/chat/conversations/1/messages"},
	{"GET /chat/conversations/{id}/messages", "/chat/conversations/1/messages"},
	{"POST /chat/conversations/{id}/previousmessages", "/chat/conversations/1/previousMessages"},
	{"GET /chat/conversations/{id}/queue", "/chat/conversations/1/queue"},
	{"GET /chat/conversations/{id}/queueinfo", "/chat/conversations/1/queueInfo"},
	{"GET /chat/conversations/{id}/takeover", "/chat/conversations/1/takeover"},
	{"PATCH /chat/conversations/{id}/takeover", "/chat/conversations/1/takeover"},
	{"PATCH /chat/conversations/{id}/feedback", "/chat/conversations/1/feedback"},
	{"PATCH /chat/conversations/{id}/latesturl", "/chat/conversations/1/latestUrl"},
	{"PATCH /chat/conversations/{id}/url", "/chat/conversations/1/url"},
	{"PATCH /chat/conversations/{id}/close", "/chat/conversations/1/close"},
	{"GET /chat/conversations/{id}/events", "/chat/conversations/1/events"},
	{"POST /chat/conversations/{id}/typing", "/chat/conversations/1/typing"},
}

// public are the routes that need no authentication.
var public = []string{"POST /token", "GET /healthz"}

func TestRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t)

	t.Run("ListMatchesAPI", func(t *testing.T) {
		var registered, listed []string
		for _, file := range []string{"api.go", "chat.go", "webhook.go"} {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range regexp.MustCompile(`m\.Handle(?:Func)?\("([A-Z]+ [^"]+)"`).FindAllStringSubmatch(string(src), -1) {
				registered = append(registered, m[1])
			}
		}
		for _, r := range routes {
			listed = append(listed, r.pattern)
		}
		slices.Sort(registered)
		slices.Sort(listed)
		if !slices.Equal(registered, listed) {
			t.Fatalf("routes in api.go:\n%s\nroutes in this test:\n%s", strings.Join(registered, "\n"), strings.Join(listed, "\n"))
		}
	})

	// Every non-public route must refuse a request without credentials
	// before it reads the body or looks anything up.
	t.Run("ErrUnauthorized", func(t *testing.T) {
		for _, r := range routes {
			if slices.Contains(public, r.pattern) {
				continue
			}
			method, _, _ := strings.Cut(r.pattern, " ")
			for name, c := range map[string]client{
				"none":    b.anonymous(),
				"garbage": b.bearer("garbage"),
			} {
				resp, env := c.call(t, method, r.path, `{}`)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s %s with %s credentials: status %d (%s), want 401", method, r.path, name, resp.StatusCode, env.ErrorText)
				}
				if resp.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s %s: 401 without WWW-Authenticate", method, r.path)
				}
			}
		}
	})

	// With credentials every route is found: no 404 "no endpoint" and no
	// 405, whatever the handler then says about the request.
	t.Run("Registered", func(t *testing.T) {
		for _, r := range routes {
			method, _, _ := strings.Cut(r.pattern, " ")
			resp, body := b.send(t, method, r.path, nil)
			if resp.StatusCode == http.StatusMethodNotAllowed || strings.Contains(string(body), "no endpoint") {
				t.Errorf("%s %s: %d %s", method, r.path, resp.StatusCode, body)
			}
		}
	})
}

func TestHealth(t *testing.T) {
	t.Parallel()
	b := setup(t)
	data := b.anonymous().ok(t, "GET", "/healthz", nil)
	if got := decode[map[string]string](t, data); got["status"] != "ok" {
		t.Fatalf("got %s, want status ok", data)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.seed(t)
	b.reject(t, b.client, []rejected{
		{"DeleteTickets", "DELETE", "/tickets", nil, 405, "method DELETE is not allowed on /tickets"},
		{"PutTeammates", "PUT", "/Teammates", nil, 405, "not allowed"},
		{"GetToken", "GET", "/token", nil, 405, "not allowed"},
		{"DeleteTags", "DELETE", "/tags", nil, 405, "not allowed"},
		{"PostTicket", "POST", "/tickets/1", `{}`, 405, "not allowed"},
		{"PatchCustomField", "PATCH", "/customfields/1", `{"name":"x","type":"text"}`, 405, "not allowed"},
		{"GetTicketLog", "GET", "/tickets/1/log", nil, 405, "not allowed"},
		{"PostHealth", "POST", "/healthz", nil, 405, "not allowed"},
		{"PatchWidgetSchedules", "PATCH", "/widgets/schedules", `{}`, 405, "not allowed"},
	})
}

// TestMethodNotAllowedAllowHeader checks that a 405 says which methods the
// path takes, as RFC 9110 section 15.5.6 requires.
func TestMethodNotAllowedAllowHeader(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for path, want := range map[string][]string{"/tickets": {"POST"}, "/teammates": {"GET"}, "/tickets/1/category": {"PATCH", "PUT"}} {
		resp, _ := b.call(t, "DELETE", path, nil)
		allow := resp.Header.Get("Allow")
		if resp.StatusCode != http.StatusMethodNotAllowed || allow == "" {
			t.Errorf("DELETE %s: status %d, Allow %q, want 405 with Allow %v", path, resp.StatusCode, allow, want)
		}
		for _, m := range want {
			if !strings.Contains(allow, m) {
				t.Errorf("DELETE %s: Allow %q, want it to name %s", path, allow, m)
			}
		}
	}
}

func TestUnknownPath(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, path := range []string{"/", "/ticket", "/tickets/1/unknown", "/v2/tickets/1", "/categories/1/subcategories/2"} {
		b.fail(t, "GET", path, nil, http.StatusNotFound, "no endpoint")
	}
}

func TestCaseInsensitivePaths(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)

	t.Run("Teammates", func(t *testing.T) {
		want := string(b.ok(t, "GET", "/teammates", nil))
		for _, path := range []string{"/Teammates", "/TEAMMATES", "/teammates/"} {
			if got := string(b.ok(t, "GET", path, nil)); got != want {
				t.Errorf("GET %s: got %s, want %s", path, got, want)
			}
		}
	})
	t.Run("Assignee", func(t *testing.T) {
		b.ok(t, "PATCH", "/TICKETS/1/assignee", map[string]any{"assigneeId": b.admin.ID, "previousAssigneeId": b.agent.ID})
		if got := b.ticket(t, f.ticket).LockedBy; got == nil || got.ID != b.admin.ID {
			t.Fatalf("lockedBy %+v, want the admin", got)
		}
		b.ok(t, "PATCH", "/tickets/1/Assignee", map[string]any{"assigneeId": b.agent.ID, "previousAssigneeId": b.admin.ID})
		if got := b.ticket(t, f.ticket).LockedBy; got == nil || got.ID != b.agent.ID {
			t.Fatalf("lockedBy %+v, want the agent", got)
		}
	})
	t.Run("QueryNames", func(t *testing.T) {
		list := decode[[]categoryView](t, b.ok(t, "GET", "/Categories?IncludeHidden=true", nil))
		if len(list) != 3 {
			t.Fatalf("got %d root categories, want 3 with the hidden one", len(list))
		}
		subs := decode[[]categoryView](t, b.ok(t, "GET", "/Categories/1/SubCategories", nil))
		if len(subs) != 2 {
			t.Fatalf("got %d subcategories, want 2", len(subs))
		}
	})
}

func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	b := setupWith(t, options{MaxBodyBytes: 300})
	big := simpleTicket("Too long")
	big["message"] = strings.Repeat("x", 400)
	b.reject(t, b.client, []rejected{
		{"CreateTicket", "POST", "/tickets", big, 413, "larger than the limit of 300 bytes"},
		{"ListTickets", "POST", "/tickets/list", `{"ticketIds":[` + strings.Repeat("1,", 200) + `1]}`, 413, "larger than the limit"},
		{"Category", "POST", "/categories", map[string]any{"name": strings.Repeat("n", 400)}, 413, "larger than the limit"},
	})

	t.Run("UnderTheLimit", func(t *testing.T) {
		b.createTicket(t, simpleTicket("Short"))
	})
	t.Run("Token", func(t *testing.T) {
		status, body := b.postToken(t, map[string][]string{"grant_type": {"refresh_token"}, "refresh_token": {strings.Repeat("x", 400)}, "client_id": {b.cm.ClientID}})
		if status != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), `"invalid_request"`) {
			t.Fatalf("got %d %s, want 413 invalid_request", status, body)
		}
	})
}

func TestBasePath(t *testing.T) {
	t.Parallel()
	b := setupWith(t, options{BasePath: "/v2"})
	// The bundle's clients already use the prefix, in any letter case.
	id := b.createTicket(t, simpleTicket("Below /v2"))
	if got := b.ticket(t, id).Title; got != "Below /v2" {
		t.Fatalf("title %q", got)
	}
	upper := b.bearer(b.token)
	upper.url = b.srv.URL + "/V2"
	upper.ok(t, "GET", "/Teammates", nil)
	// Outside the prefix nothing is served, not even the token endpoint.
	root := b.bearer(b.token)
	root.url = b.srv.URL
	for _, path := range []string{"/teammates", fmt.Sprintf("/tickets/%d", id), "/v2x/teammates", "/token"} {
		root.fail(t, "GET", path, nil, http.StatusNotFound, "no endpoint")
	}
}
