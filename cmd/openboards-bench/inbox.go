package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
)

// The inbox phase: the agent inbox's ticket list page, rendered by the
// server from the list database (-seed tickets), as a signed-in teammate's
// browser asks for it.

const (
	inboxEmail    = "bench-agent@example.com"
	inboxPassword = "bench password 123"
)

func (b *bench) runInbox(ctx context.Context) error {
	info, err := prepareListDB(ctx, b.o.listDB, b.o.seed, b.o.reuse, b.w)
	if err != nil {
		return err
	}
	// A teammate with a password, set through the command line as an
	// operator would, before the server opens the database.
	if err := b.cli(ctx, nil, "teammate", "add", "--db", b.o.listDB, "--community", info.Community,
		"--email", inboxEmail, "--name", "Bench Agent", "--role", "admin"); err != nil {
		return err
	}
	if err := b.cli(ctx, strings.NewReader(inboxPassword+"\n"), "teammate", "password", "--db", b.o.listDB,
		"--community", info.Community, "--email", inboxEmail); err != nil {
		return err
	}
	p, err := b.startServer(ctx, "inbox", b.o.listDB)
	if err != nil {
		return err
	}
	defer p.stop()
	cookie, err := signIn(ctx, p.url, info.Community, inboxEmail, inboxPassword)
	if err != nil {
		return err
	}
	base := "/" + url.PathEscape(info.Community) + "/tickets"
	pages := []struct{ name, path string }{
		{"inbox list open", base},
		{"inbox list all, by creation", base + "?status=all&order=" + url.QueryEscape("creation_time_desc")},
		{"inbox list open, page 21", base + "?skip=1000"},
		{"inbox search, common word", base + "?status=all&q=refund"},
		{"inbox search, rare words", base + "?status=all&q=" + url.QueryEscape("invoice 100042")},
	}
	for _, pg := range pages {
		w := inboxWorkload(p.addr, pg.name, b.o.listClients, pg.path, cookie)
		b.measure(ctx, p, w, fmt.Sprintf("GET %s over %d tickets", pg.path, info.Tickets))
		b.rep.Results[len(b.rep.Results)-1].judge(goal{p99ms: 50})
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return p.stop()
}

// cli runs the benchmarked binary with args.
func (b *bench) cli(ctx context.Context, stdin *strings.Reader, args ...string) error {
	cmd := exec.CommandContext(ctx, b.o.server, args...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("openboards %s: %w: %s", strings.Join(args[:2], " "), err, out)
	}
	return nil
}

// signIn posts the inbox's sign-in form and returns the session cookie.
func signIn(ctx context.Context, base, community, email, password string) (string, error) {
	form := url.Values{"community": {community}, "email": {email}, "password": {password}}
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/signin", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("sign in: %w", err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Value != "" {
			return c.Name + "=" + c.Value, nil
		}
	}
	return "", fmt.Errorf("sign in: status %d, no session cookie", resp.StatusCode)
}

// inboxWorkload asks for one inbox page with a session cookie; a success
// is a 200 page that lists tickets.
func inboxWorkload(addr, name string, clients int, path, cookie string) workload {
	req := []byte("GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nCookie: " + cookie + "\r\nAccept: text/html\r\n\r\n")
	return workload{
		name: name, unit: "req/s", method: "GET", clients: clients,
		request: func(c *client) []byte { return req },
		accept: func(_ *client, status int, body []byte) bool {
			return status == http.StatusOK && bytes.Contains(body, []byte(`class="tickets"`))
		},
	}
}
