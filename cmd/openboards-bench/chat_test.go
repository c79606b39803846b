package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestReadSSE(t *testing.T) {
	t.Parallel()
	stream := "retry: 3000\nid: e-1\n\n" +
		": keep-alive\n\n" +
		"event: message\nid: e-2\ndata: {\"id\":7,\"message\":\"hi\"}\n\n" +
		"event: ticket\ndata: 12\n\n" +
		"data: line one\ndata: line two\n\n" +
		"event: reset\r\ndata: {}\r\n\r\n" +
		"data:no space\n\n" +
		"event: cut\ndata: never ended"
	var got []sseEvent
	if err := readSSE(strings.NewReader(stream), func(ev sseEvent) { got = append(got, ev) }); err != nil {
		t.Fatal(err)
	}
	want := []sseEvent{
		{"message", []byte(`{"id":7,"message":"hi"}`)},
		{"ticket", []byte("12")},
		{"", []byte("line one\nline two")},
		{"reset", []byte("{}")},
		{"", []byte("no space")},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d events %q, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i].name != want[i].name || string(got[i].data) != string(want[i].data) {
			t.Errorf("event %d: got %q %q, want %q %q", i, got[i].name, got[i].data, want[i].name, want[i].data)
		}
	}
}

func TestChatMessageMarker(t *testing.T) {
	t.Parallel()
	body := appendChatMessage(nil, 4321, "client-7@example.com")
	var msgs []struct {
		Message string `json:"message"`
		Author  struct {
			Email string `json:"email"`
		} `json:"author"`
		ClientMessageID string `json:"clientMessageId"`
	}
	if err := json.Unmarshal(body, &msgs); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	if len(msgs) != 1 || msgs[0].Author.Email != "client-7@example.com" || msgs[0].ClientMessageID != "m-4321" {
		t.Fatalf("body %s", body)
	}
	if n, ok := markerSeq([]byte(msgs[0].Message)); !ok || n != 4321 {
		t.Errorf("marker of %q: got %d %v", msgs[0].Message, n, ok)
	}
	// A notification carries the text in Message.Message.
	hook := `{"CommunityName":"Bench","EventType":"conversation_message_added","TicketId":3,"Events":[{"Message":{"Id":99,"Message":"Hello, this is bench#17. My parcel"}}]}`
	if n, ok := markerSeq([]byte(hook)); !ok || n != 17 {
		t.Errorf("marker of the notification: got %d %v", n, ok)
	}
	for _, b := range []string{"", "bench#", "bench#x1", "bench#0", "no marker 12"} {
		if n, ok := markerSeq([]byte(b)); ok {
			t.Errorf("markerSeq(%q) = %d, want none", b, n)
		}
	}
}

func TestMatchInbox(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	msgs := []chatMsg{
		{ticket: 1, sent: 0, ack: 5 * ms, ok: true},          // 0
		{ticket: 2, sent: 1 * ms, ack: 6 * ms, ok: true},     // 1
		{ticket: 1, sent: 7 * ms, ack: 12 * ms, ok: true},    // 2
		{ticket: 3, sent: 8 * ms, ack: 9 * ms, ok: false},    // 3: failed
		{ticket: 2, sent: 20 * ms, ack: 30 * ms, ok: true},   // 4: its event overtakes the answer
		{ticket: 3, sent: 40 * ms, ack: 45 * ms, ok: true},   // 5
		{ticket: 1, sent: 41 * ms, ack: 46 * ms, ok: true},   // 6
		{ticket: 2, sent: 90 * ms, ack: 95 * ms, ok: true},   // 7: told of by the last 0 only
		{ticket: 1, sent: 100 * ms, ack: 101 * ms, ok: true}, // 8: told of by a later 0
	}
	got := []arrival{
		{7 * ms, 1},   // 0 (acknowledged before); 2 was sent, but 0 was not told of yet
		{8 * ms, 2},   // 1
		{15 * ms, 1},  // 2, acknowledged before
		{25 * ms, 2},  // 4: none acknowledged, the earliest sent before
		{26 * ms, 2},  // nothing left
		{60 * ms, 0},  // 5 and 6
		{102 * ms, 9}, // a ticket without messages
		{110 * ms, 0}, // 8 (7 is acknowledged before it too, so it counts as told of)
	}
	first := matchInbox(msgs, got)
	want := []time.Duration{7 * ms, 8 * ms, 15 * ms, noArrival, 25 * ms, 60 * ms, 60 * ms, 110 * ms, 110 * ms}
	if !slices.Equal(first, want) {
		t.Errorf("got %v, want %v", first, want)
	}

	// Without the last 0, message 7 and 8 were never told of.
	first = matchInbox(msgs, got[:len(got)-1])
	if first[7] != noArrival || first[8] != noArrival {
		t.Errorf("without the last arrival: got %v", first)
	}
}

func TestChatLatency(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	// Window [100ms, 200ms).
	ld := &chatLoad{from: 100 * ms, end: 200 * ms, msgs: []chatMsg{
		{ticket: 1, sent: 90 * ms, ack: 95 * ms, ok: true},   // 1: before the window
		{ticket: 2, sent: 110 * ms, ack: 112 * ms, ok: true}, // 2
		{ticket: 1, sent: 150 * ms, ack: 160 * ms, ok: true}, // 3: never arrives
		{ticket: 2, sent: 170 * ms, ok: false},               // 4: failed
		{ticket: 1, sent: 190 * ms, ack: 195 * ms, ok: true}, // 5: arrives after the load
	}}
	ld.sent = len(ld.msgs)
	ld.byTicket = map[int64][]int{1: {0, 2, 4}, 2: {1}}
	got := []arrival{{98 * ms, 1}, {111 * ms, 2}, {111 * ms, 2}, {260 * ms, 5}, {175 * ms, 4}, {300 * ms, 77}}
	l := seqLatency(ld, got, func(chatMsg) bool { return true })
	slices.Sort(l.fromAck)
	if want := []time.Duration{-1 * ms, 65 * ms}; !slices.Equal(l.fromAck, want) {
		t.Errorf("fromAck: got %v, want %v", l.fromAck, want)
	}
	slices.Sort(l.fromSend)
	if want := []time.Duration{1 * ms, 70 * ms}; !slices.Equal(l.fromSend, want) {
		t.Errorf("fromSend: got %v, want %v", l.fromSend, want)
	}
	if l.expected != 3 || l.missing != 1 || l.undelivered != 1 || l.dups != 1 || l.unknown != 2 || l.drain != 60*ms {
		t.Errorf("got expected %d, missing %d, undelivered %d, dups %d, unknown %d, drain %v; want 3, 1, 1, 1, 2, 60ms",
			l.expected, l.missing, l.undelivered, l.dups, l.unknown, l.drain)
	}

	// A stream of conversation 1 expects its messages only; message 2's
	// arrival there is of another conversation.
	s := &chatStream{conv: 1, got: got}
	c := convLatency(ld, []*chatStream{s})
	if c.expected != 2 || c.missing != 1 || c.unknown != 4 || len(c.fromAck) != 1 || c.fromAck[0] != 65*ms {
		t.Errorf("conversation stream: got expected %d, missing %d, unknown %d, latencies %v", c.expected, c.missing, c.unknown, c.fromAck)
	}
}

func TestExpandChat(t *testing.T) {
	t.Parallel()
	got := expandChat([]string{"create", "chat", "inbox"})
	want := append(append([]string{"create"}, chatPhases...), "inbox")
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
