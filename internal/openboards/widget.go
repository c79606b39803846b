package openboards

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // every server knows every time zone
)

// WidgetSchedule says when a support widget is staffed.
type WidgetSchedule struct {
	WidgetID    int64
	CommunityID int64
	TimePeriod  int
	Times       []ScheduleTime
	CustomTimes *CustomTimes
}

// Widget time periods.
const (
	PeriodEveryDay = 1
	PeriodWeekdays = 2
	PeriodCustom   = 3
)

// ScheduleTime is one staffed range of a day, "hh:mm:ss" to "hh:mm:ss".
type ScheduleTime struct {
	StartAt string `json:"startAt"`
	EndAt   string `json:"endAt"`
}

// CustomTimes holds a per-weekday schedule.
type CustomTimes struct {
	Monday    []ScheduleTime `json:"monday"`
	Tuesday   []ScheduleTime `json:"tuesday"`
	Wednesday []ScheduleTime `json:"wednesday"`
	Thursday  []ScheduleTime `json:"thursday"`
	Friday    []ScheduleTime `json:"friday"`
	Saturday  []ScheduleTime `json:"saturday"`
	Sunday    []ScheduleTime `json:"sunday"`
}

// Days returns the weekday ranges by lower-case English day name.
func (c *CustomTimes) Days() []struct {
	Name  string
	Times []ScheduleTime
} {
	return []struct {
		Name  string
		Times []ScheduleTime
	}{
		{"monday", c.Monday}, {"tuesday", c.Tuesday}, {"wednesday", c.Wednesday},
		{"thursday", c.Thursday}, {"friday", c.Friday}, {"saturday", c.Saturday}, {"sunday", c.Sunday},
	}
}

// WidgetScheduleReader reads the support widgets' schedules.
type WidgetScheduleReader interface {
	FindWidgetSchedules(ctx context.Context, communityID int64, widgetID *int64) ([]*WidgetSchedule, error)
}

// WidgetScheduleStore writes widget schedules.
type WidgetScheduleStore interface {
	WidgetScheduleReader
	// PutWidgetSchedule creates the widget when WidgetID is 0 (setting it)
	// and otherwise replaces the schedule of an existing widget.
	PutWidgetSchedule(ctx context.Context, s *WidgetSchedule) error
	DeleteWidgetSchedule(ctx context.Context, communityID, widgetID int64) error
}

// WidgetSettings are how a support widget looks and whom it serves.
type WidgetSettings struct {
	WidgetID    int64
	CommunityID int64
	// Name heads the widget's panel; Greeting opens a new chat; Color is
	// its accent ("#rrggbb"); OfflineText heads the form shown outside the
	// schedule.
	Name, Greeting, Color, OfflineText string
	// AskName and AskEmail: what the panel asks a visitor before a chat.
	AskName, AskEmail bool
	// AllowedOrigins are the sites ("https://shop.example.com") that may
	// embed the widget; empty allows any.
	AllowedOrigins []string
	// IdentitySecret signs visitors' identities (identityToken);
	// RequireVerification treats every visitor without a valid one as
	// anonymous.
	IdentitySecret      string
	RequireVerification bool
	// TimeZone is the IANA time zone the schedule is read in.
	TimeZone  string
	UpdatedAt time.Time
}

// Limits of widget settings.
const (
	MaxWidgetNameLen   = 100
	MaxWidgetTextLen   = 1000
	MaxWidgetOrigins   = 20
	maxWidgetOriginLen = 255
)

// DefaultWidgetSettings are the settings of a widget that was never
// configured (its identity secret is the caller's to make).
func DefaultWidgetSettings(communityID, widgetID int64) *WidgetSettings {
	return &WidgetSettings{
		WidgetID: widgetID, CommunityID: communityID, Name: "Support", Greeting: "Hi! How can we help?",
		Color: "#0b57d0", OfflineText: "We are away right now. Leave us a message and we will answer by e-mail.",
		AskName: true, AskEmail: true, AllowedOrigins: []string{}, TimeZone: "UTC",
	}
}

// Check validates the settings in place, trimming the texts and
// normalising the origins, with errors that name the field.
func (s *WidgetSettings) Check() error {
	s.Name, s.Greeting, s.OfflineText = strings.TrimSpace(s.Name), strings.TrimSpace(s.Greeting), strings.TrimSpace(s.OfflineText)
	if s.Name == "" {
		return Errorf(CodeInvalid, "name: required")
	}
	for _, f := range []struct {
		field, value string
		max          int
	}{{"name", s.Name, MaxWidgetNameLen}, {"greeting", s.Greeting, MaxWidgetTextLen}, {"offlineText", s.OfflineText, MaxWidgetTextLen}} {
		if err := CheckLen(f.field, f.value, f.max); err != nil {
			return err
		}
		if err := CheckText(f.field, f.value); err != nil {
			return err
		}
	}
	if s.TimeZone = strings.TrimSpace(s.TimeZone); s.TimeZone == "" {
		s.TimeZone = "UTC"
	}
	if _, err := LoadTimeZone("timeZone", s.TimeZone); err != nil {
		return err
	}
	s.Color = strings.ToLower(strings.TrimSpace(s.Color))
	if !colorRE.MatchString(s.Color) {
		return Errorf(CodeInvalid, "color: %q is not a colour like #0b57d0", s.Color)
	}
	if len(s.AllowedOrigins) > MaxWidgetOrigins {
		return Errorf(CodeInvalid, "allowedOrigins: at most %d", MaxWidgetOrigins)
	}
	seen := map[string]bool{}
	origins := []string{}
	for i, o := range s.AllowedOrigins {
		n, err := NormalizeOrigin(fmt.Sprintf("allowedOrigins[%d]", i), o)
		if err != nil {
			return err
		}
		if !seen[n] {
			seen[n] = true
			origins = append(origins, n)
		}
	}
	s.AllowedOrigins = origins
	return nil
}

var colorRE = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// NormalizeOrigin returns the origin s names ("https://shop.example.com",
// "http://localhost:8080"): a scheme, a host and an optional port, in lower
// case, without path, query or trailing slash.
func NormalizeOrigin(field, s string) (string, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "/")
	if len(s) > maxWidgetOriginLen {
		return "", Errorf(CodeInvalid, "%s: at most %d characters", field, maxWidgetOriginLen)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", Errorf(CodeInvalid, "%s: %q is not an origin like https://shop.example.com", field, s)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// AllowsOrigin reports whether a page of origin may use the widget: any
// when no origins are set.
func (s *WidgetSettings) AllowsOrigin(origin string) bool {
	if len(s.AllowedOrigins) == 0 {
		return true
	}
	n, err := NormalizeOrigin("origin", origin)
	return err == nil && slices.Contains(s.AllowedOrigins, n)
}

// LoadTimeZone returns the IANA time zone name names ("Europe/Oslo",
// "UTC"); the zone database is built in, so every server knows them all.
func LoadTimeZone(field, name string) (*time.Location, error) {
	if name == "" || len(name) > 64 || strings.ContainsAny(name, "\x00\\") || strings.Contains(name, "..") {
		return nil, Errorf(CodeInvalid, "%s: %q is not a time zone like Europe/Oslo", field, name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		return nil, Errorf(CodeInvalid, "%s: %q is not a time zone like Europe/Oslo", field, name)
	}
	return loc, nil
}

// OpenAt reports whether the widget is staffed at t, read in loc: t's
// weekday and time of day fall in one of its ranges (ends included).
func (s *WidgetSchedule) OpenAt(t time.Time, loc *time.Location) bool {
	local := t.In(loc)
	var ranges []ScheduleTime
	switch s.TimePeriod {
	case PeriodEveryDay:
		ranges = s.Times
	case PeriodWeekdays:
		if wd := local.Weekday(); wd != time.Saturday && wd != time.Sunday {
			ranges = s.Times
		}
	case PeriodCustom:
		if s.CustomTimes != nil {
			ranges = s.CustomTimes.Days()[(int(local.Weekday())+6)%7].Times
		}
	}
	now := local.Format("15:04:05")
	for _, r := range ranges {
		if r.StartAt <= now && now <= r.EndAt {
			return true
		}
	}
	return false
}

// WidgetSettingsReader reads widgets' settings.
type WidgetSettingsReader interface {
	// FindWidgetSettings returns a widget's settings, the defaults (without
	// an identity secret) when it has none stored; CodeNotFound when the
	// community has no such widget.
	FindWidgetSettings(ctx context.Context, communityID, widgetID int64) (*WidgetSettings, error)
}

// WidgetSettingsStore writes widgets' settings.
type WidgetSettingsStore interface {
	WidgetSettingsReader
	// PutWidgetSettings stores a widget's settings; CodeNotFound when the
	// community has no such widget.
	PutWidgetSettings(ctx context.Context, s *WidgetSettings) error
}

// VisitorToken lets a website visitor's browser follow the conversation it
// opened through a widget, and nothing else. Only a hash of the token is
// stored.
type VisitorToken struct {
	Hash        string
	CommunityID int64
	WidgetID    int64
	TicketID    int64
	CreatedAt   time.Time
}

// VisitorTokenReader finds visitor tokens.
type VisitorTokenReader interface {
	// FindVisitorToken returns the token of hash; CodeNotFound when none.
	FindVisitorToken(ctx context.Context, hash string) (*VisitorToken, error)
}

// VisitorTokenStore stores visitor tokens.
type VisitorTokenStore interface {
	VisitorTokenReader
	CreateVisitorToken(ctx context.Context, t *VisitorToken) error
}
