package inbox_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"openboards/internal/ticket"
)

// fuzzForms are the inbox's form endpoints, on the ticket and items that
// FuzzForm's world holds; FuzzForm sends each input to one of them.
var fuzzForms = []string{
	"/signin",
	"/acme/account/password",
	"/acme/tickets/1/reply",
	"/acme/tickets/1/note",
	"/acme/tickets/1/status",
	"/acme/tickets/1/assignee",
	"/acme/tickets/1/category",
	"/acme/tickets/1/tags",
	"/acme/tickets/1/fields",
	"/acme/settings/categories",
	"/acme/settings/categories/1",
	"/acme/settings/fields",
	"/acme/settings/fields/1",
	"/acme/settings/teammates",
	"/acme/settings/groups",
	"/acme/settings/widgets",
	"/acme/settings/api/tokens",
}

// FuzzForm posts arbitrary form bodies to every inbox form, as a signed-in
// admin on a real SQLite store. Whatever the form, the answer is never a
// server error, and a refusal shows a message.
func FuzzForm(f *testing.F) {
	w := setupNewWorld(f)
	c := w.signIn("ada@acme.test")
	ctx := context.Background()
	if _, err := w.tickets.CreateTicket(ctx, w.cm, ticket.CreateTicketInput{Source: "api", DetailedSource: "api_ticket", Title: "Fuzz",
		Creator: &ticket.CreatorInput{Email: ptr("bill@example.com")}}); err != nil {
		f.Fatal(err)
	}
	a := c.post("/acme/settings/categories", map[string][]string{"name": {"Billing"}, "parent": {""}})
	b := c.post("/acme/settings/fields", map[string][]string{"name": {"Region"}, "type": {"dropdown"}, "possibleValues": {"Oslo\nAkershus"}})
	if a.status != http.StatusSeeOther || b.status != http.StatusSeeOther {
		f.Fatalf("fixture: status %d, %d", a.status, b.status)
	}
	f.Add(uint8(2), "message=Thanks%21&complete=on")
	f.Fuzz(func(t *testing.T, route uint8, form string) {
		path := fuzzForms[int(route)%len(fuzzForms)]
		req, err := http.NewRequest(http.MethodPost, w.srv.URL+path, strings.NewReader(form+"&csrf="+c.csrf))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := c.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case resp.StatusCode >= 500:
			t.Fatalf("POST %s %q: status %d\n%s", path, form, resp.StatusCode, setupErrorBox(string(body)))
		case resp.StatusCode == http.StatusBadRequest && strings.TrimSpace(setupErrorBox(string(body))) == "" && !strings.Contains(string(body), `class="error"`):
			t.Fatalf("POST %s %q: 400 without a message\n%s", path, form, body)
		}
	})
}
