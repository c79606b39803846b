package httpapi_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"openboards/internal/httpapi"
	"openboards/internal/live"
)

// testFeed is a feed of events whose Render names them by their type and
// numbers them by their id, but for typing, which has no id.
func testFeed(events <-chan live.Event, done chan<- struct{}) httpapi.Feed {
	return httpapi.Feed{
		Retry: 3 * time.Second, From: "e-7", Events: events, Heartbeat: time.Hour, PollEvery: time.Hour,
		Render: func(ctx context.Context, e live.Event) (string, string, []byte, error) {
			switch e.Type {
			case "note":
				return "", "", nil, nil
			case "fail":
				return "", "", nil, errors.New("fail")
			case live.Typing:
				return "typing", "", []byte(`{"name":"Ann"}`), nil
			}
			return string(e.Type), "e-" + strconv.FormatInt(e.ID, 10), []byte("line 1\nline 2"), nil
		},
		Poll: func(ctx context.Context) (string, []byte, error) { return "", nil, nil },
		Done: func() { close(done) },
	}
}

var script = []live.Event{
	{ID: 8, Type: live.MessageAdded},
	{ID: 9, Type: "note"},
	{ID: 10, Type: live.Typing},
	{ID: 11, Type: live.StatusChanged},
}

// The stream a hijacked connection carries is the one the handler would
// have sent, byte for byte, with the headers the handler set, and ends
// with its events, closing the connection.
func TestServeEventStreamParked(t *testing.T) {
	t.Parallel()
	events := make(chan live.Event, len(script))
	done := make(chan struct{})
	returned := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "r1")
		httpapi.ServeEventStream(w, r, testFeed(events, done))
		close(returned)
	}))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, "GET /events HTTP/1.1\r\nHost: test\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !resp.Close || resp.ContentLength != -1 || len(resp.TransferEncoding) != 0 ||
		resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("Cache-Control") != "no-store" ||
		resp.Header.Get("X-Accel-Buffering") != "no" || resp.Header.Get("X-Request-Id") != "r1" || resp.Header.Get("Date") == "" {
		t.Fatalf("answer %d, close %v, length %d, encoding %v, headers %v", resp.StatusCode, resp.Close, resp.ContentLength, resp.TransferEncoding, resp.Header)
	}
	// The handler has returned before the first event: the stream is
	// parked.
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler did not return")
	}
	for _, e := range script {
		events <- e
	}
	close(events)
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	<-done

	want := httptest.NewRecorder()
	wantEvents := make(chan live.Event, len(script))
	for _, e := range script {
		wantEvents <- e
	}
	close(wantEvents)
	wantDone := make(chan struct{})
	httpapi.ServeEventStream(want, httptest.NewRequest("GET", "/events", nil), testFeed(wantEvents, wantDone))
	<-wantDone
	if string(body) != want.Body.String() {
		t.Errorf("parked stream\n%q\nwant, as the handler sends it,\n%q", body, want.Body.String())
	}
	if !strings.HasPrefix(string(body), "retry: 3000\nid: e-7\n\nevent: message.added\nid: e-8\ndata: line 1\ndata: line 2\n\n") {
		t.Errorf("stream %q", body)
	}
}

// A parked stream sends heartbeats and what polling finds, ends on an
// error of Render, and finds a client that has gone at a heartbeat.
func TestServeEventStreamParkedTimers(t *testing.T) {
	t.Parallel()
	t.Run("HeartbeatPollError", func(t *testing.T) {
		t.Parallel()
		events := make(chan live.Event, 1)
		done := make(chan struct{})
		polls := 0
		f := testFeed(events, done)
		f.Heartbeat, f.PollEvery = 30*time.Millisecond, 20*time.Millisecond
		f.Poll = func(ctx context.Context) (string, []byte, error) {
			if polls++; polls == 2 {
				return "queue", []byte(`{"position":1}`), nil
			}
			return "", nil, nil
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { httpapi.ServeEventStream(w, r, f) }))
		defer srv.Close()
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var beat, queue bool
		for sc.Scan() && !(beat && queue) {
			beat = beat || sc.Text() == ": keep-alive"
			queue = queue || sc.Text() == "event: queue"
		}
		if !beat || !queue {
			t.Fatalf("heartbeat %v, queue %v", beat, queue)
		}
		events <- live.Event{Type: "fail"}
		io.Copy(io.Discard, resp.Body) // the stream ends
		<-done
	})
	t.Run("ClientGone", func(t *testing.T) {
		t.Parallel()
		done := make(chan struct{})
		f := testFeed(make(chan live.Event), done)
		f.Heartbeat = 10 * time.Millisecond
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { httpapi.ServeEventStream(w, r, f) }))
		defer srv.Close()
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the stream of a client that went did not end")
		}
	})
}

// Over HTTP/2, which cannot be hijacked, the handler serves the stream.
func TestServeEventStreamHTTP2(t *testing.T) {
	t.Parallel()
	events := make(chan live.Event, len(script))
	done := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpapi.ServeEventStream(w, r, testFeed(events, done))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("protocol %s", resp.Proto)
	}
	for _, e := range script {
		events <- e
	}
	close(events)
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	<-done
	if !strings.HasPrefix(string(body), "retry: 3000\nid: e-7\n\nevent: message.added\nid: e-8\n") || !strings.Contains(string(body), "event: typing\ndata: {\"name\":\"Ann\"}\n\n") {
		t.Errorf("stream %q", body)
	}
}
