package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// sseEvent is one server-sent event as a client parses it.
type sseEvent struct {
	Name, ID string
	Data     json.RawMessage
}

// openStream opens a conversation's event stream as c and returns its
// events; the stream closes with the test. lastID, when set, resumes.
func openStream(t *testing.T, c client, id int64, lastID string) (<-chan sseEvent, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/chat/conversations/%d/events", c.url, id), nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan sseEvent, 64)
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		close(events)
		return events, resp
	}
	go func() {
		defer close(events)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var e sseEvent
		var data []string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if e.Name != "" || len(data) > 0 {
					e.Data = json.RawMessage(strings.Join(data, "\n"))
					events <- e
				}
				e, data = sseEvent{}, nil
			case strings.HasPrefix(line, "event: "):
				e.Name = line[len("event: "):]
			case strings.HasPrefix(line, "id: "):
				e.ID = line[len("id: "):]
			case strings.HasPrefix(line, "data: "):
				data = append(data, line[len("data: "):])
			}
		}
	}()
	return events, resp
}

// nextEvent returns the stream's next event, failing after a long wait.
func nextEvent(t *testing.T, events <-chan sseEvent) sseEvent {
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
	return sseEvent{}
}

func TestChatEventStream(t *testing.T) {
	b := setupWith(t, options{Live: true})
	c := b.client
	conv := decode[conversation](t, c.ok(t, "POST", "/chat/conversations", map[string]any{"author": map[string]any{"name": "John", "email": "john@example.com"}}))
	other := decode[conversation](t, c.ok(t, "POST", "/chat/conversations", map[string]any{"author": map[string]any{"name": "Eve", "email": "eve@example.com"}}))
	events, resp := openStream(t, c, conv.ID, "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	msgs := fmt.Sprintf("/chat/conversations/%d/messages", conv.ID)

	// The customer's message arrives as a message.
	c.ok(t, "POST", msgs, []map[string]any{{"message": "Hello?", "author": map[string]any{"email": "john@example.com"}}})
	e := nextEvent(t, events)
	m := decode[chatMessage](t, e.Data)
	if e.Name != "message" || m.Message != "Hello?" || m.Author.Name != "John" || e.ID == "" {
		t.Fatalf("first event %s %s", e.Name, e.Data)
	}

	// Another conversation's message, and an internal note, never reach
	// it: the team's reply that follows is the next event.
	c.ok(t, "POST", fmt.Sprintf("/chat/conversations/%d/messages", other.ID), []map[string]any{{"message": "Not yours", "author": map[string]any{"email": "eve@example.com"}}})
	c.ok(t, "POST", fmt.Sprintf("/tickets/%d/notes", conv.ID), map[string]any{"author": map[string]any{"email": "anna.agent@example.com"}, "message": "internal: VIP"})
	c.ok(t, "POST", fmt.Sprintf("/tickets/%d/replies", conv.ID), map[string]any{"author": map[string]any{"email": "anna.agent@example.com"}, "message": "Hello John"})
	var reply chatMessage
	for {
		e = nextEvent(t, events)
		if strings.Contains(string(e.Data), "VIP") || strings.Contains(string(e.Data), "Not yours") {
			t.Fatalf("the stream sent %s %s", e.Name, e.Data)
		}
		if e.Name == "message" {
			reply = decode[chatMessage](t, e.Data)
			break
		}
		// The reply also assigns nobody and changes the ticket: those
		// come as conversation events.
		if e.Name != "conversation" {
			t.Fatalf("unexpected %s %s", e.Name, e.Data)
		}
	}
	if reply.Message != "Hello John" || reply.Author.Name != "Anna Agent" {
		t.Fatalf("reply %+v", reply)
	}
	lastID := e.ID

	// The client's typing reaches it with the client's name; nothing is
	// stored, so a reconnecting client does not get it again.
	c.ok(t, "POST", fmt.Sprintf("/chat/conversations/%d/typing", conv.ID), nil)
	e = nextEvent(t, events)
	typing := decode[map[string]string](t, e.Data)
	if e.Name != "typing" || typing["name"] != "John" || typing["userId"] != conv.Author.ID {
		t.Fatalf("typing event %s %s", e.Name, e.Data)
	}
	c.fail(t, "POST", fmt.Sprintf("/chat/conversations/%d/typing", other.ID+1000), nil, 404, "not found")
	c.fail(t, "POST", fmt.Sprintf("/chat/conversations/%d/typing", conv.ID), `{"who":"me"}`, 400, "who")

	// Closing comes as the conversation, closed.
	c.ok(t, "PATCH", fmt.Sprintf("/chat/conversations/%d/close", conv.ID), nil)
	for {
		e = nextEvent(t, events)
		if e.Name == "conversation" && decode[conversation](t, e.Data).IsClosed {
			break
		}
	}

	c.fail(t, "POST", fmt.Sprintf("/chat/conversations/%d/typing", conv.ID), nil, 409, "closed")

	// A client that reconnects with the id of the reply gets what came
	// after it: the close, not the reply again (nor the typing).
	resumed, _ := openStream(t, c, conv.ID, lastID)
	e = nextEvent(t, resumed)
	if e.Name != "conversation" || !decode[conversation](t, e.Data).IsClosed {
		t.Fatalf("resumed with %s %s", e.Name, e.Data)
	}
	// An id from elsewhere resumes nothing: reset.
	reset, _ := openStream(t, c, conv.ID, "elsewhere-12")
	if e = nextEvent(t, reset); e.Name != "reset" {
		t.Fatalf("unknown id gave %s", e.Name)
	}

	// Another community's token cannot follow it, nor can anybody for a
	// conversation that does not exist.
	stranger := b.newTenant(t, "globex")
	for _, tc := range []struct {
		c  client
		id int64
	}{{stranger.client, conv.ID}, {c, 999999}} {
		if _, resp := openStream(t, tc.c, tc.id, ""); resp.StatusCode != 404 {
			t.Errorf("stream of %d: status %d, want 404", tc.id, resp.StatusCode)
		}
	}
	if _, resp := openStream(t, b.anonymous(), conv.ID, ""); resp.StatusCode != 401 {
		t.Errorf("anonymous stream: status %d, want 401", resp.StatusCode)
	}
}

// A plain ticket is no conversation: it has no stream.
func TestChatEventStreamOfTicket(t *testing.T) {
	b := setupWith(t, options{Live: true})
	tk := b.client.createTicket(t, simpleTicket("Printer jams"))
	if _, resp := openStream(t, b.client, tk, ""); resp.StatusCode != 404 {
		t.Fatalf("stream of a ticket: %d", resp.StatusCode)
	}
}
