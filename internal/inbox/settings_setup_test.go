package inbox_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"openboards/internal/community"
	"openboards/internal/inbox"
	"openboards/internal/live"
	"openboards/internal/openboards"
	"openboards/internal/store/sqlite"
	"openboards/internal/ticket"
)

// The setup pages: categories, custom fields, teammates, user groups and
// widget schedules.

const setupPassword = "a long enough password"

// setupWorld is one test's server: a real SQLite store, the services, the
// inbox on an httptest server and community "acme" with an admin, a team
// member and a read-only teammate, each with a password.
type setupWorld struct {
	t           testing.TB
	ctx         context.Context
	store       *sqlite.Store
	tickets     *ticket.Service
	communities *community.Service
	srv         *httptest.Server
	cm          *openboards.Community

	admin, member, readOnly *openboards.User
}

func setupNewWorld(t testing.TB) *setupWorld {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "openboards.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	communities, err := community.NewService(ctx, store, time.Now, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &setupWorld{t: t, ctx: ctx, store: store, tickets: ticket.NewService(store, ticket.NoEvents, live.Discard, time.Now), communities: communities}
	handler, err := inbox.NewHandler(store, w.tickets, communities, inbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewServer(handler)
	t.Cleanup(w.srv.Close)
	created, err := communities.Create(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	w.cm = created.Community
	w.admin = w.teammate("ada@acme.test", "Ada Admin", "admin")
	w.member = w.teammate("max@acme.test", "Max Member", "team_member")
	w.readOnly = w.teammate("rita@acme.test", "Rita Reader", "read_only_user")
	return w
}

func (w *setupWorld) teammate(email, name, role string) *openboards.User {
	w.t.Helper()
	u, err := w.communities.AddTeammate(w.ctx, w.cm, community.TeammateInput{Email: email, Name: name, Role: role})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.communities.SetPassword(w.ctx, w.cm, email, setupPassword); err != nil {
		w.t.Fatal(err)
	}
	return u
}

// setupClient is a signed-in browser: it keeps cookies and does not
// follow redirects.
type setupClient struct {
	w    *setupWorld
	c    *http.Client
	csrf string
}

type setupAnswer struct {
	status   int
	location string
	body     string
}

func (w *setupWorld) signIn(email string) *setupClient {
	w.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		w.t.Fatal(err)
	}
	c := &setupClient{w: w, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	a := c.send(http.MethodPost, "/signin", url.Values{"community": {"acme"}, "email": {email}, "password": {setupPassword}})
	if a.status != http.StatusSeeOther {
		w.t.Fatalf("sign in as %s: status %d\n%s", email, a.status, a.body)
	}
	// Every page of a signed-in teammate carries the CSRF token (the
	// sign-out form).
	c.csrf = setupCSRF(w.t, c.get("/acme/account").body)
	return c
}

var setupCSRFPattern = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func setupCSRF(t testing.TB, page string) string {
	t.Helper()
	m := setupCSRFPattern.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on the page:\n%s", page)
	}
	return html.UnescapeString(m[1])
}

func (c *setupClient) send(method, path string, form url.Values) setupAnswer {
	c.w.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.w.srv.URL+path, body)
	if err != nil {
		c.w.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.w.t.Fatal(err)
	}
	return setupAnswer{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b)}
}

func (c *setupClient) get(path string) setupAnswer { return c.send(http.MethodGet, path, nil) }

// post sends a form with the session's CSRF token.
func (c *setupClient) post(path string, form url.Values) setupAnswer {
	c.w.t.Helper()
	f := url.Values{"csrf": {c.csrf}}
	for k, v := range form {
		f[k] = v
	}
	return c.send(http.MethodPost, path, f)
}

// page gets a page that must answer 200.
func (c *setupClient) page(path string) string {
	c.w.t.Helper()
	a := c.get(path)
	if a.status != http.StatusOK {
		c.w.t.Fatalf("GET %s: status %d\n%s", path, a.status, a.body)
	}
	return a.body
}

// done posts a form that must succeed: a redirect back to the section with
// the flash code, whose page then shows flash.
func (c *setupClient) done(path string, form url.Values, section, code, flash string) {
	c.w.t.Helper()
	a := c.post(path, form)
	want := "/acme/settings/" + section + "?done=" + code
	if a.status != http.StatusSeeOther || a.location != want {
		c.w.t.Fatalf("POST %s: status %d, location %q; want 303 to %q\n%s", path, a.status, a.location, want, setupErrorBox(a.body))
	}
	if page := c.page(a.location); !strings.Contains(page, `class="flash" role="status">`+html.EscapeString(flash)) {
		c.w.t.Fatalf("%s does not show the flash %q", a.location, flash)
	}
}

// refused posts a form that must fail with status, showing msg in the
// page's error box and, when kept is given, the form's values again.
func (c *setupClient) refused(path string, form url.Values, status int, msg string, kept ...string) string {
	c.w.t.Helper()
	a := c.post(path, form)
	if a.status != status {
		c.w.t.Fatalf("POST %s: status %d, want %d\n%s", path, a.status, status, setupErrorBox(a.body))
	}
	if box := setupErrorBox(a.body); !strings.Contains(box, html.EscapeString(msg)) {
		c.w.t.Fatalf("POST %s: error box %q does not say %q", path, box, msg)
	}
	for _, k := range kept {
		if !strings.Contains(a.body, k) {
			c.w.t.Fatalf("POST %s: the page does not keep %s", path, k)
		}
	}
	return a.body
}

var setupErrorPattern = regexp.MustCompile(`(?s)<p class="error" role="alert">(.*?)</p>`)

func setupErrorBox(page string) string {
	if m := setupErrorPattern.FindStringSubmatch(page); m != nil {
		return m[1]
	}
	return ""
}

// setupSelect returns the option values of the select with id.
func setupSelect(t *testing.T, page, id string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<select id="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</select>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no select %q on the page", id)
	}
	var out []string
	for _, o := range regexp.MustCompile(`<option value="([^"]*)"`).FindAllStringSubmatch(m[1], -1) {
		out = append(out, o[1])
	}
	return out
}

func setupID(id int64) string { return strconv.FormatInt(id, 10) }

func (w *setupWorld) categories() map[string]*openboards.Category {
	w.t.Helper()
	all, err := w.store.FindCategories(w.ctx, w.cm.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string]*openboards.Category{}
	for _, c := range all {
		out[c.Name] = c
	}
	return out
}

func TestSetupCategories(t *testing.T) {
	w := setupNewWorld(t)
	c := w.signIn("ada@acme.test")
	const page = "/acme/settings/categories"
	if body := c.page(page); !strings.Contains(body, "There are no categories yet.") {
		t.Fatal("the empty page does not say there are no categories")
	}

	c.done(page, url.Values{"name": {"Billing"}, "parent": {""}}, "categories", "created", "The category is added.")
	billing := w.categories()["Billing"]
	if billing == nil || billing.ParentID != nil || !billing.CanBeChosen || billing.IsHidden {
		t.Fatalf("Billing = %+v, want a choosable root category", billing)
	}
	c.done(page, url.Values{"name": {"Invoices"}, "parent": {setupID(billing.ID)}}, "categories", "created", "The category is added.")
	invoices := w.categories()["Invoices"]
	c.done(page, url.Values{"name": {"Refunds"}, "parent": {setupID(invoices.ID)}}, "categories", "created", "The category is added.")
	refunds := w.categories()["Refunds"]
	if invoices.ParentID == nil || *invoices.ParentID != billing.ID || refunds.ParentID == nil || *refunds.ParentID != invoices.ID {
		t.Fatalf("the tree is wrong: Invoices %+v, Refunds %+v", invoices, refunds)
	}

	// The tree nests, and a category cannot be moved below itself or its
	// subcategories.
	body := c.page(page)
	if !regexp.MustCompile(`(?s)id="category-` + setupID(billing.ID) + `".*<ul>.*id="category-` + setupID(invoices.ID) + `".*<ul>.*id="category-` + setupID(refunds.ID) + `"`).MatchString(body) {
		t.Fatal("the categories are not nested lists")
	}
	if got := setupSelect(t, body, "category-"+setupID(billing.ID)+"-parent"); strings.Join(got, ",") != "" {
		t.Fatalf("Billing may move below %v; want only the top level", got)
	}
	if got := setupSelect(t, body, "category-"+setupID(refunds.ID)+"-parent"); strings.Join(got, ",") != ","+setupID(billing.ID)+","+setupID(invoices.ID) {
		t.Fatalf("Refunds may move below %v", got)
	}

	// Rename, change flags and move in one form.
	c.done(page+"/"+setupID(invoices.ID), url.Values{"name": {"Bills"}, "parent": {""}, "isHidden": {"1"}, "isMuted": {"1"}, "autoArchive": {"1"}},
		"categories", "updated", "The category is saved.")
	bills := w.categories()["Bills"]
	if bills == nil || bills.ParentID != nil || bills.CanBeChosen || !bills.IsHidden || !bills.IsMuted || !bills.AutoArchive {
		t.Fatalf("Bills = %+v", bills)
	}
	c.done(page+"/"+setupID(invoices.ID), url.Values{"name": {"Bills"}, "parent": {setupID(billing.ID)}, "canBeChosen": {"1"}},
		"categories", "updated", "The category is saved.")
	if bills = w.categories()["Bills"]; bills.ParentID == nil || *bills.ParentID != billing.ID || !bills.CanBeChosen || bills.IsHidden {
		t.Fatalf("Bills = %+v", bills)
	}

	// A move that would form a cycle is refused and changes nothing; the
	// form keeps what was sent.
	before := w.categories()
	c.refused(page+"/"+setupID(billing.ID), url.Values{"name": {"Money matters"}, "parent": {setupID(refunds.ID)}, "canBeChosen": {"1"}},
		http.StatusBadRequest, "a category cannot be placed below itself or its subcategories", `value="Money matters"`)
	c.refused(page+"/"+setupID(billing.ID), url.Values{"name": {"Billing"}, "parent": {setupID(billing.ID)}},
		http.StatusBadRequest, "a category cannot be placed below itself")
	c.refused(page, url.Values{"name": {"  "}}, http.StatusBadRequest, "name: required")
	c.refused(page, url.Values{"name": {"Orphan"}, "parent": {"999"}}, http.StatusBadRequest, "category 999 not found", `value="Orphan"`)
	after := w.categories()
	if len(after) != len(before) || after["Billing"] == nil || after["Billing"].ParentID != nil {
		t.Fatalf("refused changes changed the categories: %v", after)
	}

	// A category with subcategories cannot be deleted.
	c.refused(page+"/"+setupID(billing.ID)+"/delete", nil, http.StatusConflict, "has 1 subcategories; move or delete them first")
	if w.categories()["Billing"] == nil {
		t.Fatal("Billing was deleted")
	}
	c.done(page+"/"+setupID(refunds.ID)+"/delete", nil, "categories", "deleted", "The category is deleted.")
	if _, ok := w.categories()["Refunds"]; ok {
		t.Fatal("Refunds is still there")
	}
	if a := c.post(page+"/"+setupID(refunds.ID)+"/delete", nil); a.status != http.StatusNotFound {
		t.Fatalf("deleting a deleted category: status %d, want 404", a.status)
	}
}

func TestSetupCustomFields(t *testing.T) {
	w := setupNewWorld(t)
	c := w.signIn("ada@acme.test")
	name := "Hardware"
	var none *int64
	hw, err := w.tickets.CreateCategory(w.ctx, w.cm, ticket.CategoryInput{Name: &name, ParentID: &none})
	if err != nil {
		t.Fatal(err)
	}
	const page = "/acme/settings/fields"
	body := c.page(page)
	for _, typ := range openboards.FieldTypes {
		if !strings.Contains(body, `<option value="`+typ+`"`) {
			t.Fatalf("the type list lacks %s", typ)
		}
	}

	c.done(page, url.Values{"name": {"Size"}, "type": {"dropdown"}, "order": {"2"}, "possibleValues": {"Small\r\n\r\nLarge\r\n"},
		"isRequired": {"1"}, "defaultValue": {"small"}, "placeholder": {"Pick one"}, "category": {setupID(hw.ID)}},
		"fields", "created", "The custom field is added.")
	c.done(page, url.Values{"name": {"Serial"}, "type": {"text"}, "order": {"1"}, "isSensitiveData": {"1"}, "isHidden": {"1"}},
		"fields", "created", "The custom field is added.")
	fields, err := w.store.FindCustomFields(w.ctx, w.cm.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(fields) != 2 || fields[0].Name != "Serial" || fields[1].Name != "Size" {
		t.Fatalf("fields = %+v", fields)
	}
	size, serial := fields[1], fields[0]
	if size.Type != "dropdown" || !size.IsRequired || size.DefaultValue == nil || *size.DefaultValue != "Small" ||
		size.Placeholder == nil || *size.Placeholder != "Pick one" || len(size.PossibleValues) != 2 ||
		size.PossibleValues[0] != (openboards.PossibleValue{Order: 1, Value: "Small"}) || size.PossibleValues[1].Value != "Large" ||
		len(size.AssignedCategoryIDs) != 1 || size.AssignedCategoryIDs[0] != hw.ID {
		t.Fatalf("Size = %+v", size)
	}
	if !serial.IsSensitiveData || !serial.IsHidden || serial.IsRequired || len(serial.PossibleValues) != 0 {
		t.Fatalf("Serial = %+v", serial)
	}
	// Listed as the API lists them: by order, then id.
	body = c.page(page)
	if i, j := strings.Index(body, ">Serial</a>"), strings.Index(body, ">Size</a>"); i < 0 || j < 0 || i > j {
		t.Fatal("the list is not ordered as the API orders it")
	}

	// Invalid definitions are refused, nothing changes, the form keeps
	// what was sent.
	c.refused(page, url.Values{"name": {"Colour"}, "type": {"bogus"}}, http.StatusBadRequest, `type: unknown custom field type "bogus"`, `value="Colour"`)
	c.refused(page, url.Values{"name": {"Colour"}, "type": {"text"}, "possibleValues": {"Red\nBlue"}}, http.StatusBadRequest,
		"possibleValues: a text field takes no possible values", ">Red\nBlue</textarea>")
	c.refused(page, url.Values{"name": {"Colour"}, "type": {"dropdown"}}, http.StatusBadRequest, "a dropdown field needs at least one possible value")
	c.refused(page, url.Values{"name": {"Colour"}, "type": {"number"}, "defaultValue": {"many"}}, http.StatusBadRequest, `defaultValue: "many" is not a number`)
	c.refused(page, url.Values{"name": {"Colour"}, "type": {"text"}, "order": {"first"}}, http.StatusBadRequest, `order: "first" is not a whole number`)
	c.refused(page, url.Values{"name": {"Colour"}, "type": {"text"}, "category": {"999"}}, http.StatusBadRequest, "category 999 not found")
	if fields, _ := w.store.FindCustomFields(w.ctx, w.cm.ID); len(fields) != 2 {
		t.Fatalf("refused definitions were stored: %d fields", len(fields))
	}

	// The edit page shows the field; saving replaces the definition.
	edit := page + "/" + setupID(size.ID)
	body = c.page(edit)
	if !strings.Contains(body, "Edit “Size”") || !strings.Contains(body, ">Small\nLarge</textarea>") ||
		!regexp.MustCompile(`name="category" value="`+setupID(hw.ID)+`" checked`).MatchString(body) ||
		!regexp.MustCompile(`<option value="dropdown" selected>`).MatchString(body) {
		t.Fatal("the edit form does not show the stored field")
	}
	c.refused(edit, url.Values{"name": {"Shirt size"}, "type": {"multiselect"}, "possibleValues": {"S;M"}}, http.StatusBadRequest,
		"must not contain ';'", `value="Shirt size"`, "Edit “Size”")
	c.done(edit, url.Values{"name": {"Shirt size"}, "type": {"multiselect"}, "possibleValues": {"S\nM\nL"}, "defaultValue": {"m;l"}},
		"fields", "updated", "The custom field is saved.")
	got, err := w.store.FindCustomFieldByID(w.ctx, w.cm.ID, size.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Shirt size" || got.Type != "multiselect" || got.IsRequired || len(got.PossibleValues) != 3 ||
		got.DefaultValue == nil || *got.DefaultValue != "M;L" || len(got.AssignedCategoryIDs) != 0 || got.Placeholder != nil {
		t.Fatalf("the saved field = %+v", got)
	}

	// Deleting asks for confirmation.
	c.refused(edit+"/delete", nil, http.StatusBadRequest, "confirm: tick the box")
	if _, err := w.store.FindCustomFieldByID(w.ctx, w.cm.ID, size.ID); err != nil {
		t.Fatalf("deleted without confirmation: %v", err)
	}
	c.done(edit+"/delete", url.Values{"confirm": {"1"}}, "fields", "deleted", "The custom field and its values are deleted.")
	if _, err := w.store.FindCustomFieldByID(w.ctx, w.cm.ID, size.ID); openboards.ErrorCode(err) != openboards.CodeNotFound {
		t.Fatalf("after deletion: %v", err)
	}
	if a := c.get(edit); a.status != http.StatusNotFound {
		t.Fatalf("the edit page of a deleted field: status %d", a.status)
	}
}

func (w *setupWorld) groupsOf(id string) []string {
	w.t.Helper()
	groups, err := w.store.FindUserGroups(w.ctx, w.cm.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, g := range groups {
		ids, err := w.store.FindUserGroupMemberIDs(w.ctx, w.cm.ID, g.ID)
		if err != nil {
			w.t.Fatal(err)
		}
		for _, m := range ids {
			if m == id {
				out = append(out, g.Name)
			}
		}
	}
	return out
}

func TestSetupTeammates(t *testing.T) {
	w := setupNewWorld(t)
	c := w.signIn("ada@acme.test")
	const page = "/acme/settings/teammates"
	body := c.page(page)
	for _, s := range []string{"Ada Admin", "max@acme.test", "Team member", "Read-only"} {
		if !strings.Contains(body, s) {
			t.Fatalf("the list lacks %q", s)
		}
	}
	if strings.Contains(body, "Public API") {
		t.Fatal("the API user is listed as a teammate")
	}

	c.done(page, url.Values{"email": {"nina@acme.test"}, "name": {"Nina Night"}, "role": {"vendor"}, "group": {"Night shift"}},
		"teammates", "added", "The teammate is saved.")
	nina, err := w.store.FindUserByEmail(w.ctx, w.cm.ID, "nina@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	if nina.Name != "Nina Night" || nina.Role != openboards.RoleVendor || nina.Status != openboards.StatusTeam {
		t.Fatalf("Nina = %+v", nina)
	}
	if g := w.groupsOf(nina.ID); len(g) != 1 || g[0] != "Night shift" {
		t.Fatalf("Nina's groups = %v", g)
	}
	if body := c.page(page); !regexp.MustCompile(`(?s)Nina Night</th>.*?Vendor</td>\s*<td>Night shift</td>`).MatchString(body) {
		t.Fatal("the list does not show Nina's role and group")
	}

	// Invalid input is refused and adds no one; the form keeps it.
	team, _ := w.store.FindTeammates(w.ctx, w.cm.ID, nil)
	c.refused(page, url.Values{"email": {"not-an-email"}, "name": {"Olga"}, "role": {"team_member"}}, http.StatusBadRequest,
		`email: "not-an-email" is not an e-mail address`, `value="not-an-email"`, `value="Olga"`)
	c.refused(page, url.Values{"email": {"olga@acme.test"}, "name": {"Olga"}, "role": {"boss"}}, http.StatusBadRequest, `role: unknown role "boss"`)
	c.refused(page, url.Values{"email": {"olga@acme.test"}, "name": {" "}, "role": {"admin"}}, http.StatusBadRequest, "name: required")
	if again, _ := w.store.FindTeammates(w.ctx, w.cm.ID, nil); len(again) != len(team) {
		t.Fatalf("refused teammates were added: %d, was %d", len(again), len(team))
	}

	// A teammate's name and role change; their groups stay.
	c.done(page+"/"+nina.ID, url.Values{"name": {"Nina Day"}, "role": {"team_member"}}, "teammates", "updated", "The teammate is saved.")
	nina, _ = w.store.FindUserByID(w.ctx, w.cm.ID, nina.ID)
	if nina.Name != "Nina Day" || nina.Role != openboards.RoleTeamMember || *nina.Email != "nina@acme.test" {
		t.Fatalf("Nina = %+v", nina)
	}
	if g := w.groupsOf(nina.ID); len(g) != 1 {
		t.Fatalf("Nina's groups = %v", g)
	}
	c.refused(page+"/"+nina.ID, url.Values{"name": {"Nina Day"}, "role": {"chief"}}, http.StatusBadRequest, `role: unknown role "chief"`)
	// An admin cannot lock themselves out.
	c.refused(page+"/"+w.admin.ID, url.Values{"name": {"Ada"}, "role": {"team_member"}}, http.StatusBadRequest, "you cannot take away your own admin role")
	if ada, _ := w.store.FindUserByID(w.ctx, w.cm.ID, w.admin.ID); ada.Role != openboards.RoleAdmin || ada.Name != "Ada Admin" {
		t.Fatalf("Ada = %+v", ada)
	}
	if a := c.post(page+"/"+openboards.NewID(), url.Values{"name": {"X"}, "role": {"admin"}}); a.status != http.StatusNotFound {
		t.Fatalf("changing an unknown teammate: status %d", a.status)
	}
	// No password fields here.
	if strings.Contains(c.page(page), `type="password"`) {
		t.Fatal("the teammates page handles passwords")
	}
}

func TestSetupGroups(t *testing.T) {
	w := setupNewWorld(t)
	c := w.signIn("ada@acme.test")
	const page = "/acme/settings/groups"
	c.done(page, url.Values{"name": {"Tier 1"}, "member": {w.admin.ID, w.member.ID}}, "groups", "created", "The user group is created.")
	groups, _ := w.store.FindUserGroups(w.ctx, w.cm.ID)
	if len(groups) != 1 || groups[0].Name != "Tier 1" {
		t.Fatalf("groups = %+v", groups)
	}
	g := groups[0]
	if m, _ := w.store.FindUserGroupMemberIDs(w.ctx, w.cm.ID, g.ID); len(m) != 2 {
		t.Fatalf("members = %v", m)
	}
	if body := c.page(page); !strings.Contains(body, "Members: Ada Admin, Max Member") {
		t.Fatal("the page does not list the members")
	}

	c.refused(page, url.Values{"name": {"tier 1"}, "member": {w.readOnly.ID}}, http.StatusConflict, "", `value="tier 1"`)
	c.refused(page, url.Values{"name": {""}}, http.StatusBadRequest, "name: required")
	c.refused(page, url.Values{"name": {"Ghosts"}, "member": {openboards.NewID()}}, http.StatusBadRequest, "teammateIds[0]")
	if groups, _ := w.store.FindUserGroups(w.ctx, w.cm.ID); len(groups) != 1 {
		t.Fatalf("refused groups were created: %+v", groups)
	}

	// Rename and set the members in one form.
	gp := page + "/" + setupID(g.ID)
	c.done(gp, url.Values{"name": {"Tier One"}, "member": {w.readOnly.ID}}, "groups", "updated", "The user group is saved.")
	if got, _ := w.store.FindUserGroupByID(w.ctx, w.cm.ID, g.ID); got.Name != "Tier One" {
		t.Fatalf("group = %+v", got)
	}
	if m, _ := w.store.FindUserGroupMemberIDs(w.ctx, w.cm.ID, g.ID); len(m) != 1 || m[0] != w.readOnly.ID {
		t.Fatalf("members = %v", m)
	}
	c.refused(gp, url.Values{"name": {" "}, "member": {w.member.ID}}, http.StatusBadRequest, "name: required")
	if m, _ := w.store.FindUserGroupMemberIDs(w.ctx, w.cm.ID, g.ID); len(m) != 1 {
		t.Fatalf("a refused change changed the members: %v", m)
	}
	// No box ticked: no members.
	c.done(gp, url.Values{"name": {"Tier One"}}, "groups", "updated", "The user group is saved.")
	if m, _ := w.store.FindUserGroupMemberIDs(w.ctx, w.cm.ID, g.ID); len(m) != 0 {
		t.Fatalf("members = %v", m)
	}

	c.done(gp+"/delete", nil, "groups", "deleted", "The user group is deleted; its teammates stay.")
	if groups, _ := w.store.FindUserGroups(w.ctx, w.cm.ID); len(groups) != 0 {
		t.Fatalf("groups = %+v", groups)
	}
	if team, _ := w.store.FindTeammates(w.ctx, w.cm.ID, nil); len(team) != 3 {
		t.Fatalf("teammates = %d", len(team))
	}
}

func (w *setupWorld) widgets() []*openboards.WidgetSchedule {
	w.t.Helper()
	list, err := w.store.FindWidgetSchedules(w.ctx, w.cm.ID, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	return list
}

func TestSetupWidgets(t *testing.T) {
	w := setupNewWorld(t)
	c := w.signIn("ada@acme.test")
	const page = "/acme/settings/widgets"
	body := c.page(page)
	if n := strings.Count(body, `type="time"`); n != 2*3*8 {
		t.Fatalf("the add form has %d time inputs, want %d", n, 2*3*8)
	}

	c.done(page, url.Values{"period": {"1"}, "start": {"09:00", "", "18:00"}, "end": {"17:00", "", "20:30"}}, "widgets", "created", "The widget is added.")
	list := w.widgets()
	if len(list) != 1 || list[0].TimePeriod != 1 || len(list[0].Times) != 2 ||
		list[0].Times[0] != (openboards.ScheduleTime{StartAt: "09:00:00", EndAt: "17:00:00"}) || list[0].Times[1].EndAt != "20:30:00" || list[0].CustomTimes != nil {
		t.Fatalf("widgets = %+v", list)
	}
	first := list[0].WidgetID

	c.done(page, url.Values{"period": {"3"}, "start": {"07:00"}, "end": {"08:00"},
		"monday-start": {"09:00", "13:00", ""}, "monday-end": {"12:00", "17:00", ""}, "saturday-start": {"10:00"}, "saturday-end": {"14:00"}},
		"widgets", "created", "The widget is added.")
	list = w.widgets()
	if len(list) != 2 {
		t.Fatalf("widgets = %+v", list)
	}
	custom := list[1]
	if custom.TimePeriod != 3 || custom.Times != nil || custom.CustomTimes == nil || len(custom.CustomTimes.Monday) != 2 ||
		custom.CustomTimes.Monday[1] != (openboards.ScheduleTime{StartAt: "13:00:00", EndAt: "17:00:00"}) ||
		len(custom.CustomTimes.Saturday) != 1 || len(custom.CustomTimes.Sunday) != 0 {
		t.Fatalf("the custom widget = %+v %+v", custom, custom.CustomTimes)
	}
	body = c.page(page)
	for _, s := range []string{"<dt>Every day</dt><dd>09:00–17:00, 18:00–20:30</dd>", "<dt>Monday</dt><dd>09:00–12:00, 13:00–17:00</dd>", "<dt>Sunday</dt><dd>Closed</dd>"} {
		if !strings.Contains(body, s) {
			t.Fatalf("the page does not show %q", s)
		}
	}
	if !strings.Contains(body, `id="widget-`+setupID(first)+`-1-start" name="start" type="time" value="09:00"`) {
		t.Fatal("the edit form does not show the stored times")
	}

	// An end before its start, a half-filled row, a missing period or no
	// times at all are refused and change nothing; the form keeps them.
	c.refused(page, url.Values{"period": {"1"}, "start": {"17:00"}, "end": {"09:00"}}, http.StatusBadRequest,
		"times[0].endAt: must be after startAt", `value="17:00"`, `value="09:00"`)
	c.refused(page+"/"+setupID(first), url.Values{"period": {"3"}, "friday-start": {"18:00"}, "friday-end": {"08:00"}}, http.StatusBadRequest,
		"customTimes.friday[0].endAt: must be after startAt", `name="friday-start" type="time" value="18:00"`)
	c.refused(page, url.Values{"period": {"2"}, "start": {"09:00"}, "end": {""}}, http.StatusBadRequest, "times: row 1 needs both a start and an end time")
	c.refused(page, url.Values{"period": {"2"}}, http.StatusBadRequest, "times: required when timePeriod is 2")
	c.refused(page, url.Values{"start": {"09:00"}, "end": {"10:00"}}, http.StatusBadRequest, "timePeriod: must be 1")
	c.refused(page, url.Values{"period": {"1"}, "start": {"25:00"}, "end": {"26:00"}}, http.StatusBadRequest, `"25:00:00" is not a time of day`)
	if got := w.widgets(); len(got) != 2 || got[0].TimePeriod != 1 || len(got[0].Times) != 2 {
		t.Fatalf("refused schedules changed the widgets: %+v", got)
	}

	c.done(page+"/"+setupID(first), url.Values{"period": {"2"}, "start": {"08:00"}, "end": {"16:00"}}, "widgets", "updated", "The widget's schedule is saved.")
	if got := w.widgets(); got[0].TimePeriod != 2 || len(got[0].Times) != 1 || got[0].Times[0].StartAt != "08:00:00" {
		t.Fatalf("the replaced schedule = %+v", got[0])
	}
	c.done(page+"/"+setupID(first)+"/delete", nil, "widgets", "deleted", "The widget is deleted.")
	if got := w.widgets(); len(got) != 1 || got[0].WidgetID == first {
		t.Fatalf("widgets = %+v", got)
	}
	if a := c.post(page+"/"+setupID(first), url.Values{"period": {"1"}, "start": {"08:00"}, "end": {"16:00"}}); a.status != http.StatusNotFound {
		t.Fatalf("replacing a deleted widget's schedule: status %d", a.status)
	}
}

// setupRoutes are every setup route, with the form a POST sends.
func (w *setupWorld) setupRoutes() []struct {
	method, path string
	form         url.Values
} {
	name := "Cat"
	var none *int64
	cat, err := w.tickets.CreateCategory(w.ctx, w.cm, ticket.CategoryInput{Name: &name, ParentID: &none})
	if err != nil {
		w.t.Fatal(err)
	}
	f := &openboards.CustomField{Name: "Serial", Type: "text"}
	if err := w.tickets.CreateCustomField(w.ctx, w.cm, f); err != nil {
		w.t.Fatal(err)
	}
	g, err := w.tickets.CreateUserGroup(w.ctx, w.cm, "Tier 1", nil)
	if err != nil {
		w.t.Fatal(err)
	}
	ws := &openboards.WidgetSchedule{TimePeriod: 1, Times: []openboards.ScheduleTime{{StartAt: "09:00:00", EndAt: "17:00:00"}}}
	if err := w.tickets.PutWidgetSchedule(w.ctx, w.cm, ws); err != nil {
		w.t.Fatal(err)
	}
	s := "/acme/settings/"
	catForm := url.Values{"name": {"Renamed"}}
	fieldForm := url.Values{"name": {"Renamed"}, "type": {"text"}, "confirm": {"1"}}
	teamForm := url.Values{"email": {"x@acme.test"}, "name": {"X"}, "role": {"admin"}}
	groupForm := url.Values{"name": {"Renamed"}}
	widgetForm := url.Values{"period": {"1"}, "start": {"10:00"}, "end": {"11:00"}}
	return []struct {
		method, path string
		form         url.Values
	}{
		{"GET", s + "categories", nil},
		{"POST", s + "categories", catForm},
		{"POST", s + "categories/" + setupID(cat.ID), catForm},
		{"POST", s + "categories/" + setupID(cat.ID) + "/delete", nil},
		{"GET", s + "fields", nil},
		{"POST", s + "fields", fieldForm},
		{"GET", s + "fields/" + setupID(f.ID), nil},
		{"POST", s + "fields/" + setupID(f.ID), fieldForm},
		{"POST", s + "fields/" + setupID(f.ID) + "/delete", fieldForm},
		{"GET", s + "teammates", nil},
		{"POST", s + "teammates", teamForm},
		{"POST", s + "teammates/" + w.member.ID, teamForm},
		{"GET", s + "groups", nil},
		{"POST", s + "groups", groupForm},
		{"POST", s + "groups/" + setupID(g.ID), groupForm},
		{"POST", s + "groups/" + setupID(g.ID) + "/delete", nil},
		{"GET", s + "widgets", nil},
		{"POST", s + "widgets", widgetForm},
		{"POST", s + "widgets/" + setupID(ws.WidgetID), widgetForm},
		{"POST", s + "widgets/" + setupID(ws.WidgetID) + "/delete", nil},
	}
}

// setupState sums up everything the setup pages can change.
func (w *setupWorld) setupState() string {
	w.t.Helper()
	var b strings.Builder
	cats, _ := w.store.FindCategories(w.ctx, w.cm.ID)
	for _, c := range cats {
		b.WriteString(c.Name + ";")
	}
	fields, _ := w.store.FindCustomFields(w.ctx, w.cm.ID)
	for _, f := range fields {
		b.WriteString(f.Name + ";")
	}
	team, _ := w.store.FindTeammates(w.ctx, w.cm.ID, nil)
	for _, u := range team {
		b.WriteString(u.Name + "/" + string(u.Role) + ";")
	}
	groups, _ := w.store.FindUserGroups(w.ctx, w.cm.ID)
	for _, g := range groups {
		b.WriteString(g.Name + ";")
	}
	for _, ws := range w.widgets() {
		b.WriteString(strconv.Itoa(ws.TimePeriod))
		for _, t := range ws.Times {
			b.WriteString(t.StartAt + "-" + t.EndAt)
		}
		b.WriteString(";")
	}
	return b.String()
}

func TestSetupAccess(t *testing.T) {
	w := setupNewWorld(t)
	routes := w.setupRoutes()
	state := w.setupState()

	// Team members and read-only teammates are refused everywhere, even
	// with a valid CSRF token.
	for _, email := range []string{"max@acme.test", "rita@acme.test"} {
		c := w.signIn(email)
		for _, rt := range routes {
			var a setupAnswer
			if rt.method == "GET" {
				a = c.get(rt.path)
			} else {
				a = c.post(rt.path, rt.form)
			}
			if a.status != http.StatusForbidden {
				t.Errorf("%s %s as %s: status %d, want 403", rt.method, rt.path, email, a.status)
			}
		}
	}

	// An admin without the CSRF token, or with a wrong one, is refused.
	admin := w.signIn("ada@acme.test")
	for _, rt := range routes {
		if rt.method != "POST" {
			if a := admin.get(rt.path); a.status != http.StatusOK {
				t.Errorf("GET %s as admin: status %d", rt.path, a.status)
			}
			continue
		}
		if a := admin.send("POST", rt.path, rt.form); a.status != http.StatusForbidden {
			t.Errorf("POST %s without a CSRF token: status %d, want 403", rt.path, a.status)
		}
		f := url.Values{"csrf": {"forged"}}
		for k, v := range rt.form {
			f[k] = v
		}
		if a := admin.send("POST", rt.path, f); a.status != http.StatusForbidden {
			t.Errorf("POST %s with a forged CSRF token: status %d, want 403", rt.path, a.status)
		}
	}
	if got := w.setupState(); got != state {
		t.Fatalf("refused requests changed the setup:\n%s\nwas\n%s", got, state)
	}

	// Without a session, pages send to sign in.
	anon := &setupClient{w: w, c: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if a := anon.get("/acme/settings/categories"); a.status != http.StatusSeeOther || !strings.HasPrefix(a.location, "/signin?") {
		t.Fatalf("signed out: status %d, location %q", a.status, a.location)
	}

	// The settings index links every setup page.
	index := admin.page("/acme/settings")
	for _, p := range []string{"categories", "fields", "teammates", "groups", "widgets"} {
		if !strings.Contains(index, `href="/acme/settings/`+p+`"`) {
			t.Errorf("the settings index does not link %s", p)
		}
	}
}

// The flash message is chosen by a code, never taken from the query.
func TestSetupFlash(t *testing.T) {
	w := setupNewWorld(t)
	c := w.signIn("ada@acme.test")
	body := c.page("/acme/settings/groups?done=" + url.QueryEscape("<b>pwned</b>"))
	if strings.Contains(body, "pwned") || strings.Contains(body, `class="flash"`) {
		t.Fatal("an unknown flash code is shown")
	}
}
