package httpapi

import (
	"bytes"
	"cmp"
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"openboards/internal/openboards"
)

// Ignored is a request member that is part of a resource's shape but not
// settable, such as an id or a creation time: it accepts any JSON value
// and keeps nothing, so a client may send back an object as it read it.
type Ignored struct{}

// UnmarshalJSON accepts and drops any value.
func (*Ignored) UnmarshalJSON([]byte) error { return nil }

// MarshalJSON writes null: an ignored member has no value.
func (Ignored) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

// Shaped is implemented by request types that decode themselves
// (UnmarshalJSON) from an object whose members are those of another type:
// Unmarshal checks the members of such an object against JSONShape.
type Shaped interface {
	JSONShape() reflect.Type
}

var (
	shapedType          = reflect.TypeFor[Shaped]()
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// checkText refuses a body that is not UTF-8 and a string (key or value)
// holding a NUL character, naming the member by the keys as sent. A body
// that is not valid JSON passes, for json.Unmarshal to describe.
func checkText(b []byte) error {
	if !utf8.Valid(b) {
		n := 0
		for n < len(b) {
			r, size := utf8.DecodeRune(b[n:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			n += size
		}
		return openboards.Errorf(openboards.CodeInvalid, "body: not valid UTF-8 at byte %d", n)
	}
	if !bytes.Contains(b, []byte(`\u0000`)) {
		return nil // the only way a valid JSON string holds a NUL
	}
	type frame struct {
		object  bool
		wantKey bool
		key     string
		index   int
	}
	var stack []*frame
	path := func() string {
		var sb strings.Builder
		for _, f := range stack {
			switch {
			case f.object && !f.wantKey:
				if sb.Len() > 0 {
					sb.WriteByte('.')
				}
				sb.WriteString(f.key)
			case !f.object:
				sb.WriteString("[" + strconv.Itoa(f.index) + "]")
			}
		}
		if sb.Len() == 0 {
			return "body"
		}
		return sb.String()
	}
	done := func() { // a value of the innermost container ended
		if len(stack) == 0 {
			return
		}
		if f := stack[len(stack)-1]; f.object {
			f.wantKey = true
		} else {
			f.index++
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				stack = append(stack, &frame{object: t == '{', wantKey: t == '{'})
			default:
				stack = stack[:len(stack)-1]
				done()
			}
		case string:
			if len(stack) > 0 {
				if f := stack[len(stack)-1]; f.object && f.wantKey {
					f.key, f.wantKey = t, false
					if strings.IndexByte(t, 0) >= 0 {
						return openboards.CheckText(path(), t)
					}
					continue
				}
			}
			if strings.IndexByte(t, 0) >= 0 {
				return openboards.CheckText(path(), t)
			}
			done()
		default:
			done()
		}
	}
}

// unknownMember reports the first object member in b that t does not
// declare, naming the object by path ("body" at the top). It follows
// pointers, slices, arrays, maps and struct fields; a type with its own
// UnmarshalJSON is checked only through Shaped.
func unknownMember(b []byte, t reflect.Type, path string) error {
	for {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		pt := reflect.PointerTo(t)
		if pt.Implements(shapedType) {
			t = reflect.New(t).Interface().(Shaped).JSONShape()
			continue
		}
		if pt.Implements(unmarshalerType) || pt.Implements(textUnmarshalerType) {
			return nil
		}
		break
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if b[0] != '{' {
			return nil
		}
		fields := structFields(t)
		return eachMember(b, func(key string, raw []byte) error {
			ft, ok := fields[key]
			if !ok {
				for name, typ := range fields {
					if strings.EqualFold(name, key) {
						ft, ok = typ, true
						break
					}
				}
			}
			if !ok {
				return openboards.Errorf(openboards.CodeInvalid, "%s: unknown field %q", cmp.Or(path, "body"), key)
			}
			return unknownMember(raw, ft, join(path, key))
		})
	case reflect.Map:
		if b[0] != '{' {
			return nil
		}
		return eachMember(b, func(key string, raw []byte) error {
			return unknownMember(raw, t.Elem(), join(path, key))
		})
	case reflect.Slice, reflect.Array:
		if b[0] != '[' || t.Elem().Kind() == reflect.Uint8 {
			return nil
		}
		var items []json.RawMessage
		if err := json.Unmarshal(b, &items); err != nil {
			return nil
		}
		for i, raw := range items {
			if err := unknownMember(raw, t.Elem(), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	}
	return nil
}

// structFields maps the JSON names of t's fields, those of embedded
// structs included, to their types, as encoding/json decodes them.
func structFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range structFields(ft) {
					if _, ok := out[k]; !ok {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// eachMember calls fn with each member of the JSON object b, in order.
func eachMember(b []byte, fn func(key string, raw []byte) error) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil
		}
		if err := fn(key, raw); err != nil {
			return err
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
