package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// FuzzWalk checks the byte walk of eachMember and eachElement against
// encoding/json's own tokenizer on every valid JSON object and array.
func FuzzWalk(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `{"a": 1, "b": [1, {"c": "]}"}], "d\"": null}`,
		`[1, "x", {"y": [true, false]}, [], -0.5e+2]`,
		"{ \"k\\u00e9y\" :\n\t\"v\\\\\" }", `{"a":{"b":{"c":{}}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) || !utf8.Valid(b) { // Unmarshal refuses other UTF-8 first
			return
		}
		b = bytes.TrimSpace(b)
		type item struct {
			key string
			raw string
		}
		var got []item
		switch b[0] {
		case '{':
			eachMember(b, func(key string, raw []byte) error {
				got = append(got, item{key, string(raw)})
				return nil
			})
		case '[':
			eachElement(b, func(_ int, raw []byte) error {
				got = append(got, item{"", string(raw)})
				return nil
			})
		default:
			return
		}
		var want []item
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.Token()
		for dec.More() {
			var key string
			if b[0] == '{' {
				tok, _ := dec.Token()
				key = tok.(string)
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				t.Fatal(err)
			}
			want = append(want, item{key, string(raw)})
		}
		// json.RawMessage keeps a value's bytes as sent, so both must agree
		// byte for byte.
		if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("walk of %q:\n got %q\nwant %q", b, got, want)
		}
	})
}

func BenchmarkUnmarshal(b *testing.B) {
	type creator struct {
		Email string `json:"email"`
		Name  string `json:"name"`
	}
	type field struct {
		ID    int    `json:"id"`
		Value string `json:"value"`
	}
	var v struct {
		Title        string   `json:"title"`
		Message      string   `json:"message"`
		Creator      creator  `json:"creator"`
		Tags         []string `json:"tags"`
		CustomFields []field  `json:"customFields"`
	}
	body := []byte(`{"title": "Order 1234 never arrived", "message": "<p>Hello, my parcel is late.</p>",
		"creator": {"email": "customer@example.com", "name": "A Customer"}, "tags": ["shipping", "late"],
		"customFields": [{"id": 1, "value": "gold"}, {"id": 2, "value": "EU"}]}`)
	b.ReportAllocs()
	for b.Loop() {
		if err := Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
	}
}
