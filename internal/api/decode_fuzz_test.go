package api

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"openboards/internal/httpapi"
	"openboards/internal/openboards"
)

// requestTypes are the named request shapes of the API; FuzzDecode routes
// each input to one of them.
var requestTypes = []func() any{
	func() any { return new(ticketCreateRequest) },
	func() any { return new(ticketListRequest) },
	func() any { return new([]fieldValueRequest) },
	func() any { return new(fieldValueRequest) },
	func() any { return new(assigneeRequest) },
	func() any { return new(replyCreateRequest) },
	func() any { return new(replyUpdateRequest) },
	func() any { return new(noteRequest) },
	func() any { return new(categoryRequest) },
	func() any { return new(customFieldRequest) },
	func() any { return new(userGroupRequest) },
	func() any { return new(widgetScheduleRequest) },
	func() any { return new(webhookRequest) },
	func() any { return new(userRefRequest) },
	func() any { return new([]mentionRef) },
	func() any { return new([]string) },
}

// FuzzDecode decodes arbitrary bodies into the API's request types. A body
// is either refused with an invalid-input error that names a field or the
// body, or decoded into a value that encodes to JSON which decodes again
// to the same value (a fixed point after one round).
func FuzzDecode(f *testing.F) {
	f.Add(uint8(0), []byte(`{"title":"New car price list.","creator":{"name":"Bill Smith","email":"bill_smith@gmail.com"},"customFields":[{"id":1,"value":"Oslo"}],"tags":["VIP"]}`))
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		newV := requestTypes[int(route)%len(requestTypes)]
		v := newV()
		err := httpapi.Unmarshal(body, v)
		if err != nil {
			msg := openboards.ErrorMessage(err)
			if openboards.ErrorCode(err) != openboards.CodeInvalid || !strings.Contains(msg, ": ") || strings.HasPrefix(msg, ": ") {
				t.Fatalf("Unmarshal(%q) into %T: %v; want an invalid-input error naming a field", body, v, err)
			}
			return
		}
		first, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%T decoded from %q does not encode: %v", v, body, err)
		}
		again := newV()
		if err := httpapi.Unmarshal(first, again); err != nil {
			t.Fatalf("%T re-encoded as %s does not decode: %v", v, first, err)
		}
		second, err := json.Marshal(again)
		if err != nil || !bytes.Equal(first, second) {
			t.Fatalf("%T does not round-trip:\nfirst  %s\nsecond %s (%v)", v, first, second, err)
		}
	})
}
