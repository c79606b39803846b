package httpapi

import (
	"bytes"
	"cmp"
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
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
// UnmarshalJSON is checked only through Shaped. b has already been decoded
// by json.Unmarshal, so it is valid JSON: the walk below only finds the
// extent of each value, and gives up quietly on anything unexpected.
func unknownMember(b []byte, t reflect.Type, path string) error {
	s := shapeOf(t)
	if s == nil {
		return nil
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch s.kind {
	case reflect.Struct:
		if b[0] != '{' {
			return nil
		}
		return eachMember(b, func(key string, raw []byte) error {
			ft, ok := s.fields[key]
			if !ok {
				for name, typ := range s.fields {
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
			return unknownMember(raw, s.elem, join(path, key))
		})
	case reflect.Slice, reflect.Array:
		if b[0] != '[' {
			return nil
		}
		return eachElement(b, func(i int, raw []byte) error {
			return unknownMember(raw, s.elem, path+"["+strconv.Itoa(i)+"]")
		})
	}
	return nil
}

// shape is what unknownMember needs to know of a type, worked out once.
type shape struct {
	kind   reflect.Kind
	fields map[string]reflect.Type // of a struct, by JSON name
	elem   reflect.Type            // of a map, slice or array
}

var shapes sync.Map // reflect.Type → *shape, nil for a type not checked

// shapeOf follows pointers and Shaped types to the type whose members
// unknownMember checks, and returns nil when there is nothing to check:
// a type that decodes itself, or one that holds no objects.
func shapeOf(t reflect.Type) *shape {
	if s, ok := shapes.Load(t); ok {
		return s.(*shape)
	}
	var s *shape
	u := t
	for {
		for u.Kind() == reflect.Pointer {
			u = u.Elem()
		}
		pt := reflect.PointerTo(u)
		if pt.Implements(shapedType) {
			u = reflect.New(u).Interface().(Shaped).JSONShape()
			continue
		}
		if pt.Implements(unmarshalerType) || pt.Implements(textUnmarshalerType) {
			u = nil
		}
		break
	}
	if u != nil {
		switch u.Kind() {
		case reflect.Struct:
			s = &shape{kind: reflect.Struct, fields: structFields(u)}
		case reflect.Map:
			s = &shape{kind: reflect.Map, elem: u.Elem()}
		case reflect.Slice, reflect.Array:
			if u.Elem().Kind() != reflect.Uint8 {
				s = &shape{kind: u.Kind(), elem: u.Elem()}
			}
		}
	}
	shapes.Store(t, s)
	return s
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
	i := skipSpace(b, 1)
	for i < len(b) && b[i] == '"' {
		end := stringEnd(b, i)
		if end < 0 {
			return nil
		}
		key := string(b[i+1 : end-1])
		if bytes.IndexByte(b[i+1:end-1], '\\') >= 0 {
			if json.Unmarshal(b[i:end], &key) != nil {
				return nil
			}
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil
		}
		i = skipSpace(b, i+1)
		vend := valueEnd(b, i)
		if vend < 0 {
			return nil
		}
		if err := fn(key, b[i:vend]); err != nil {
			return err
		}
		i = skipSpace(b, vend)
		if i >= len(b) || b[i] != ',' {
			return nil
		}
		i = skipSpace(b, i+1)
	}
	return nil
}

// eachElement calls fn with each element of the JSON array b, in order.
func eachElement(b []byte, fn func(i int, raw []byte) error) error {
	i := skipSpace(b, 1)
	for n := 0; i < len(b) && b[i] != ']'; n++ {
		end := valueEnd(b, i)
		if end < 0 {
			return nil
		}
		if err := fn(n, b[i:end]); err != nil {
			return err
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ',' {
			return nil
		}
		i = skipSpace(b, i+1)
	}
	return nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the JSON string starting at
// b[i], or -1.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// valueEnd returns the index just past the JSON value starting at b[i],
// or -1.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = stringEnd(b, j)
				if j < 0 {
					return -1
				}
				j--
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[j])) {
		j++
	}
	return j
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
