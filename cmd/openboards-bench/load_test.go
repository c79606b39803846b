package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestConnDo(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/echo":
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.Write(body)
		case "/missing":
			w.Header().Set("Content-Length", "9")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, "not found")
		case "/chunked":
			io.WriteString(w, "part")
			w.(http.Flusher).Flush()
			io.WriteString(w, "more")
		}
	}))
	defer srv.Close()
	tg := target{addr: strings.TrimPrefix(srv.URL, "http://")}
	c := &conn{addr: tg.addr}
	defer c.close()

	// Several requests on one connection.
	for range 3 {
		status, body, err := c.do(tg.appendRequest(nil, "POST", "/echo", []byte(`{"a":1}`)))
		if err != nil || status != 200 || string(body) != `{"a":1}` {
			t.Fatalf("echo: got %d %q %v, want 200 {\"a\":1}", status, body, err)
		}
	}
	first := c.c
	status, body, err := c.do(tg.appendRequest(nil, "GET", "/missing", nil))
	if err != nil || status != 404 || string(body) != "not found" {
		t.Fatalf("missing: got %d %q %v, want 404 \"not found\"", status, body, err)
	}
	if c.c != first {
		t.Fatalf("the connection was not kept alive")
	}
	if _, _, err := c.do(tg.appendRequest(nil, "GET", "/chunked", nil)); !errors.Is(err, errChunked) {
		t.Fatalf("chunked: got %v, want errChunked", err)
	}
	if c.c != nil {
		t.Fatalf("the connection was not closed after an unreadable answer")
	}
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50}, {0.99, 99}, {1, 100}, {0, 1}} {
		if got := percentile(d, tc.q); got != tc.want {
			t.Errorf("percentile(%v): got %v, want %v", tc.q, got, tc.want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile of nothing: got %v, want 0", got)
	}
}

func TestTicketBody(t *testing.T) {
	t.Parallel()
	var req struct {
		Title, Message string
		Creator        struct{ Name, Email string }
		Tags           []string
	}
	if err := json.Unmarshal(appendTicketBody(nil, 123), &req); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	in := ticketInput(123)
	if req.Title != in.Title || req.Message != in.Message || req.Creator.Email != *in.Creator.Email ||
		req.Creator.Name != *in.Creator.Name || len(req.Tags) != 1 || req.Tags[0] != in.Tags[0] {
		t.Fatalf("HTTP body %+v and service input %+v differ", req, in)
	}
	if req.Creator.Email != "customer12@example.com" {
		t.Fatalf("creator e-mail: got %q, want customer12@example.com", req.Creator.Email)
	}
}

func TestDataInt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body string
		id   int64
		ok   bool
	}{
		{`{"data":42,"errorCode":-1,"errorText":null}`, 42, true},
		{`{"data":null,"errorCode":400,"errorText":"x"}`, 0, false},
		{`{"data":{"id":1}}`, 0, false},
	} {
		id, ok := dataInt([]byte(tc.body))
		if id != tc.id || ok != tc.ok {
			t.Errorf("dataInt(%s): got %d %v, want %d %v", tc.body, id, ok, tc.id, tc.ok)
		}
	}
}
