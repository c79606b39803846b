package inbox_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestFormText checks that text a backend cannot store as it is (a NUL
// character, bytes that are not UTF-8) and text over the caps are refused
// on the form, naming the field, and that nothing is stored.
func TestFormText(t *testing.T) {
	w := setupNewWorld(t)
	c := w.signIn("ada@acme.test")
	const nul, latin1 = "a\x00b", "caf\xe9"

	c.refused("/acme/settings/categories", url.Values{"name": {nul}, "parent": {""}}, http.StatusBadRequest,
		"name: must not contain a NUL character", `name="name"`)
	c.refused("/acme/settings/categories", url.Values{"name": {latin1}, "parent": {""}}, http.StatusBadRequest,
		"name: is not valid UTF-8")
	if n := len(w.categories()); n != 0 {
		t.Fatalf("%d categories stored, want none", n)
	}
	c.refused("/acme/settings/fields", url.Values{"name": {"Colour"}, "type": {"text"}, "placeholder": {nul}}, http.StatusBadRequest,
		"placeholder: must not contain a NUL character", `value="Colour"`)
	c.refused("/acme/settings/fields", url.Values{"name": {"Colour"}, "type": {"text"}, "placeholder": {strings.Repeat("p", 501)}}, http.StatusBadRequest,
		"placeholder: longer than 500 characters")
	c.refused("/acme/settings/fields", url.Values{"name": {"Colour"}, "type": {"dropdown"}, "possibleValues": {"Red\n" + nul}}, http.StatusBadRequest,
		"possibleValues[1].value: must not contain a NUL character")
	if fields, err := w.store.FindCustomFields(w.ctx, w.cm.ID); err != nil || len(fields) != 0 {
		t.Fatalf("custom fields %v, %v; want none stored", fields, err)
	}
	c.refused("/acme/settings/teammates", url.Values{"email": {"nina@acme.test"}, "name": {nul}, "role": {"vendor"}}, http.StatusBadRequest,
		"name: must not contain a NUL character")
	c.refused("/acme/settings/teammates", url.Values{"email": {strings.Repeat("n", 245) + "@acme.test"}, "name": {"Nina"}, "role": {"vendor"}}, http.StatusBadRequest,
		"email: longer than 254 characters")
	c.refused("/acme/settings/groups", url.Values{"name": {nul}}, http.StatusBadRequest, "name: must not contain a NUL character")

	// The sign-in form says which field is wrong.
	a := c.send(http.MethodPost, "/signin", url.Values{"community": {nul}, "email": {"ada@acme.test"}, "password": {setupPassword}})
	if a.status != http.StatusBadRequest || !strings.Contains(a.body, html.EscapeString("community: must not contain a NUL character")) || !strings.Contains(a.body, `name="password"`) {
		t.Fatalf("sign in with a NUL community: status %d, want 400 on the form naming the field\n%s", a.status, setupErrorBox(a.body))
	}
	// So does the ticket list's filter.
	a = c.get("/acme/tickets?q=" + url.QueryEscape(nul))
	if a.status != http.StatusBadRequest || !strings.Contains(a.body, html.EscapeString("q: must not contain a NUL character")) {
		t.Fatalf("ticket list with a NUL filter: status %d, want 400 naming q", a.status)
	}
}
