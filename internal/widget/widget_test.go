package widget_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"openboards/internal/clientip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"openboards/internal/chat"
	"openboards/internal/community"
	"openboards/internal/live"
	"openboards/internal/openboards"
	"openboards/internal/store/postgres"
	"openboards/internal/store/postgres/pgtest"
	"openboards/internal/store/sqlite"
	"openboards/internal/ticket"
	"openboards/internal/widget"
)

// TestOnPostgres runs this suite again on PostgreSQL, in a child process
// of the test binary, when a test server is configured.
func TestOnPostgres(t *testing.T) { pgtest.Rerun(t, "the widget suite") }

type world struct {
	ctx         context.Context
	store       openboards.Store
	svc         *widget.Service
	hub         *live.Hub
	tickets     *ticket.Service
	chat        *chat.Service
	communities *community.Service
	acme, beta  *openboards.Community
	srv         *httptest.Server
}

func newWorld(t *testing.T, basePath string) *world {
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
	t.Cleanup(func() { store.Close() })
	communities, err := community.NewService(ctx, store, time.Now, "openboards.test", nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{ctx: ctx, store: store, svc: widget.NewService(store, time.Now), hub: live.NewHub()}
	t.Cleanup(w.hub.Close)
	w.tickets = ticket.NewService(store, ticket.NoEvents, w.hub, time.Now)
	w.chat = chat.NewService(store, w.tickets, time.Now)
	w.communities = communities
	for _, c := range []struct {
		dst  **openboards.Community
		name string
	}{{&w.acme, "Acme"}, {&w.beta, "Beta"}} {
		cr, err := communities.Create(ctx, c.name)
		if err != nil {
			t.Fatal(err)
		}
		*c.dst = cr.Community
	}
	// The test's requests pass as coming through a proxy on loopback, so
	// that a test may name the visitor's address (X-Forwarded-For).
	loopback, _ := clientip.ParsePrefixes("127.0.0.0/8,::1")
	h, err := widget.NewHandler(store, widget.Options{Widgets: w.svc, Chat: w.chat, Tickets: w.tickets, Live: w.hub, BasePath: basePath})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewServer(clientip.New(loopback).Handler(h))
	t.Cleanup(w.srv.Close)
	return w
}

func wantCode(t *testing.T, err error, code openboards.Code, text string) {
	t.Helper()
	if openboards.ErrorCode(err) != code || !strings.Contains(openboards.ErrorMessage(err), text) {
		t.Fatalf("got %v, want %s containing %q", err, code, text)
	}
}

func TestSettings(t *testing.T) {
	w := newWorld(t, "")
	st, err := w.svc.Create(w.ctx, w.acme, "  Shop help ", nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.WidgetID == 0 || st.Name != "Shop help" || len(st.IdentitySecret) != 64 || !st.AskEmail || len(st.AllowedOrigins) != 0 {
		t.Fatalf("created %+v", st)
	}
	// It has a schedule (staffed all day) like every widget of the API.
	ss, err := w.store.FindWidgetSchedules(w.ctx, w.acme.ID, &st.WidgetID)
	if err != nil || len(ss) != 1 || ss[0].TimePeriod != openboards.PeriodEveryDay {
		t.Fatalf("schedule %+v, %v", ss, err)
	}

	// Bad settings name the field and change nothing.
	for _, bad := range []struct {
		change func(*openboards.WidgetSettings)
		field  string
	}{
		{func(s *openboards.WidgetSettings) { s.Name = " " }, "name: required"},
		{func(s *openboards.WidgetSettings) { s.Name = strings.Repeat("n", 101) }, "name: longer than 100"},
		{func(s *openboards.WidgetSettings) { s.Color = "blue" }, "color:"},
		{func(s *openboards.WidgetSettings) { s.Greeting = "hi\x00" }, "greeting"},
		{func(s *openboards.WidgetSettings) {
			s.AllowedOrigins = []string{"https://ok.example", "shop.example.com"}
		}, "allowedOrigins[1]"},
		{func(s *openboards.WidgetSettings) { s.AllowedOrigins = []string{"https://shop.example.com/path"} }, "allowedOrigins[0]"},
		{func(s *openboards.WidgetSettings) { s.AllowedOrigins = make([]string, 21) }, "allowedOrigins: at most 20"},
		{func(s *openboards.WidgetSettings) { s.TimeZone = "Mars/Olympus" }, "timeZone"},
	} {
		_, err := w.svc.Update(w.ctx, w.acme, st.WidgetID, func(s *openboards.WidgetSettings) error { bad.change(s); return nil })
		wantCode(t, err, openboards.CodeInvalid, bad.field)
	}
	again, err := w.svc.Settings(w.ctx, w.acme, st.WidgetID)
	if err != nil || again.Name != "Shop help" || again.Color != st.Color {
		t.Fatalf("after refusals %+v, %v", again, err)
	}

	// Origins are normalised and deduplicated; the secret stays.
	got, err := w.svc.Update(w.ctx, w.acme, st.WidgetID, func(s *openboards.WidgetSettings) error {
		s.AllowedOrigins = []string{" HTTPS://Shop.Example.com/ ", "https://shop.example.com", "http://localhost:8080"}
		s.Color = "#AABBCC"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.AllowedOrigins, " ") != "https://shop.example.com http://localhost:8080" || got.Color != "#aabbcc" || got.IdentitySecret != st.IdentitySecret {
		t.Fatalf("updated %+v", got)
	}
	for origin, want := range map[string]bool{"https://shop.example.com": true, "https://SHOP.example.com": true, "http://shop.example.com": false,
		"https://evil.example": false, "null": false, "http://localhost:8080": true} {
		if got.AllowsOrigin(origin) != want {
			t.Errorf("AllowsOrigin(%q) = %v", origin, !want)
		}
	}
	rotated, err := w.svc.RotateSecret(w.ctx, w.acme, st.WidgetID)
	if err != nil || rotated.IdentitySecret == st.IdentitySecret || len(rotated.IdentitySecret) != 64 {
		t.Fatalf("rotated %+v, %v", rotated, err)
	}

	// Another community's widget is not found; a widget made through the
	// schedule API gets its secret when first read.
	_, err = w.svc.Settings(w.ctx, w.beta, st.WidgetID)
	wantCode(t, err, openboards.CodeNotFound, "not found")
	old := &openboards.WidgetSchedule{CommunityID: w.beta.ID, TimePeriod: openboards.PeriodWeekdays}
	if err := w.store.InTx(w.ctx, func(tx openboards.Tx) error { return tx.PutWidgetSchedule(w.ctx, old) }); err != nil {
		t.Fatal(err)
	}
	first, err := w.svc.Settings(w.ctx, w.beta, old.WidgetID)
	if err != nil || first.IdentitySecret == "" || first.Name != "Support" {
		t.Fatalf("first read of an old widget %+v, %v", first, err)
	}
	second, _ := w.svc.Settings(w.ctx, w.beta, old.WidgetID)
	if second.IdentitySecret != first.IdentitySecret {
		t.Fatal("the secret changed between reads")
	}
	list, err := w.svc.List(w.ctx, w.beta)
	if err != nil || len(list) != 1 || list[0].WidgetID != old.WidgetID {
		t.Fatalf("beta's widgets %+v, %v", list, err)
	}
}

// get sends a GET (or method) with origin (none when empty).
func get(t *testing.T, method, url, origin string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var env map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, body)
		}
	}
	return resp, env
}

func TestConfigEndpoint(t *testing.T) {
	w := newWorld(t, "/v2")
	st, err := w.svc.Create(w.ctx, w.acme, "Shop help", nil)
	if err != nil {
		t.Fatal(err)
	}
	base := w.srv.URL + "/v2/widget/acme/"
	cfgURL := base + itoa(st.WidgetID) + "/config"

	// Any origin while none is set; the secret never shows.
	resp, env := get(t, "GET", cfgURL, "https://anywhere.example")
	data, _ := env["data"].(map[string]any)
	if resp.StatusCode != 200 || data["name"] != "Shop help" || data["community"] != "Acme" || data["askEmail"] != true ||
		resp.Header.Get("Access-Control-Allow-Origin") != "https://anywhere.example" || !strings.Contains(resp.Header.Get("Vary"), "Origin") {
		t.Fatalf("config: %d %v %v", resp.StatusCode, resp.Header, env)
	}
	if _, ok := data["identitySecret"]; ok || strings.Contains(toJSON(env), st.IdentitySecret) {
		t.Fatal("the config shows the identity secret")
	}
	// Staffed all day, in UTC until set otherwise; a schedule with no
	// times is offline.
	if data["online"] != true || data["timeZone"] != "UTC" {
		t.Fatalf("online %v in %v", data["online"], data["timeZone"])
	}
	closed := &openboards.WidgetSchedule{WidgetID: st.WidgetID, CommunityID: w.acme.ID, TimePeriod: openboards.PeriodCustom, CustomTimes: &openboards.CustomTimes{}}
	if err := w.store.InTx(w.ctx, func(tx openboards.Tx) error { return tx.PutWidgetSchedule(w.ctx, closed) }); err != nil {
		t.Fatal(err)
	}
	if _, env := get(t, "GET", cfgURL, ""); env["data"].(map[string]any)["online"] != false {
		t.Fatalf("a closed schedule's config: %v", env)
	}

	// Once origins are set, others are refused; a request without Origin
	// (not from a page) is answered without CORS.
	if _, err := w.svc.Update(w.ctx, w.acme, st.WidgetID, func(s *openboards.WidgetSettings) error {
		s.AllowedOrigins = []string{"https://shop.example.com"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	resp, env = get(t, "GET", cfgURL, "https://evil.example")
	if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" || !strings.Contains(env["errorText"].(string), "origin") {
		t.Fatalf("another origin: %d %v", resp.StatusCode, env)
	}
	resp, _ = get(t, "GET", cfgURL, "https://shop.example.com")
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://shop.example.com" {
		t.Fatalf("the allowed origin: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = get(t, "GET", cfgURL, "")
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("no origin: %d %v", resp.StatusCode, resp.Header)
	}
	// The preflight of a later request.
	resp, _ = get(t, "OPTIONS", base+itoa(st.WidgetID)+"/conversations", "https://shop.example.com")
	if resp.StatusCode != 204 || !strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Last-Event-ID") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = get(t, "OPTIONS", base+itoa(st.WidgetID)+"/conversations", "https://evil.example")
	if resp.StatusCode != 403 {
		t.Fatalf("preflight of another origin: %d", resp.StatusCode)
	}

	// Unknown widgets, other communities' widgets and odd paths are 404
	// in the envelope.
	for _, u := range []string{base + itoa(st.WidgetID+99) + "/config", w.srv.URL + "/v2/widget/beta/" + itoa(st.WidgetID) + "/config",
		base + "abc/config", w.srv.URL + "/v2/widget/" + strings.Repeat("x", 200) + "/1/config", base + itoa(st.WidgetID) + "/nothing",
		w.srv.URL + "/widget/acme/" + itoa(st.WidgetID) + "/config"} {
		resp, env := get(t, "GET", u, "")
		if resp.StatusCode != 404 || env["errorCode"] != float64(404) {
			t.Errorf("GET %s: %d %v", u, resp.StatusCode, env)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// forwardedFor, when set, is the visitor address call's requests give.
var forwardedFor string

// call sends a visitor request: body as JSON when not nil, token as the
// bearer when set.
func call(t *testing.T, method, url, origin, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(toJSON(body))
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatalf("%s %s: %v: %s", method, url, err, b)
	}
	return resp.StatusCode, env
}

func TestVisitorConversation(t *testing.T) {
	w := newWorld(t, "")
	st, err := w.svc.Create(w.ctx, w.acme, "Shop help", []string{"https://shop.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	const origin = "https://shop.example.com"
	base := w.srv.URL + "/widget/acme/" + itoa(st.WidgetID) + "/conversations"

	// Bad input names the field and opens nothing.
	for _, bad := range []struct {
		body any
		text string
	}{
		{map[string]any{"name": "Sofie", "message": "Hi"}, "email: required"},
		{map[string]any{"name": "Sofie", "email": "not-an-address", "message": "Hi"}, "email"},
		{map[string]any{"name": strings.Repeat("n", 201), "email": "s@example.com"}, "name"},
		{map[string]any{"email": "s@example.com", "message": strings.Repeat("m", 17<<10)}, "message: at most"},
		{map[string]any{"email": "s@example.com", "url": "javascript:alert(1)"}, "url"},
		{map[string]any{"email": "s@example.com", "unknown": 1}, "unknown"},
	} {
		code, env := call(t, "POST", base, origin, "", bad.body)
		if code != 400 || !strings.Contains(env["errorText"].(string), bad.text) {
			t.Errorf("%v: %d %v, want 400 with %q", bad.body, code, env["errorText"], bad.text)
		}
	}
	if ts, _ := w.store.FindTickets(w.ctx, openboards.TicketFilter{CommunityID: w.acme.ID, Take: 10}); len(ts) != 0 {
		t.Fatalf("refused starts opened %d conversations", len(ts))
	}

	// A visitor opens a chat with a first message from the shop.
	code, env := call(t, "POST", base, origin, "", map[string]any{"name": "Sofie", "email": "sofie@example.com", "message": " Hello? ",
		"clientMessageId": "m1", "url": "https://shop.example.com/checkout"})
	if code != 200 {
		t.Fatalf("start: %d %v", code, env)
	}
	data := env["data"].(map[string]any)
	token := data["visitorToken"].(string)
	id := int64(data["conversationId"].(float64))
	conv := data["conversation"].(map[string]any)
	msgs := conv["messages"].([]any)
	if len(token) < 40 || len(msgs) != 1 || msgs[0].(map[string]any)["message"] != "Hello?" || msgs[0].(map[string]any)["fromTeam"] != false ||
		conv["queuePositionInfo"].(map[string]any)["position"] != float64(1) {
		t.Fatalf("started %v", data)
	}
	tk, err := w.store.FindTicketByID(w.ctx, w.acme.ID, id)
	if err != nil || tk.Source != openboards.SourceChat || tk.DetailedSource != openboards.DetailedSourceWebsite || tk.Author.Name != "Sofie" {
		t.Fatalf("the conversation's ticket %+v, %v", tk, err)
	}
	cv, _ := w.store.FindConversation(w.ctx, w.acme.ID, id)
	if cv.InitialPageURL == nil || *cv.InitialPageURL != "https://shop.example.com/checkout" {
		t.Fatalf("initial page %v", cv.InitialPageURL)
	}

	// Messages with the token; a retried client id adds nothing.
	path := base + "/" + itoa(id)
	for range 2 {
		code, env = call(t, "POST", path+"/messages", origin, token, map[string]any{"message": "Are you there?", "clientMessageId": "m2"})
		if code != 200 || env["data"].(map[string]any)["message"] != "Are you there?" {
			t.Fatalf("message: %d %v", code, env)
		}
	}
	code, env = call(t, "GET", path, origin, token, nil)
	if code != 200 || len(env["data"].(map[string]any)["messages"].([]any)) != 2 {
		t.Fatalf("get: %d %v", code, env)
	}

	// The token follows this conversation only: not another one, not
	// another widget's path; none at all is a 401.
	other, err := w.svc.Create(w.ctx, w.acme, "Other", nil)
	if err != nil {
		t.Fatal(err)
	}
	code, env = call(t, "POST", w.srv.URL+"/widget/acme/"+itoa(other.WidgetID)+"/conversations", "", "", map[string]any{"email": "eve@example.com", "message": "x"})
	if code != 200 {
		t.Fatalf("second start: %d %v", code, env)
	}
	otherID := int64(env["data"].(map[string]any)["conversationId"].(float64))
	for _, u := range []string{base + "/" + itoa(otherID), w.srv.URL + "/widget/acme/" + itoa(other.WidgetID) + "/conversations/" + itoa(id)} {
		if code, _ := call(t, "GET", u, origin, token, nil); code != 404 {
			t.Errorf("GET %s with the first token: %d", u, code)
		}
	}
	if code, _ := call(t, "GET", path, origin, "", nil); code != 401 {
		t.Errorf("no token: %d", code)
	}
	if code, _ := call(t, "GET", path, origin, token+"x", nil); code != 404 {
		t.Errorf("a wrong token: %d", code)
	}
	// Another site may not post.
	if code, _ := call(t, "POST", path+"/messages", "https://evil.example", token, map[string]any{"message": "hi"}); code != 403 {
		t.Errorf("another origin: %d", code)
	}
	// A teammate's e-mail does not make the visitor the teammate.
	communities, _ := community.NewService(w.ctx, w.store, time.Now, "openboards.test", nil)
	mate, err := communities.AddTeammate(w.ctx, w.acme, community.TeammateInput{Email: "ann@acme.example", Name: "Ann", Role: "team_member"})
	if err != nil {
		t.Fatal(err)
	}
	code, env = call(t, "POST", base, origin, "", map[string]any{"name": "Mallory", "email": "ann@acme.example", "message": "I am Ann"})
	if code != 200 {
		t.Fatalf("start as a teammate's address: %d %v", code, env)
	}
	posed, _ := w.store.FindTicketByID(w.ctx, w.acme.ID, int64(env["data"].(map[string]any)["conversationId"].(float64)))
	if posed.AuthorID == mate.ID || posed.Author.Status != openboards.StatusClient {
		t.Fatal("a visitor wrote as a teammate")
	}
}

func TestVisitorLimits(t *testing.T) {
	w := newWorld(t, "")
	st, err := w.svc.Create(w.ctx, w.acme, "Shop help", nil)
	if err != nil {
		t.Fatal(err)
	}
	base := w.srv.URL + "/widget/acme/" + itoa(st.WidgetID) + "/conversations"
	var token string
	var id int64
	for i := range 6 {
		code, env := call(t, "POST", base, "", "", map[string]any{"email": "v@example.com", "message": "hi"})
		if code != 200 {
			t.Fatalf("start %d: %d %v", i, code, env)
		}
		token, id = env["data"].(map[string]any)["visitorToken"].(string), int64(env["data"].(map[string]any)["conversationId"].(float64))
	}
	code, env := call(t, "POST", base, "", "", map[string]any{"email": "v@example.com", "message": "hi"})
	if code != 429 || !strings.Contains(env["errorText"].(string), "too many chats opened") {
		t.Fatalf("seventh start: %d %v", code, env)
	}
	for i := range 20 {
		if code, env := call(t, "POST", base+"/"+itoa(id)+"/messages", "", token, map[string]any{"message": "m"}); code != 200 {
			t.Fatalf("message %d: %d %v", i, code, env)
		}
	}
	if code, _ := call(t, "POST", base+"/"+itoa(id)+"/messages", "", token, map[string]any{"message": "m"}); code != 429 {
		t.Fatalf("the 21st message in a minute: %d", code)
	}
}

// stream follows a visitor stream, sending "name data" of each event.
func stream(t *testing.T, url, lastID string) (<-chan [3]string, int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan [3]string, 32)
	if resp.StatusCode != 200 {
		resp.Body.Close()
		close(out)
		return out, resp.StatusCode
	}
	go func() {
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var ev [3]string // name, id, data
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev[0] != "" {
					out <- ev
				}
				ev = [3]string{}
			case strings.HasPrefix(line, "event: "):
				ev[0] = line[7:]
			case strings.HasPrefix(line, "id: "):
				ev[1] = line[4:]
			case strings.HasPrefix(line, "data: "):
				ev[2] = line[6:]
			}
		}
	}()
	return out, 200
}

func next(t *testing.T, events <-chan [3]string) [3]string {
	t.Helper()
	select {
	case e, ok := <-events:
		if !ok {
			t.Fatal("the stream ended")
		}
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s")
	}
	return [3]string{}
}

func TestVisitorStream(t *testing.T) {
	w := newWorld(t, "")
	st, err := w.svc.Create(w.ctx, w.acme, "Shop help", nil)
	if err != nil {
		t.Fatal(err)
	}
	mate, err := w.communities.AddTeammate(w.ctx, w.acme, community.TeammateInput{Email: "ann@acme.example", Name: "Ann", Role: "team_member"})
	if err != nil {
		t.Fatal(err)
	}
	base := w.srv.URL + "/widget/acme/" + itoa(st.WidgetID) + "/conversations"
	code, env := call(t, "POST", base, "", "", map[string]any{"email": "kim@example.com", "name": "Kim", "message": "Hi"})
	if code != 200 {
		t.Fatalf("start: %d %v", code, env)
	}
	token := env["data"].(map[string]any)["visitorToken"].(string)
	id := int64(env["data"].(map[string]any)["conversationId"].(float64))
	url := base + "/" + itoa(id) + "/events?token=" + token
	if _, code := stream(t, base+"/"+itoa(id)+"/events?token=nope", ""); code != 404 {
		t.Fatalf("a wrong token's stream: %d", code)
	}
	events, _ := stream(t, url, "")

	// An internal note never reaches the visitor; the teammate's answer
	// that follows it does, by name.
	if _, err := w.tickets.CreateNote(w.ctx, w.acme, id, ticket.NoteInput{Author: openboards.UserRef{ID: mate.ID}, Message: "VIP customer"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.chat.AddMessages(w.ctx, w.acme, id, []chat.MessageInput{{Author: &chat.UserValue{ID: mate.ID}, Message: "Hello Kim"}}, false); err != nil {
		t.Fatal(err)
	}
	var answer [3]string
	for answer[0] != "message" {
		answer = next(t, events)
		if strings.Contains(answer[2], "VIP") {
			t.Fatalf("the note reached the visitor: %v", answer)
		}
	}
	if !strings.Contains(answer[2], `"message":"Hello Kim"`) || !strings.Contains(answer[2], `"fromTeam":true`) || !strings.Contains(answer[2], `"author":"Ann"`) ||
		strings.Contains(answer[2], "ann@acme.example") || answer[1] == "" {
		t.Fatalf("the answer as the visitor sees it: %v", answer)
	}
	// A teammate typing shows by name; the visitor's own typing does not
	// come back.
	tk, _ := w.store.FindTicketByID(w.ctx, w.acme.ID, id)
	if err := w.chat.Typing(w.ctx, w.acme, id, tk.AuthorID); err != nil {
		t.Fatal(err)
	}
	if err := w.chat.Typing(w.ctx, w.acme, id, mate.ID); err != nil {
		t.Fatal(err)
	}
	if e := next(t, events); e[0] != "typing" || e[2] != `{"name":"Ann"}` || e[1] != "" {
		t.Fatalf("typing: %v", e)
	}
	// Closing reaches it; a stream resumed from the answer gets the close.
	if _, err := w.chat.Close(w.ctx, w.acme, id); err != nil {
		t.Fatal(err)
	}
	for {
		if e := next(t, events); e[0] == "conversation" && strings.Contains(e[2], `"isClosed":true`) {
			break
		}
	}
	resumed, _ := stream(t, url, answer[1])
	for {
		e := next(t, resumed)
		if e[0] == "message" {
			t.Fatalf("the resumed stream sent the answer again: %v", e)
		}
		if e[0] == "conversation" && strings.Contains(e[2], `"isClosed":true`) {
			break
		}
	}
}
