package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// widget create prints the widget's id and identity secret, and the
// server answers its public config at once.
func TestWidgetCommands(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "widgets.db")
	runCLI(t, "community", "create", "Shop", "--db", db, "--json")
	var w widgetJSON
	if err := json.Unmarshal(runCLI(t, "widget", "create", "--community", "shop", "--name", "Shop help",
		"--origins", "https://shop.example.com, http://localhost:8080", "--db", db, "--json"), &w); err != nil {
		t.Fatal(err)
	}
	if w.WidgetID == 0 || w.Name != "Shop help" || len(w.IdentitySecret) != 64 ||
		strings.Join(w.AllowedOrigins, " ") != "https://shop.example.com http://localhost:8080" {
		t.Fatalf("created %+v", w)
	}
	var list []widgetJSON
	if err := json.Unmarshal(runCLI(t, "widget", "list", "--community", "Shop", "--db", db, "--json"), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].WidgetID != w.WidgetID || list[0].IdentitySecret != "" {
		t.Fatalf("listed %+v (the secret is printed once, at creation)", list)
	}
	if out := string(runCLI(t, "widget", "list", "--community", "Shop", "--db", db)); !strings.Contains(out, "Shop help") || !strings.Contains(out, "https://shop.example.com") {
		t.Fatalf("list:\n%s", out)
	}
	// Bad origins name the flag's field; a missing name is a usage error.
	var errOut strings.Builder
	err := Run(context.Background(), []string{"widget", "create", "--community", "shop", "--name", "x", "--origins", "shop.example.com", "--db", db},
		Env{Stdout: &strings.Builder{}, Stderr: &errOut, Getenv: func(string) string { return "" }})
	if err == nil || !strings.Contains(err.Error(), "allowedOrigins[0]") {
		t.Fatalf("bad origin: %v", err)
	}
	if err := json.Unmarshal(runCLI(t, "widget", "list", "--community", "Shop", "--db", db, "--json"), &list); err != nil || len(list) != 1 {
		t.Fatalf("a refused widget was created: %+v, %v", list, err)
	}
	if code := Main(context.Background(), []string{"widget", "create", "--community", "shop", "--db", db},
		Env{Stdout: &strings.Builder{}, Stderr: &strings.Builder{}, Getenv: func(string) string { return "" }}); code != ExitUsage {
		t.Fatalf("without --name: exit %d", code)
	}

	s := startLiveNode(t, db)
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/widget/shop/%d/config", s.s.URL, w.WidgetID), nil)
	req.Header.Set("Origin", "https://shop.example.com")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://shop.example.com" {
		t.Fatalf("config on the server: %d %v", resp.StatusCode, resp.Header)
	}
}
