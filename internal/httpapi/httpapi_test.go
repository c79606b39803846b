package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"openboards/internal/httpapi"
	"openboards/internal/openboards"
)

func TestErrorStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want int
	}{
		{openboards.Errorf(openboards.CodeInvalid, "x"), 400},
		{openboards.Errorf(openboards.CodeUnauthorized, "x"), 401},
		{openboards.Errorf(openboards.CodeForbidden, "x"), 403},
		{openboards.Errorf(openboards.CodeNotFound, "x"), 404},
		{openboards.Errorf(openboards.CodeConflict, "x"), 409},
		{openboards.Errorf(openboards.CodeTooLarge, "x"), 413},
		{openboards.Errorf(openboards.CodeUnavailable, "x"), 503},
		{fmt.Errorf("wrapped: %w", openboards.Errorf(openboards.CodeNotFound, "x")), 404},
		{errors.New("disk on fire"), 500},
		{&httpapi.MethodError{Method: "PUT", Path: "/x", Allow: []string{"GET"}}, 405},
		{&http.MaxBytesError{Limit: 10}, 413},
		{fmt.Errorf("read: %w", context.Canceled), httpapi.StatusClientClosed},
	} {
		if got := httpapi.ErrorStatus(tc.err); got != tc.want {
			t.Errorf("ErrorStatus(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestWriteError(t *testing.T) {
	t.Parallel()
	var logged strings.Builder
	log := slog.New(slog.NewTextHandler(&logged, nil))
	r := httptest.NewRequest("GET", "/tickets/1", nil)

	t.Run("Internal", func(t *testing.T) {
		w := httptest.NewRecorder()
		httpapi.WriteError(w, r, log, errors.New("secret SQL text"))
		if got, want := w.Body.String(), `{"data":null,"errorCode":500,"errorText":"internal error"}`+"\n"; got != want {
			t.Errorf("body %q, want %q", got, want)
		}
		if !strings.Contains(logged.String(), "secret SQL text") {
			t.Errorf("log %q, want the cause", logged.String())
		}
	})
	t.Run("MethodNotAllowed", func(t *testing.T) {
		w := httptest.NewRecorder()
		httpapi.WriteError(w, r, log, &httpapi.MethodError{Method: "PUT", Path: "/tickets/1", Allow: []string{"GET", "PATCH"}})
		if w.Code != 405 || w.Header().Get("Allow") != "GET, PATCH" {
			t.Errorf("status %d, Allow %q", w.Code, w.Header().Get("Allow"))
		}
	})
}

type request struct {
	Title   string          `json:"title"`
	Take    int             `json:"take"`
	ID      httpapi.Ignored `json:"id"`
	Creator *struct {
		Email string `json:"email"`
	} `json:"creator"`
	Items []struct {
		Key   int            `json:"key"`
		Extra map[string]any `json:"extra"`
	} `json:"items"`
	Wrapped wrapped         `json:"wrapped"`
	Raw     json.RawMessage `json:"raw"`
}

// wrapped decodes itself from an object with the members of its shape.
type wrapped struct{ Name string }

func (w *wrapped) UnmarshalJSON(b []byte) error {
	var v struct {
		Name string `json:"name"`
	}
	err := json.Unmarshal(b, &v)
	w.Name = v.Name
	return err
}

func (*wrapped) JSONShape() reflect.Type {
	return reflect.TypeFor[struct {
		Name string `json:"name"`
	}]()
}

func TestUnmarshal(t *testing.T) {
	t.Parallel()
	var v request
	for body, want := range map[string]string{
		`{"title": 5}`:       "title: must be a string, not number",
		`{"take": "x"}`:      "take: must be an integer, not string",
		`[1]`:                "body: must be an object, not array",
		`{"title": "a", }`:   "body: invalid JSON at byte",
		`{"title": "fine"} `: "",

		// Members the type does not declare are named, at any depth; keys
		// match without regard to case; Ignored and open members take
		// anything.
		`{"stauts": 1}`:                             `body: unknown field "stauts"`,
		`{"TITLE": "a", "Id": [1, {"x": 2}]}`:       "",
		`{"creator": {"emial": "a@b.c"}}`:           `creator: unknown field "emial"`,
		`{"Creator": {"Email": "a@b.c"}}`:           "",
		`{"items": [{"key": 1}, {"kye": 2}]}`:       `items[1]: unknown field "kye"`,
		`{"items": [{"extra": {"any": {"x": 1}}}]}`: "",
		`{"wrapped": {"name": "n"}}`:                "",
		`{"wrapped": {"nmae": "n"}}`:                `wrapped: unknown field "nmae"`,
		`{"raw": {"whatever": 1}}`:                  "",
		`{"creator": null, "items": null}`:          "",

		// Keys are matched as decoded, and a value's extent is found
		// whatever its strings hold.
		`{"tit\u006ce": "a"}`: "",
		`{"x\"y": 1}`:         `body: unknown field "x\"y"`,
		"{ \"items\" :\n[ {\"key\":1} ,\t{ \"kye\" : 2 } ] }": `items[1]: unknown field "kye"`,
		`{"title": "a]}{\"", "stauts": 1}`:                    `body: unknown field "stauts"`,
		`{"items": [{"extra": {"a": "}\\"}}, {"kye": [2]}]}`:  `items[1]: unknown field "kye"`,
		`{"items": [{"key": -15}, {"key": 2, "x": true}]}`:    `items[1]: unknown field "x"`,

		// Text PostgreSQL cannot store is refused, naming the member.
		`{"title": "a\u0000b"}`:                                       "title: must not contain a NUL character",
		`{"creator": {"email": "\u0000"}}`:                            "creator.email: must not contain a NUL character",
		`{"items": [{"key": 1}, {"extra": {"k": ["ok", "\u0000"]}}]}`: "items[1].extra.k[1]: must not contain a NUL character",
		`{"id": "\u0000"}`:                                            "id: must not contain a NUL character",
		`"\u0000"`:                                                    "body: must not contain a NUL character",
		`{"title": "\\u0000 is only a backslash"}`:                    "",
		"{\"title\": \"caf\xe9\"}":                                    "body: not valid UTF-8 at byte 14",
	} {
		err := httpapi.Unmarshal([]byte(body), &v)
		switch {
		case want == "" && err != nil:
			t.Errorf("Unmarshal(%s): %v", body, err)
		case want != "" && (openboards.ErrorCode(err) != openboards.CodeInvalid || !strings.HasPrefix(openboards.ErrorMessage(err), want)):
			t.Errorf("Unmarshal(%s): %v, want CodeInvalid %q", body, err, want)
		}
	}
}

func TestPage(t *testing.T) {
	t.Parallel()
	skip, take, err := httpapi.Page(httptest.NewRequest("GET", "/x?SKIP=10&Take=5", nil))
	if err != nil || skip != 10 || take != 5 {
		t.Fatalf("got %d, %d, %v, want 10, 5", skip, take, err)
	}
	if _, _, err := httpapi.Page(httptest.NewRequest("GET", "/x?take=many", nil)); openboards.ErrorCode(err) != openboards.CodeInvalid {
		t.Fatalf("take=many: %v, want CodeInvalid", err)
	}
}

func TestFormatTime(t *testing.T) {
	t.Parallel()
	tm := time.Date(2024, 5, 6, 7, 8, 9, 120000000, time.FixedZone("", 2*3600))
	if got, want := httpapi.FormatTime(tm), "2024-05-06T05:08:09.12+00:00"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

type authFunc func(ctx context.Context, bearer string) (*openboards.Community, error)

func (f authFunc) Authenticate(ctx context.Context, bearer string) (*openboards.Community, error) {
	return f(ctx, bearer)
}

func TestBearer(t *testing.T) {
	t.Parallel()
	a := authFunc(func(_ context.Context, bearer string) (*openboards.Community, error) {
		if bearer != "good" {
			return nil, openboards.Errorf(openboards.CodeUnauthorized, "bad token")
		}
		return &openboards.Community{ID: 7}, nil
	})
	for header, want := range map[string]int64{"Bearer good": 7, "bearer  good ": 7, "": 0, "Basic good": 0, "Bearer": 0, "Bearer bad": 0} {
		r := httptest.NewRequest("GET", "/", nil)
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		cm, err := httpapi.Bearer(r, a)
		switch {
		case want != 0 && (err != nil || cm.ID != want):
			t.Errorf("%q: %v, %v, want community %d", header, cm, err, want)
		case want == 0 && openboards.ErrorCode(err) != openboards.CodeUnauthorized:
			t.Errorf("%q: %v, want CodeUnauthorized", header, err)
		}
	}
}

func TestMuxPatterns(t *testing.T) {
	t.Parallel()
	m := httpapi.NewMux()
	m.HandleFunc("GET /a", func(http.ResponseWriter, *http.Request) {})
	m.Handle("POST /b/{id}", http.NotFoundHandler())
	if got, want := m.Patterns(), []string{"GET /a", "POST /b/{id}"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// The routes are really registered.
	if _, pattern := m.Handler(httptest.NewRequest("POST", "/b/1", nil)); pattern != "POST /b/{id}" {
		t.Fatalf("POST /b/1 matched %q", pattern)
	}
}
