package api_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// with returns a copy of m with key set to v.
func withKey(m map[string]any, key string, v any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, x := range m {
		out[k] = x
	}
	out[key] = v
	return out
}

// TestTextInput checks that text PostgreSQL cannot store (NUL) and text over
// the caps is refused with a 400 naming the field, storing nothing, on both
// backends, and that text at the caps is stored and read back exactly.
func TestTextInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)
	const nul = "a\x00b"
	ticketBody := func(key string, v any) map[string]any { return withKey(simpleTicket("NUL"), key, v) }
	creator := func(key string, v any) map[string]any {
		return ticketBody("creator", map[string]any{"name": "Ann", "email": "ann@example.com", key: v})
	}
	reply := fmt.Sprintf("/tickets/%d/replies", f.ticket)
	note := fmt.Sprintf("/tickets/%d/notes", f.ticket)
	agent := map[string]any{"email": "anna.agent@example.com"}
	field := func(key string, v any) map[string]any {
		return withKey(map[string]any{"name": "Colour", "type": "dropdown", "possibleValues": []map[string]any{{"order": 1, "value": "Red"}}}, key, v)
	}
	values := make([]map[string]any, 501)
	for i := range values {
		values[i] = map[string]any{"order": i, "value": fmt.Sprint("v", i)}
	}

	b.reject(t, b.client, []rejected{
		{"NULTitle", "POST", "/tickets", ticketBody("title", nul), 400, "title: must not contain a NUL character"},
		{"NULMessage", "POST", "/tickets", ticketBody("message", nul), 400, "message: must not contain a NUL character"},
		{"NULCreatorName", "POST", "/tickets", creator("name", nul), 400, "creator.name: must not contain a NUL character"},
		{"NULCreatorEmail", "POST", "/tickets", creator("email", "a\x00@example.com"), 400, "creator.email: must not contain a NUL character"},
		{"NULCreatorIdentifier", "POST", "/tickets", creator("customIdentifier", nul), 400, "creator.customIdentifier: must not contain"},
		{"NULCreatorPhone", "POST", "/tickets", creator("phoneNumber", nul), 400, "creator.phoneNumber: must not contain"},
		{"NULSourceName", "POST", "/tickets", ticketBody("sourceName", nul), 400, "sourceName: must not contain"},
		{"NULTag", "POST", "/tickets", ticketBody("tags", []string{"ok", nul}), 400, "tags[1]: must not contain"},
		{"NULAttachment", "POST", "/tickets", ticketBody("attachments", []map[string]any{{"url": "https://x.example/a", "name": nul}}), 400, "attachments[0].name: must not contain"},
		{"NULFieldValue", "POST", "/tickets", ticketBody("customFields", []map[string]any{{"id": f.number, "value": nul}}), 400, "customFields[0].value: must not contain"},
		{"NULReply", "POST", reply, map[string]any{"author": agent, "message": nul}, 400, "message: must not contain"},
		{"NULNote", "POST", note, map[string]any{"author": agent, "message": nul}, 400, "message: must not contain"},
		{"NULAuthorEmail", "POST", note, map[string]any{"author": map[string]any{"email": nul}, "message": "m"}, 400, "author.email: must not contain"},
		{"NULCategory", "POST", "/categories", map[string]any{"name": nul}, 400, "name: must not contain"},
		{"NULFieldName", "POST", "/customfields", field("name", nul), 400, "name: must not contain"},
		{"NULPlaceholder", "POST", "/customfields", field("placeholder", nul), 400, "placeholder: must not contain"},
		{"NULPossibleValue", "POST", "/customfields", field("possibleValues", []map[string]any{{"order": 1, "value": nul}}), 400, "possibleValues[0].value: must not contain"},
		{"NULGroup", "POST", "/usergroups", map[string]any{"name": nul}, 400, "name: must not contain"},
		{"NULKey", "POST", "/tickets", ticketBody("ti\x00tle", "x"), 400, "ti\x00tle: must not contain"},

		{"LongEmail", "POST", "/tickets", creator("email", strings.Repeat("a", 243)+"@example.com"), 400, "creator.email: longer than 254"},
		{"LongIdentifier", "POST", "/tickets", creator("customIdentifier", strings.Repeat("i", 201)), 400, "creator.customIdentifier: longer than 200"},
		{"LongPhone", "POST", "/tickets", creator("phoneNumber", strings.Repeat("1", 51)), 400, "creator.phoneNumber: longer than 50"},
		{"LongImage", "POST", "/tickets", creator("image", "https://x.example/"+strings.Repeat("i", 2031)), 400, "creator.image: longer than 2048"},
		{"LongAttachmentURL", "POST", "/tickets", ticketBody("attachments", []map[string]any{{"url": "https://x.example/" + strings.Repeat("u", 2031)}}), 400, "attachments[0].url: longer than 2048"},
		{"LongCC", "POST", "/tickets", ticketBody("cc", []string{strings.Repeat("c", 243) + "@example.com"}), 400, "cc[0]: longer than 254"},
		{"LongPlaceholder", "POST", "/customfields", field("placeholder", strings.Repeat("p", 501)), 400, "placeholder: longer than 500"},
		{"ManyPossibleValues", "POST", "/customfields", field("possibleValues", values), 400, "possibleValues: more than 500 values"},
		{"LongPossibleValue", "POST", "/customfields", field("possibleValues", []map[string]any{{"order": 1, "value": strings.Repeat("v", 201)}}), 400, "possibleValues[0].value: longer than 200"},
		{"LongFieldValue", "POST", "/tickets", ticketBody("customFields", []map[string]any{{"id": f.email, "value": strings.Repeat("e", 2001)}}), 400, "customFields[0].value: value longer than 2000 bytes"},
		{"LongTeammateIDs", "POST", "/usergroups", map[string]any{"name": "g", "teammateIds": []string{nul}}, 400, "teammateIds[0]"},

		{"UnknownMember", "PATCH", fmt.Sprintf("/tickets/%d/status", f.ticket), map[string]any{"stauts": "completed"}, 400, `body: unknown field "stauts"`},
		{"UnknownNested", "POST", "/tickets", creator("emial", "x@example.com"), 400, `creator: unknown field "emial"`},
		{"UnknownInList", "PATCH", fmt.Sprintf("/tickets/%d/customfields", f.ticket), []map[string]any{{"id": f.number, "valeu": "1"}}, 400, `[0]: unknown field "valeu"`},
	})

	t.Run("NULInFilter", func(t *testing.T) {
		b.fail(t, "POST", "/tickets/list", map[string]any{"customFields": []map[string]any{{"key": f.region, "value": nul}}}, 400, "customFields[0].value: must not contain")
		b.fail(t, "POST", fmt.Sprintf("/tickets/%d/log", f.ticket), map[string]any{"action_types": []string{nul}}, 400, "action_types[0]: must not contain")
	})

	t.Run("AtTheCaps", func(t *testing.T) {
		// Incompressible text, so that PostgreSQL's indexes hold it as it is.
		rng := rand.New(rand.NewPCG(1, 2))
		random := func(n int) string {
			var sb strings.Builder
			for sb.Len() < n-4 {
				sb.WriteRune(rune(0x4e00 + rng.IntN(0x5000)))
			}
			for sb.Len() < n {
				sb.WriteByte('x')
			}
			return sb.String()
		}
		area := decode[customFieldView](t, b.ok(t, "POST", "/customfields", map[string]any{"name": "Notes", "type": "textarea",
			"placeholder": random(500)})).ID
		email := random(254-len("@example.com")) + "@example.com"
		ci, phone, value := random(200), strings.Repeat("5", 50), random(2000)
		id := b.createTicket(t, withKey(simpleTicket("At the caps"), "creator", map[string]any{
			"email": email, "customIdentifier": ci, "phoneNumber": phone, "name": random(200),
		}))
		b.ok(t, "PATCH", fmt.Sprintf("/tickets/%d/customfields", id), map[string]any{"id": area, "value": value})
		got := b.ticket(t, id)
		if got.Author == nil || got.Author.Email == nil || *got.Author.Email != email ||
			got.Author.CustomIdentifier == nil || *got.Author.CustomIdentifier != strings.ToLower(ci) {
			t.Errorf("author %+v, want e-mail and custom identifier as sent", got.Author)
		}
		found := false
		for _, v := range got.CustomFields {
			found = found || (v.ID == area && v.Value == value)
		}
		if !found {
			t.Errorf("custom fields %+v, want the 2000-byte value", got.CustomFields)
		}
		// The value is found through the index that holds it.
		if ids := b.listIDs(t, map[string]any{"customFields": []map[string]any{{"key": area, "value": value}}}); len(ids) != 1 || ids[0] != id {
			t.Errorf("filter by the long value: %v, want [%d]", ids, id)
		}
		// The same customer is found again by the long identifiers.
		again := b.createTicket(t, withKey(simpleTicket("Again"), "creator", map[string]any{"customIdentifier": ci}))
		if a := b.ticket(t, again).Author; a == nil || a.ID != got.Author.ID {
			t.Errorf("second ticket's author %+v, want %s", a, got.Author.ID)
		}
	})

	// An object read from the API may be sent back as it is: its read-only
	// members are accepted and ignored.
	t.Run("EchoedObjects", func(t *testing.T) {
		echo := func(get, method, path string) {
			t.Helper()
			var obj map[string]any
			if err := json.Unmarshal(b.ok(t, "GET", get, nil), &obj); err != nil {
				t.Fatal(err)
			}
			b.ok(t, method, path, obj)
		}
		echo(fmt.Sprintf("/categories/%d", f.acme), "PATCH", fmt.Sprintf("/categories/%d", f.acme))
		echo(fmt.Sprintf("/customfields/%d", f.region), "PUT", fmt.Sprintf("/customfields/%d", f.region))
		echo(fmt.Sprintf("/usergroups/%d", f.group), "PATCH", fmt.Sprintf("/usergroups/%d", f.group))

		var schedules []map[string]any
		if err := json.Unmarshal(b.ok(t, "GET", "/widgets/schedules", nil), &schedules); err != nil || len(schedules) == 0 {
			t.Fatalf("schedules %v: %v", schedules, err)
		}
		b.ok(t, "POST", "/widgets/schedules", schedules[0])

		var notes, replies []map[string]any
		if err := json.Unmarshal(b.ok(t, "GET", note, nil), &notes); err != nil || len(notes) == 0 {
			t.Fatalf("notes %v: %v", notes, err)
		}
		b.ok(t, "PATCH", fmt.Sprintf("%s/%d", note, f.note), notes[0])
		if err := json.Unmarshal(b.ok(t, "GET", reply, nil), &replies); err != nil || len(replies) == 0 {
			t.Fatalf("replies %v: %v", replies, err)
		}
		patch := map[string]any{}
		for _, k := range []string{"message", "attachments", "id", "creationTime", "ccEmails", "properties", "author"} {
			patch[k] = replies[0][k]
		}
		b.ok(t, "PATCH", fmt.Sprintf("%s/%d", reply, f.reply), patch)
		// A whole user object names the author of a new reply.
		b.ok(t, "POST", reply, map[string]any{"author": replies[0]["author"], "message": "Echo"})
	})
}
