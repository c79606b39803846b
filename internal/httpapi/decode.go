package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"

	"openboards/internal/openboards"
)

// Decode reads a JSON body into v. An empty body leaves v as it is unless
// required. Errors are CodeInvalid and name the offending field, except a
// body over the request's limit, which stays an *http.MaxBytesError.
// Members v does not know are refused (see Unmarshal).
func Decode(r *http.Request, v any, required bool) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return openboards.Errorf(openboards.CodeInvalid, "body: could not be read")
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		if required {
			return openboards.Errorf(openboards.CodeInvalid, "body: a JSON body is required")
		}
		return nil
	}
	return Unmarshal(b, v)
}

// Unmarshal decodes JSON, turning decoder errors into CodeInvalid errors
// that name the field ("title: must be a string, not number"). It refuses
// a body that is not UTF-8, a string holding a NUL character (which
// PostgreSQL cannot store), and an object member that v's type does not
// declare ("body: unknown field \"stauts\""), so that a misspelt key is
// not silently dropped. Keys are matched without regard to case, as
// encoding/json matches them; a request type declares the read-only members
// of its resource as Ignored to accept objects sent back as they were read.
func Unmarshal(b []byte, v any) error {
	if err := checkText(b); err != nil {
		return err
	}
	err := json.Unmarshal(b, v)
	if err == nil {
		return unknownMember(b, reflect.TypeOf(v), "")
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var fe *FieldError
	switch {
	case errors.As(err, &fe):
		return openboards.Errorf(openboards.CodeInvalid, "%s", fe.Error())
	case errors.As(err, &se):
		return openboards.Errorf(openboards.CodeInvalid, "body: invalid JSON at byte %d: %s", se.Offset, se.Error())
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return openboards.Errorf(openboards.CodeInvalid, "%s: must be %s, not %s", field, typeName(te.Type.String()), te.Value)
	}
	return openboards.Errorf(openboards.CodeInvalid, "body: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// FieldError is a decoding error that already names its field; an
// UnmarshalJSON method returns one to have Unmarshal show Msg as it is.
type FieldError struct{ Msg string }

func (e *FieldError) Error() string { return e.Msg }

func typeName(t string) string {
	switch {
	case strings.HasPrefix(t, "[]") || strings.HasPrefix(t, "*[]"):
		return "an array"
	case strings.Contains(t, "int"):
		return "an integer"
	case strings.Contains(t, "float"):
		return "a number"
	case t == "string" || t == "*string":
		return "a string"
	case t == "bool" || t == "*bool":
		return "true or false"
	}
	return "an object"
}
