package api_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// fuzzRoutes are the endpoints that take a JSON body, on the fixture that
// seed creates (ticket 1 with reply 1 and note 1, category 1, custom field
// 1, the first user group, widget 1). FuzzAPI sends each input to one of
// them.
var fuzzRoutes = []struct{ method, path string }{
	{"POST", "/tickets"},
	{"POST", "/tickets/list"},
	{"POST", "/tickets/ids"},
	{"PATCH", "/tickets/1/customfields"},
	{"PATCH", "/tickets/1/assignee"},
	{"PATCH", "/tickets/1/status"},
	{"PATCH", "/tickets/1/category"},
	{"PUT", "/tickets/1/category"},
	{"PUT", "/tickets/1/tags"},
	{"POST", "/tickets/1/log"},
	{"POST", "/tickets/1/read"},
	{"POST", "/tickets/1/replies"},
	{"PATCH", "/tickets/1/replies/1"},
	{"PUT", "/tickets/1/replies/1/tags"},
	{"POST", "/tickets/1/notes"},
	{"PATCH", "/tickets/1/notes/1"},
	{"POST", "/categories"},
	{"PATCH", "/categories/1"},
	{"POST", "/customfields"},
	{"PUT", "/customfields/1"},
	{"POST", "/usergroups"},
	{"PATCH", "/usergroups/1"},
	{"POST", "/usergroups/1/teammates"},
	{"POST", "/widgets/schedules"},
}

// FuzzAPI sends arbitrary bodies to every endpoint that decodes one, on a
// real server with a SQLite store. Whatever the body, the answer is a well
// formed envelope, never a 500, and a refusal names the field or the body.
func FuzzAPI(f *testing.F) {
	b := setup(f)
	b.seed(f)
	f.Add(uint8(0), []byte(`{"title":"New car price list.","creator":{"name":"Bill Smith","email":"bill_smith@gmail.com"}}`))
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		status, env := b.do(t, r.method, r.path, body)
		switch {
		case status == 200:
		case status >= 500:
			t.Fatalf("%s %s %q: %d %s", r.method, r.path, body, status, env.Raw)
		case status == 400 && !strings.Contains(env.ErrorText, ": "):
			t.Fatalf("%s %s %q: errorText %q does not name a field", r.method, r.path, body, env.ErrorText)
		}
		if status == 200 && !json.Valid(env.Data) {
			t.Fatalf("%s %s %q: data %q", r.method, r.path, body, env.Data)
		}
	})
}

// TestFuzzRoutes checks that the fixture FuzzAPI relies on exists: each
// route takes a valid body.
func TestFuzzRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)
	if f.ticket != 1 || f.reply != 1 || f.note != 1 || f.customers != 1 || f.number != 1 || f.widget != 1 {
		t.Fatalf("fixture ids %+v, want the first of each to be 1", f)
	}
}
