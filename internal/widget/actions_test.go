package widget_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"openboards/internal/openboards"
	"openboards/internal/widget"
)

var starts int

// start opens a conversation on widget st and returns its path and token.
// Each start comes from an address of its own (see forwardedFor).
func start(t *testing.T, w *world, st *openboards.WidgetSettings, body map[string]any) (string, string, map[string]any) {
	t.Helper()
	starts++
	forwardedFor = fmt.Sprintf("192.0.2.%d", starts)
	defer func() { forwardedFor = "" }()
	base := w.srv.URL + "/widget/acme/" + itoa(st.WidgetID) + "/conversations"
	code, env := call(t, "POST", base, "", "", body)
	if code != 200 {
		t.Fatalf("start %v: %d %v", body, code, env)
	}
	data := env["data"].(map[string]any)
	return base + "/" + itoa(int64(data["conversationId"].(float64))), data["visitorToken"].(string), data
}

func TestVisitorActions(t *testing.T) {
	w := newWorld(t, "")
	st, err := w.svc.Create(w.ctx, w.acme, "Shop help", nil)
	if err != nil {
		t.Fatal(err)
	}
	path, token, data := start(t, w, st, map[string]any{"email": "v@example.com", "message": "hi", "url": "https://shop.example.com/"})
	id := int64(data["conversationId"].(float64))
	otherPath, otherToken, _ := start(t, w, st, map[string]any{"email": "w@example.com", "message": "hi"})

	// Each action needs the conversation's own token.
	for _, a := range []struct {
		path string
		body any
	}{{"/page", map[string]any{"url": "https://shop.example.com/cart"}}, {"/typing", nil}, {"/feedback", map[string]any{"isPositive": true}}, {"/close", nil}} {
		if code, env := call(t, "POST", path+a.path, "", otherToken, a.body); code != 404 {
			t.Errorf("%s with another conversation's token: %d %v", a.path, code, env)
		}
		if code, _ := call(t, "POST", path+a.path, "", "", a.body); code != 401 {
			t.Errorf("%s without a token: %d", a.path, code)
		}
	}

	// The page the visitor moved to.
	for _, bad := range []map[string]any{{"url": "javascript:alert(1)"}, {"url": ""}, {"url": strings.Repeat("h", 3000)}, {"page": "x"}} {
		if code, env := call(t, "POST", path+"/page", "", token, bad); code != 400 {
			t.Errorf("page %v: %d %v", bad, code, env)
		}
	}
	code, env := call(t, "POST", path+"/page", "", token, map[string]any{"url": "https://shop.example.com/cart"})
	if code != 200 || env["data"].(map[string]any)["latestPageUrl"] != "https://shop.example.com/cart" {
		t.Fatalf("page: %d %v", code, env)
	}
	cv, _ := w.store.FindConversation(w.ctx, w.acme.ID, id)
	if cv.LatestPageURL == nil || *cv.LatestPageURL != "https://shop.example.com/cart" || *cv.InitialPageURL != "https://shop.example.com/" {
		t.Fatalf("pages %v %v", cv.InitialPageURL, cv.LatestPageURL)
	}

	// Typing reaches the conversation's subscribers, named.
	sub := w.hub.SubscribeTicket(w.acme.ID, id, "")
	defer sub.Cancel()
	if code, env := call(t, "POST", path+"/typing", "", token, nil); code != 200 {
		t.Fatalf("typing: %d %v", code, env)
	}
	if e := <-sub.Events; !strings.Contains(string(e.Data), `"name":"v@example.com"`) {
		t.Fatalf("typing event %s %s", e.Type, e.Data)
	}

	// Feedback: isPositive is required; a second replaces the first.
	if code, env := call(t, "POST", path+"/feedback", "", token, map[string]any{"text": "meh"}); code != 400 || !strings.Contains(env["errorText"].(string), "isPositive") {
		t.Fatalf("feedback without isPositive: %d %v", code, env)
	}
	call(t, "POST", path+"/feedback", "", token, map[string]any{"isPositive": false, "text": "slow"})
	code, env = call(t, "POST", path+"/feedback", "", token, map[string]any{"isPositive": true, "text": " Quick and kind "})
	if code != 200 || env["data"].(map[string]any)["text"] != "Quick and kind" {
		t.Fatalf("feedback: %d %v", code, env)
	}
	cv, _ = w.store.FindConversation(w.ctx, w.acme.ID, id)
	if cv.Feedback == nil || !cv.Feedback.IsPositive || cv.Feedback.Text != "Quick and kind" {
		t.Fatalf("stored feedback %+v", cv.Feedback)
	}

	// Ending the chat; ending it again changes nothing; typing in it is
	// refused; the other conversation stays open.
	for range 2 {
		code, env = call(t, "POST", path+"/close", "", token, nil)
		if code != 200 || env["data"].(map[string]any)["isClosed"] != true {
			t.Fatalf("close: %d %v", code, env)
		}
	}
	if code, _ := call(t, "POST", path+"/typing", "", token, nil); code != 409 {
		t.Errorf("typing in a closed chat: %d", code)
	}
	if code, env := call(t, "GET", otherPath, "", otherToken, nil); code != 200 || env["data"].(map[string]any)["isClosed"] != false {
		t.Fatalf("the other conversation: %d %v", code, env)
	}
}

func TestOfflineTicket(t *testing.T) {
	w := newWorld(t, "")
	st, err := w.svc.Create(w.ctx, w.acme, "Shop help", []string{"https://shop.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	url := w.srv.URL + "/widget/acme/" + itoa(st.WidgetID) + "/tickets"
	const origin = "https://shop.example.com"
	for _, bad := range []struct {
		body map[string]any
		text string
	}{
		{map[string]any{"name": "Sofie", "message": "Hi"}, "email: required"},
		{map[string]any{"email": "nope", "message": "Hi"}, "email"},
		{map[string]any{"email": "s@example.com", "message": " "}, "message: required"},
		{map[string]any{"email": "s@example.com", "message": strings.Repeat("m", 17<<10)}, "message: at most"},
		{map[string]any{"email": "s@example.com", "message": "x", "name": strings.Repeat("n", 201)}, "name"},
	} {
		code, env := call(t, "POST", url, origin, "", bad.body)
		if code != 400 || !strings.Contains(env["errorText"].(string), bad.text) {
			t.Errorf("%v: %d %v, want 400 with %q", bad.body, code, env["errorText"], bad.text)
		}
	}
	if code, _ := call(t, "POST", url, "https://evil.example", "", map[string]any{"email": "s@example.com", "message": "x"}); code != 403 {
		t.Errorf("another origin: %d", code)
	}
	if ts, _ := w.store.FindTickets(w.ctx, openboards.TicketFilter{CommunityID: w.acme.ID, Take: 10}); len(ts) != 0 {
		t.Fatalf("refused forms made %d tickets", len(ts))
	}
	code, env := call(t, "POST", url, origin, "", map[string]any{"name": "Sofie", "email": "sofie@example.com", "message": "Where is my order?",
		"url": "https://shop.example.com/orders"})
	if code != 200 {
		t.Fatalf("offline form: %d %v", code, env)
	}
	tk, err := w.store.FindTicketByID(w.ctx, w.acme.ID, int64(env["data"].(map[string]any)["ticketId"].(float64)))
	if err != nil || tk.IsConversation() || tk.Source != "web" || tk.DetailedSource != openboards.DetailedSourceWebsite || tk.Author.Name != "Sofie" ||
		!strings.Contains(tk.Message, "Where is my order?") || !strings.Contains(tk.Message, "https://shop.example.com/orders") {
		t.Fatalf("offline ticket %+v, %v", tk, err)
	}
	// A second form with the same address does not rename the client.
	call(t, "POST", url, origin, "", map[string]any{"name": "Mallory", "email": "sofie@example.com", "message": "again"})
	u, _ := w.store.FindUserByEmail(w.ctx, w.acme.ID, "sofie@example.com")
	if u == nil || u.Name != "Sofie" {
		t.Fatalf("the client after a second form: %+v", u)
	}
}

func sign(t *testing.T, secret string, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestIdentityVerification(t *testing.T) {
	w := newWorld(t, "")
	st, err := w.svc.Create(w.ctx, w.acme, "Shop help", nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err = w.svc.Update(w.ctx, w.acme, st.WidgetID, func(s *openboards.WidgetSettings) error { s.RequireVerification = true; return nil })
	if err != nil {
		t.Fatal(err)
	}
	// The site's customer, known to the team.
	_, _, first := start(t, w, &openboards.WidgetSettings{WidgetID: st.WidgetID}, map[string]any{"message": "x", "user": map[string]any{
		"customIdentifier": "cust-42", "email": "kim@example.com", "name": "Kim", "identityToken": widget.SignIdentity(st.IdentitySecret, "cust-42")}})
	kim, err := w.store.FindUserByCustomIdentifier(w.ctx, w.acme.ID, "cust-42")
	if err != nil || first["verified"] != true {
		t.Fatalf("an HMAC-verified visitor: %v %v", first, err)
	}
	author := func(data map[string]any) *openboards.User {
		tk, err := w.store.FindTicketByID(w.ctx, w.acme.ID, int64(data["conversationId"].(float64)))
		if err != nil {
			t.Fatal(err)
		}
		return tk.Author
	}
	if a := author(first); a.ID != kim.ID || a.Name != "Kim" {
		t.Fatalf("verified author %+v", a)
	}
	now := time.Now()
	for _, c := range []struct {
		name     string
		user     map[string]any
		verified bool
		refused  string
	}{
		{"JWT", map[string]any{"identityToken": sign(t, st.IdentitySecret, jwt.MapClaims{"sub": "cust-42", "exp": now.Add(time.Hour).Unix()})}, true, ""},
		{"JWT claims win", map[string]any{"customIdentifier": "cust-1", "identityToken": sign(t, st.IdentitySecret, jwt.MapClaims{"sub": "cust-42", "exp": now.Add(time.Hour).Unix()})}, true, ""},
		{"expired JWT", map[string]any{"identityToken": sign(t, st.IdentitySecret, jwt.MapClaims{"sub": "cust-42", "exp": now.Add(-time.Hour).Unix()})}, false, "expired"},
		{"JWT without exp", map[string]any{"identityToken": sign(t, st.IdentitySecret, jwt.MapClaims{"sub": "cust-42"})}, false, "exp"},
		{"JWT of another secret", map[string]any{"identityToken": sign(t, "not the secret", jwt.MapClaims{"sub": "cust-42", "exp": now.Add(time.Hour).Unix()})}, false, "signature"},
		{"JWT with alg none", map[string]any{"identityToken": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJjdXN0LTQyIn0."}, false, "signing method"},
		{"HMAC of another identifier", map[string]any{"customIdentifier": "cust-42", "identityToken": widget.SignIdentity(st.IdentitySecret, "cust-43")}, false, "does not match"},
		{"no token", map[string]any{"customIdentifier": "cust-42", "email": "kim@example.com"}, false, ""},
	} {
		_, _, data := start(t, w, st, map[string]any{"message": "x", "name": "Someone", "email": "kim@example.com", "user": c.user})
		a := author(data)
		if data["verified"] != c.verified || (a.ID == kim.ID) != c.verified {
			t.Errorf("%s: verified %v, author %s (%s), want verified %v", c.name, data["verified"], a.Name, a.ID, c.verified)
		}
		refused, _ := data["identityRefused"].(string)
		if (c.refused == "") != (refused == "") || !strings.Contains(refused, c.refused) {
			t.Errorf("%s: identityRefused %q, want %q", c.name, refused, c.refused)
		}
		if !c.verified && (a.Email != nil || !strings.HasPrefix(*a.CustomIdentifier, "visitor-")) {
			t.Errorf("%s: an unverified visitor is not anonymous: %+v", c.name, a)
		}
	}

	// Without required verification, the page's details are taken as
	// given, but never as a teammate's.
	open, err := w.svc.Create(w.ctx, w.acme, "Open", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, data := start(t, w, open, map[string]any{"message": "x", "user": map[string]any{"customIdentifier": "cust-42"}})
	if author(data).ID != kim.ID || data["verified"] != false {
		t.Fatalf("an unverified visitor of an open widget: %v", data)
	}
}
