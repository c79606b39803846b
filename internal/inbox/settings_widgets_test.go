package inbox_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"openboards/internal/widget"
)

// Admins set a widget's settings and replace its identity secret on the
// widgets page; bad settings say which field and change nothing.
func TestSetupWidgetSettings(t *testing.T) {
	h := newHarness(t)
	widgets := widget.NewService(h.store, time.Now)
	st, err := widgets.Create(h.ctx, h.acme, "Support", nil)
	if err != nil {
		t.Fatal(err)
	}
	a := h.signedIn("ada@acme.test")
	page := a.ok("/acme/settings/widgets")
	// The snippet names this server's loader.
	loader := html.EscapeString(fmt.Sprintf("s.src = %q", h.srv.URL+"/magic-widget.js"))
	for _, want := range []string{"Settings of widget", st.IdentitySecret, fmt.Sprintf("widgetId: %d", st.WidgetID), loader, "magicWidgetAsyncInit"} {
		if !strings.Contains(page, want) {
			t.Errorf("the widgets page lacks %q", want)
		}
	}
	csrf := a.csrf(page)
	path := fmt.Sprintf("/acme/settings/widgets/%d", st.WidgetID)
	form := url.Values{"csrf": {csrf}, "name": {"Shop help"}, "greeting": {"Hej!"}, "color": {"#112233"}, "offlineText": {"Closed"},
		"askEmail": {"1"}, "origins": {"https://shop.example.com\nnot an origin"}, "require": {"1"}, "timeZone": {"Europe/Oslo"}}
	r := a.post(path+"/settings", form)
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "allowedOrigins[1]") || !strings.Contains(r.body, "not an origin") {
		t.Fatalf("bad origin: %d\n%s", r.StatusCode, r.body)
	}
	if got, _ := widgets.Settings(h.ctx, h.acme, st.WidgetID); got.Name != "Support" || got.RequireVerification {
		t.Fatalf("a refused form changed the settings: %+v", got)
	}
	form.Set("origins", "https://shop.example.com\n https://www.shop.example.com ")
	if r = a.post(path+"/settings", form); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", r.StatusCode, r.body)
	}
	got, _ := widgets.Settings(h.ctx, h.acme, st.WidgetID)
	if got.Name != "Shop help" || got.AskName || !got.AskEmail || !got.RequireVerification || got.Color != "#112233" ||
		strings.Join(got.AllowedOrigins, " ") != "https://shop.example.com https://www.shop.example.com" || got.IdentitySecret != st.IdentitySecret ||
		got.TimeZone != "Europe/Oslo" {
		t.Fatalf("saved %+v", got)
	}
	// The secret is replaced only when the box is ticked.
	if r = a.post(path+"/secret", url.Values{"csrf": {csrf}}); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "confirm") {
		t.Fatalf("rotate without confirming: %d", r.StatusCode)
	}
	if r = a.post(path+"/secret", url.Values{"csrf": {csrf}, "confirm": {"1"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("rotate: %d", r.StatusCode)
	}
	if rotated, _ := widgets.Settings(h.ctx, h.acme, st.WidgetID); rotated.IdentitySecret == st.IdentitySecret {
		t.Fatal("the secret stayed")
	}
	// Team members cannot; another community's widget is not found.
	m := h.signedIn("max@acme.test")
	if r = m.post(path+"/settings", form); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a team member saved: %d", r.StatusCode)
	}
	other, err := widgets.Create(h.ctx, h.other, "Theirs", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r = a.post(fmt.Sprintf("/acme/settings/widgets/%d/settings", other.WidgetID), form); r.StatusCode != http.StatusNotFound {
		t.Fatalf("another community's widget: %d", r.StatusCode)
	}
	if got, _ := widgets.Settings(h.ctx, h.other, other.WidgetID); got.Name != "Theirs" {
		t.Fatal("another community's widget changed")
	}
}
