package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"openboards/internal/api"
	"openboards/internal/chat"
	"openboards/internal/clientip"
	"openboards/internal/community"
	"openboards/internal/faq"
	"openboards/internal/live"
	"openboards/internal/openboards"
	"openboards/internal/store/postgres"
	"openboards/internal/store/postgres/pgtest"
	"openboards/internal/store/sqlite"
	"openboards/internal/ticket"
	"openboards/internal/webhook"
	"openboards/internal/webhook/egress"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// start is the time every test's clock shows until the test advances it.
var start = time.Date(2023, 12, 6, 14, 42, 7, 788825200, time.UTC)

// clock is a settable clock shared by the services of one test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// options tune setup.
type options struct {
	// MaxBodyBytes and BasePath are passed to api.Options.
	MaxBodyBytes int64
	BasePath     string
	// Egress is the client the webhook service sends with; nil means one
	// that trusts the test receiver and may reach loopback addresses (see
	// webhook_test.go).
	Egress *egress.Client
	// Dispatch records the webhook events of ticket changes and runs a
	// dispatcher on the test's clock, as the server does.
	Dispatch bool
	// Live publishes the services' live events to a hub the handler's
	// conversation streams read (bundle.hub).
	Live bool
}

// bundle is one test's server: a fresh database, the services on a fixed
// clock, and the main tenant ("acme") with its teammates and access token.
type bundle struct {
	*tenant
	clock       *clock
	store       openboards.Store
	tickets     *ticket.Service
	communities *community.Service
	handler     http.Handler
	srv         *httptest.Server
	base        string // URL of the API: the server's, with the base path
	// labels names the known user ids in normalised golden output.
	labels map[string]string
	// observer is a second refresh token of the main tenant, which tests
	// never revoke: snapshots read with it even after the test has
	// expired or revoked the main credentials.
	observer string
}

// tenant is one community with three teammates and a bearer client.
type tenant struct {
	client
	cm      *openboards.Community
	refresh string // secret of the community's first refresh token
	token   string // an access token from POST /token
	admin   *openboards.User
	agent   *openboards.User // team_member, in the "Level 2" user group
	viewer  *openboards.User // read_only_user
}

// openStore opens an empty store of the selected backend.
func openStore(t testing.TB) openboards.Store {
	t.Helper()
	ctx := context.Background()
	var store openboards.Store
	var err error
	if pgtest.OnPostgres() {
		store, err = postgres.Open(ctx, pgtest.NewSchema(t), postgres.Options{MaxConns: 4})
	} else {
		store, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "openboards.db"), sqlite.Options{ReadConns: 2})
	}
	if err != nil {
		t.Fatal(err)
	}
	return store
}

// TestOnPostgres runs this whole suite again on PostgreSQL, in a child
// process of the test binary, when a test server is configured.
func TestOnPostgres(t *testing.T) { pgtest.Rerun(t, "the API suite") }

func setup(t testing.TB) *bundle {
	t.Helper()
	return setupWith(t, options{})
}

func setupWith(t testing.TB, o options) *bundle {
	t.Helper()
	ctx := context.Background()
	store := openStore(t)
	t.Cleanup(func() {
		if err := store.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	clk := &clock{now: start}
	communities, err := community.NewService(ctx, store, clk.Now, "openboards.test", nil)
	if err != nil {
		t.Fatal(err)
	}
	client := o.Egress
	if client == nil {
		client = egressClient(t, loopback, 0)
	}
	if o.Dispatch {
		store = startDispatcher(t, store, client, clk)
	}
	events := ticket.NoEvents
	if o.Dispatch {
		events = &webhook.Outbox{InboxBase: inboxBase}
	}
	var pub live.Publisher = live.Discard
	var hub *live.Hub
	if o.Live {
		hub = live.NewHub()
		t.Cleanup(hub.Close)
		pub = hub
	}
	tickets := ticket.NewService(store, events, pub, clk.Now)
	webhooks := webhook.NewService(store, client, inboxBase, clk.Now)
	handler := api.NewHandler(store, tickets, communities, api.Options{MaxBodyBytes: o.MaxBodyBytes, BasePath: o.BasePath, Webhooks: webhooks,
		Chat: chat.NewService(store, tickets, clk.Now), Live: hub, FAQ: faq.NewService(store, clk.Now)})
	// The test clients connect from loopback, a trusted proxy here, so a
	// test can pose as another client with X-Forwarded-For.
	srv := httptest.NewServer(clientip.New(loopback).Handler(handler))
	t.Cleanup(srv.Close)
	b := &bundle{clock: clk, store: store, tickets: tickets, communities: communities, handler: handler, srv: srv, base: srv.URL + o.BasePath}
	b.tenant = b.newTenant(t, "acme")
	if _, b.observer, err = communities.CreateRefreshToken(ctx, b.cm, "observer"); err != nil {
		t.Fatal(err)
	}
	b.labels = map[string]string{
		b.cm.APIUserID: "<api-user>",
		b.admin.ID:     "<admin>",
		b.agent.ID:     "<agent>",
		b.viewer.ID:    "<viewer>",
	}
	return b
}

// newTenant creates a community with an admin, a team member (in group
// "Level 2") and a read-only user, and gets an access token for it. Every
// tenant uses the same teammate e-mails, so lookups by e-mail must stay
// inside the caller's community.
func (b *bundle) newTenant(t testing.TB, name string) *tenant {
	t.Helper()
	ctx := context.Background()
	created, err := b.communities.Create(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	tn := &tenant{cm: created.Community, refresh: created.RefreshToken}
	add := func(in community.TeammateInput) *openboards.User {
		u, err := b.communities.AddTeammate(ctx, tn.cm, in)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	tn.admin = add(community.TeammateInput{Email: "robert.baker@example.com", Name: "Robert Baker", Role: "admin"})
	tn.agent = add(community.TeammateInput{Email: "anna.agent@example.com", Name: "Anna Agent", Role: "team_member", Group: "Level 2"})
	tn.viewer = add(community.TeammateInput{Email: "william@example.com", Name: "William Shakespeare", Role: "read_only_user"})
	tok := b.exchange(t, tn.cm.ClientID, tn.refresh)
	tn.token = tok.AccessToken
	tn.client = b.bearer(tn.token)
	return tn
}

// tokenResponse is the body of a successful POST /token.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

// exchange trades a refresh token for an access token through POST /token.
func (b *bundle) exchange(t testing.TB, clientID, refresh string) tokenResponse {
	t.Helper()
	status, body := b.postToken(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {clientID}})
	if status != http.StatusOK {
		t.Fatalf("POST /token: status %d: %s", status, body)
	}
	var tok tokenResponse
	if err := json.Unmarshal(body, &tok); err != nil {
		t.Fatalf("POST /token: %v: %s", err, body)
	}
	return tok
}

func (b *bundle) postToken(t testing.TB, form url.Values) (int, []byte) {
	t.Helper()
	status, _, body := b.postTokenFrom(t, "", form)
	return status, body
}

// postTokenFrom is postToken from the client address ip ("" for the
// test's own).
func (b *bundle) postTokenFrom(t testing.TB, ip string, form url.Values) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.base+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if ip != "" {
		req.Header.Set("X-Forwarded-For", ip)
	}
	resp, err := b.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("POST /token: Content-Type %q, want application/json", ct)
	}
	return resp.StatusCode, resp.Header, body
}

// client sends requests to the test server with fixed headers.
type client struct {
	url    string
	http   *http.Client
	header http.Header
}

func (b *bundle) anonymous() client {
	return client{url: b.base, http: b.srv.Client(), header: http.Header{}}
}

func (b *bundle) bearer(token string) client {
	c := b.anonymous()
	c.header.Set("Authorization", "Bearer "+token)
	return c
}

func (b *bundle) withHeaders(kv ...string) client {
	c := b.anonymous()
	for i := 0; i+1 < len(kv); i += 2 {
		c.header.Set(kv[i], kv[i+1])
	}
	return c
}

// send makes one request. body is sent as is when it is a string or
// []byte, as JSON otherwise, and not at all when nil.
func (c client) send(t testing.TB, method, path string, body any) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(v)
	case []byte:
		r = bytes.NewReader(v)
	default:
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.url+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, out
}

// envelope is a decoded {data, errorCode, errorText} response.
type envelope struct {
	Data      json.RawMessage
	ErrorCode int
	ErrorText string
	Raw       []byte
}

// do sends a request and decodes the envelope, failing the test unless
// the envelope is well formed: all three keys present; errorCode -1 and
// errorText null on 200; otherwise errorCode equal to the status, data
// null and a non-empty errorText.
func (c client) do(t testing.TB, method, path string, body any) (int, envelope) {
	t.Helper()
	resp, env := c.call(t, method, path, body)
	return resp.StatusCode, env
}

// call is do that also returns the response, for its headers.
func (c client) call(t testing.TB, method, path string, body any) (*http.Response, envelope) {
	t.Helper()
	resp, raw := c.send(t, method, path, body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type %q, want application/json", method, path, ct)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		t.Fatalf("%s %s: status %d, body is not a JSON object: %v: %s", method, path, resp.StatusCode, err, raw)
	}
	if len(keys) != 3 || keys["data"] == nil || keys["errorCode"] == nil || keys["errorText"] == nil {
		t.Fatalf("%s %s: envelope keys wrong: %s", method, path, raw)
	}
	env := envelope{Data: keys["data"], Raw: raw}
	if err := json.Unmarshal(keys["errorCode"], &env.ErrorCode); err != nil {
		t.Fatalf("%s %s: errorCode: %v", method, path, err)
	}
	if resp.StatusCode == http.StatusOK {
		if env.ErrorCode != -1 || string(keys["errorText"]) != "null" {
			t.Fatalf("%s %s: status 200 with errorCode %d, errorText %s", method, path, env.ErrorCode, keys["errorText"])
		}
		return resp, env
	}
	if err := json.Unmarshal(keys["errorText"], &env.ErrorText); err != nil || env.ErrorText == "" {
		t.Fatalf("%s %s: status %d: errorText %s is not a non-empty string", method, path, resp.StatusCode, keys["errorText"])
	}
	if env.ErrorCode != resp.StatusCode {
		t.Errorf("%s %s: errorCode %d, want the status %d", method, path, env.ErrorCode, resp.StatusCode)
	}
	if string(env.Data) != "null" {
		t.Errorf("%s %s: error response with data %s, want null", method, path, env.Data)
	}
	return resp, env
}

// ok sends a request that must succeed and returns its data.
func (c client) ok(t testing.TB, method, path string, body any) json.RawMessage {
	t.Helper()
	status, env := c.do(t, method, path, body)
	if status != http.StatusOK {
		t.Fatalf("%s %s: status %d: %s", method, path, status, env.ErrorText)
	}
	return env.Data
}

// fail sends a request that must fail with status and an errorText
// containing text.
func (c client) fail(t testing.TB, method, path string, body any, status int, text string) {
	t.Helper()
	got, env := c.do(t, method, path, body)
	if got != status || !strings.Contains(env.ErrorText, text) {
		t.Fatalf("%s %s: got %d %q, want %d with errorText containing %q", method, path, got, env.ErrorText, status, text)
	}
}

// decode unmarshals data into a T.
func decode[T any](t testing.TB, data json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("decode %T: %v: %s", v, err, data)
	}
	return v
}

// Views of the response objects, for assertions.

type userView struct {
	CustomIdentifier *string `json:"customIdentifier"`
	Email            *string `json:"email"`
	ID               string  `json:"id"`
	Image            *string `json:"image"`
	IsBot            bool    `json:"isBot"`
	Name             string  `json:"name"`
	Status           string  `json:"status"`
}

type refView struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type fieldValueView struct {
	ID    int64  `json:"id"`
	Value string `json:"value"`
}

type attachmentView struct {
	IsContentPart bool   `json:"isContentPart"`
	Name          string `json:"name"`
	URL           string `json:"url"`
}

type ticketView struct {
	ID                            int64            `json:"id"`
	Title                         string           `json:"title"`
	Message                       string           `json:"message"`
	HTMLMessage                   string           `json:"htmlMessage"`
	Author                        *userView        `json:"author"`
	Category                      *refView         `json:"category"`
	CreationTime                  string           `json:"creationTime"`
	CustomFields                  []fieldValueView `json:"customFields"`
	LastThreadElementCreationTime string           `json:"lastThreadElementCreationTime"`
	LockedBy                      *userView        `json:"lockedBy"`
	Properties                    map[string]bool  `json:"properties"`
	ReplyCount                    int              `json:"replyCount"`
	Sentiment                     *string          `json:"sentiment"`
	Source                        string           `json:"source"`
	SourceName                    *string          `json:"sourceName"`
	Status                        string           `json:"status"`
	Tags                          []string         `json:"tags"`
	Attachments                   []attachmentView `json:"attachments"`
}

type replyView struct {
	Attachments   []attachmentView `json:"attachments"`
	Author        *userView        `json:"author"`
	CCEmails      []string         `json:"ccEmails"`
	CreationTime  string           `json:"creationTime"`
	HTMLMessage   string           `json:"htmlMessage"`
	ID            int64            `json:"id"`
	Level         int              `json:"level"`
	Message       string           `json:"message"`
	ParentReplyID *int64           `json:"parentReplyId"`
	Properties    map[string]bool  `json:"properties"`
	Tags          []string         `json:"tags"`
	TicketID      int64            `json:"ticketId"`
	ToEmails      []string         `json:"toEmails"`
}

type noteView struct {
	ID             int64            `json:"id"`
	Message        string           `json:"message"`
	HTMLMessage    *string          `json:"htmlMessage"`
	Attachments    []attachmentView `json:"attachments"`
	Author         *userView        `json:"author"`
	MentionedUsers []userView       `json:"mentionedUsers"`
	CreationTime   string           `json:"creationTime"`
}

type logView struct {
	ActionString  string `json:"actionString"`
	ActionType    string `json:"actionType"`
	IncludedItems struct {
		Categories []refView  `json:"categories"`
		Tags       []refView  `json:"tags"`
		Users      []userView `json:"users"`
	} `json:"includedItems"`
	Time string    `json:"time"`
	User *userView `json:"user"`
}

type categoryView struct {
	Children    *[]categoryView `json:"children"`
	AutoArchive bool            `json:"autoArchive"`
	CanBeChosen bool            `json:"canBeChosen"`
	IsHidden    bool            `json:"isHidden"`
	IsMuted     bool            `json:"isMuted"`
	ParentID    *int64          `json:"parentId"`
	ID          int64           `json:"id"`
	Name        string          `json:"name"`
}

type customFieldView struct {
	AssignedCategoryIDs []int64 `json:"assignedCategoryIds"`
	DefaultValue        *string `json:"defaultValue"`
	ID                  int64   `json:"id"`
	IsHidden            bool    `json:"isHidden"`
	IsRequired          bool    `json:"isRequired"`
	Name                string  `json:"name"`
	PossibleValues      []struct {
		Order int    `json:"order"`
		Value string `json:"value"`
	} `json:"possibleValues"`
	Type string `json:"type"`
}

type teammateView struct {
	ID    string  `json:"id"`
	Name  string  `json:"name"`
	Email *string `json:"email"`
	Role  string  `json:"role"`
}

type groupView struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	TeammateIDs []string `json:"teammateIds"`
}

// Shortcuts on the main API.

func (c client) ticket(t testing.TB, id int64) ticketView {
	t.Helper()
	return decode[ticketView](t, c.ok(t, "GET", fmt.Sprintf("/tickets/%d", id), nil))
}

func (c client) createTicket(t testing.TB, body any) int64 {
	t.Helper()
	return decode[int64](t, c.ok(t, "POST", "/tickets", body))
}

// log returns a ticket's whole log, newest first.
func (c client) log(t testing.TB, id int64) []logView {
	t.Helper()
	return decode[[]logView](t, c.ok(t, "POST", fmt.Sprintf("/tickets/%d/log?take=50", id), nil))
}

// listIDs returns the ids of the tickets POST /tickets/list answers.
func (c client) listIDs(t testing.TB, filter any) []int64 {
	t.Helper()
	var ids []int64
	for _, tk := range decode[[]ticketView](t, c.ok(t, "POST", "/tickets/list", filter)) {
		ids = append(ids, tk.ID)
	}
	return ids
}

// customer is a Create Ticket creator.
func customer(name, email string) map[string]any {
	return map[string]any{"name": name, "email": email}
}

// simpleTicket is a minimal valid Create Ticket body.
func simpleTicket(title string) map[string]any {
	return map[string]any{"title": title, "message": "Hello", "creator": customer("Bill Smith", "bill_smith@gmail.com")}
}

// snapshot reads everything the main tenant can see, for checking that a
// rejected request changed nothing. It signs in afresh with the observer
// token, so it works whatever the test did to the main credentials.
func (b *bundle) snapshot(t testing.TB) map[string]string {
	t.Helper()
	c := b.bearer(b.exchange(t, b.cm.ClientID, b.observer).AccessToken)
	out := map[string]string{}
	get := func(method, path string) json.RawMessage {
		data := c.ok(t, method, path, nil)
		out[method+" "+path] = string(data)
		return data
	}
	tickets := c.ok(t, "POST", "/tickets/list", map[string]any{"take": 50, "orderBy": "creation_time_asc"})
	out["POST /tickets/list"] = string(tickets)
	for _, tk := range decode[[]ticketView](t, tickets) {
		get("GET", fmt.Sprintf("/tickets/%d", tk.ID))
		get("POST", fmt.Sprintf("/tickets/%d/log?take=50", tk.ID))
		get("GET", fmt.Sprintf("/tickets/%d/replies?take=50", tk.ID))
		get("GET", fmt.Sprintf("/tickets/%d/notes?take=50", tk.ID))
	}
	get("GET", "/categories?includeHidden=true")
	get("GET", "/customfields?includeHidden=true")
	get("GET", "/teammates")
	for _, g := range decode[[]groupView](t, get("GET", "/usergroups")) {
		get("GET", fmt.Sprintf("/usergroups/%d", g.ID))
	}
	get("GET", "/tags")
	get("GET", "/widgets/schedules")
	return out
}

// rejected is a request that must fail without changing anything.
type rejected struct {
	name   string
	method string
	path   string
	body   any
	status int
	text   string // expected in errorText
}

// reject runs each case as c and checks its status and message, and that
// the main tenant's data is the same afterwards.
func (b *bundle) reject(t *testing.T, c client, cases []rejected) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := b.snapshot(t)
			got, env := c.do(t, tc.method, tc.path, tc.body)
			if got != tc.status || !strings.Contains(env.ErrorText, tc.text) {
				t.Errorf("%s %s: got %d %q, want %d with errorText containing %q", tc.method, tc.path, got, env.ErrorText, tc.status, tc.text)
			}
			if diff := cmp.Diff(before, b.snapshot(t)); diff != "" {
				t.Errorf("%s %s was rejected but changed data (-before +after):\n%s", tc.method, tc.path, diff)
			}
		})
	}
}

// fixture holds the ids of the data seed creates.
type fixture struct {
	customers, acme, dunder, archive, locked int64 // categories
	number, date, checkbox, region, size     int64 // custom fields
	email, website                           int64
	group                                    int64 // "Level 2", holding the agent
	widget                                   int64
	ticket, plain                            int64 // tickets
	reply, note                              int64 // on ticket
}

// seed fills the main tenant through the API: a category tree, custom
// fields of several types, a fully dressed ticket (category, assignee,
// attachments, custom fields, tags, a reply and a note), a plain ticket and
// a widget schedule. The clock moves one minute after each ticket.
func (b *bundle) seed(t testing.TB) fixture {
	t.Helper()
	var f fixture
	f.group = decode[[]groupView](t, b.ok(t, "GET", "/usergroups", nil))[0].ID
	cat := func(body map[string]any) int64 {
		return decode[categoryView](t, b.ok(t, "POST", "/categories", body)).ID
	}
	f.customers = cat(map[string]any{"name": "Customers"})
	f.acme = cat(map[string]any{"name": "ACME Corp", "parentId": f.customers})
	f.dunder = cat(map[string]any{"name": "Dunder Mifflin Paper Co", "parentId": f.customers})
	f.archive = cat(map[string]any{"name": "Archive", "isHidden": true, "autoArchive": true})
	f.locked = cat(map[string]any{"name": "Closed accounts", "canBeChosen": false, "isMuted": true})
	field := func(body map[string]any) int64 {
		return decode[customFieldView](t, b.ok(t, "POST", "/customfields", body)).ID
	}
	f.number = field(map[string]any{"name": "Order number", "type": "number", "order": 1})
	f.date = field(map[string]any{"name": "Delivery date", "type": "date", "order": 2})
	f.checkbox = field(map[string]any{"name": "Gift wrap", "type": "checkbox", "order": 3})
	f.region = field(map[string]any{"name": "Shop region", "type": "region", "order": 4, "placeholder": "region",
		"possibleValues": []map[string]any{{"order": 1, "value": "Østfold"}, {"order": 2, "value": "Akershus"}, {"order": 3, "value": "Oslo"}}})
	f.size = field(map[string]any{"name": "Size", "type": "dropdown", "order": 5,
		"possibleValues": []map[string]any{{"order": 1, "value": "Small"}, {"order": 2, "value": "Large"}}})
	f.email = field(map[string]any{"name": "Contact e-mail", "type": "email", "order": 6})
	f.website = field(map[string]any{"name": "Website", "type": "url", "order": 7})

	f.ticket = b.createTicket(t, map[string]any{
		"assigneeId":  b.agent.ID,
		"attachments": []map[string]any{{"url": "https://your.attachment.url/filename.png", "name": "filename.png"}},
		"categoryId":  f.acme,
		"cc":          []string{"ann_smith@gmail.com"},
		"creator":     map[string]any{"name": "Bill Smith", "email": "bill_smith@gmail.com", "customIdentifier": nil, "image": nil, "phoneNumber": nil},
		"customFields": []map[string]any{
			{"id": f.region, "value": "Oslo"},
			{"id": f.number, "value": 42},
		},
		"isHtml":    false,
		"message":   "Hello I want to buy a new car, how can I get a price list?",
		"sentiment": "question",
		"tags":      []string{"VIP", "Billing"},
		"title":     "New car price list.",
	})
	b.clock.Advance(time.Minute)
	f.plain = b.createTicket(t, simpleTicket("Where is my order?"))
	b.clock.Advance(time.Minute)
	f.reply = decode[replyView](t, b.ok(t, "POST", fmt.Sprintf("/tickets/%d/replies", f.ticket), map[string]any{
		"author": map[string]any{"email": "anna.agent@example.com"}, "message": "Here is the list.", "suppressTicketStatusAutoupdate": true,
	})).ID
	f.note = decode[noteView](t, b.ok(t, "POST", fmt.Sprintf("/tickets/%d/notes", f.ticket), map[string]any{
		"author": map[string]any{"email": "anna.agent@example.com"}, "message": "VIP customer", "mentionedUsers": []string{b.admin.ID},
	})).ID
	b.clock.Advance(time.Minute)
	f.widget = b.putSchedule(t, 0)
	return f
}

// putSchedule stores a period-3 schedule, on a new widget when id is 0.
func (c client) putSchedule(t testing.TB, id int64) int64 {
	t.Helper()
	day := func(from, to string) []map[string]string { return []map[string]string{{"startAt": from, "endAt": to}} }
	data := c.ok(t, "POST", "/widgets/schedules", map[string]any{
		"widgetId": id, "timePeriod": 3,
		"customTimes": map[string]any{
			"monday": day("00:01:00", "18:00:00"), "tuesday": day("00:01:00", "18:00:00"), "wednesday": day("00:01:00", "18:00:00"),
			"thursday": day("00:01:00", "18:00:00"), "friday": day("00:01:00", "18:00:00"),
			"saturday": day("18:30:00", "19:00:00"), "sunday": day("18:30:00", "19:00:00"),
		},
	})
	return decode[struct {
		WidgetID int64 `json:"widgetId"`
	}](t, data).WidgetID
}

var guidPattern = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// normalize replaces user ids in raw JSON: the tenant's known users by
// their role ("<agent>"), any other id by "<user-N>", numbered in order of
// first appearance. The same id always gets the same name, so a response
// that mixes up users still differs from the golden file.
func (b *bundle) normalize(raw []byte) []byte {
	seen := map[string]string{}
	return guidPattern.ReplaceAllFunc(raw, func(m []byte) []byte {
		id := strings.ToLower(string(m))
		if l, ok := b.labels[id]; ok {
			return []byte(l)
		}
		if l, ok := seen[id]; ok {
			return []byte(l)
		}
		seen[id] = fmt.Sprintf("<user-%d>", len(seen)+1)
		return []byte(seen[id])
	})
}

// golden compares a response body, with user ids normalised, to
// testdata/name.golden.json as parsed JSON; -update rewrites the file with
// the server's key order.
func (b *bundle) golden(t testing.TB, name string, raw []byte) {
	t.Helper()
	got := b.normalize(raw)
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		var buf bytes.Buffer
		if err := json.Indent(&buf, got, "", "  "); err != nil {
			t.Fatal(err)
		}
		buf.WriteByte('\n')
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/api -update to create it)", err)
	}
	if diff := cmp.Diff(parseJSON(t, want), parseJSON(t, got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
	}
}

func parseJSON(t testing.TB, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("parse JSON: %v: %s", err, b)
	}
	return v
}
