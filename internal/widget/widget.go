// Package widget holds the support widget's use-cases: creating widgets,
// their settings (texts, colour, the sites that may embed them, the
// identity secret) and what a visitor's browser may read of them.
package widget

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync/atomic"
	"time"

	"openboards/internal/openboards"
)

// Service performs the widget use-cases of every community.
type Service struct {
	store openboards.Store
	now   func() time.Time
	gen   atomic.Uint64 // counts the changes made through it
}

// Generation counts the settings changes made through s: what was read
// before a change is stale once it moves on.
func (s *Service) Generation() uint64 { return s.gen.Load() }

// NewService returns a Service on store; now is the clock.
func NewService(store openboards.Store, now func() time.Time) *Service {
	return &Service{store: store, now: now}
}

// allDay is the schedule of a new widget: staffed every day, all day,
// until its schedule says otherwise.
var allDay = []openboards.ScheduleTime{{StartAt: "00:00:00", EndAt: "23:59:59"}}

// Create makes a widget named name with the default settings, embeddable
// by origins (any when empty), staffed all day, and a fresh identity
// secret, in one transaction.
func (s *Service) Create(ctx context.Context, cm *openboards.Community, name string, origins []string) (*openboards.WidgetSettings, error) {
	var out *openboards.WidgetSettings
	err := s.store.InTx(ctx, func(tx openboards.Tx) error {
		w := &openboards.WidgetSchedule{CommunityID: cm.ID, TimePeriod: openboards.PeriodEveryDay, Times: allDay}
		if err := tx.PutWidgetSchedule(ctx, w); err != nil {
			return err
		}
		st := openboards.DefaultWidgetSettings(cm.ID, w.WidgetID)
		if name = strings.TrimSpace(name); name != "" {
			st.Name = name
		}
		if origins != nil {
			st.AllowedOrigins = origins
		}
		if err := st.Check(); err != nil {
			return err
		}
		st.IdentitySecret, st.UpdatedAt = newSecret(), s.now().UTC()
		if err := tx.PutWidgetSettings(ctx, st); err != nil {
			return err
		}
		out = st
		return nil
	})
	s.gen.Add(1) // also after a failure: what was read may have changed
	return out, err
}

// Settings returns a widget's settings. A widget made before it had
// settings gets its identity secret on first read.
func (s *Service) Settings(ctx context.Context, cm *openboards.Community, widgetID int64) (*openboards.WidgetSettings, error) {
	st, err := s.store.FindWidgetSettings(ctx, cm.ID, widgetID)
	if err != nil || st.IdentitySecret != "" {
		return st, err
	}
	return s.update(ctx, cm, widgetID, func(*openboards.WidgetSettings) error { return nil })
}

// Update changes a widget's settings with change, which edits them; the
// identity secret stays unless change sets another.
func (s *Service) Update(ctx context.Context, cm *openboards.Community, widgetID int64, change func(*openboards.WidgetSettings) error) (*openboards.WidgetSettings, error) {
	return s.update(ctx, cm, widgetID, change)
}

// RotateSecret gives a widget a new identity secret: identity tokens
// signed with the old one are refused from now on.
func (s *Service) RotateSecret(ctx context.Context, cm *openboards.Community, widgetID int64) (*openboards.WidgetSettings, error) {
	return s.update(ctx, cm, widgetID, func(st *openboards.WidgetSettings) error {
		st.IdentitySecret = newSecret()
		return nil
	})
}

func (s *Service) update(ctx context.Context, cm *openboards.Community, widgetID int64, change func(*openboards.WidgetSettings) error) (*openboards.WidgetSettings, error) {
	var out *openboards.WidgetSettings
	err := s.store.InTx(ctx, func(tx openboards.Tx) error {
		st, err := tx.FindWidgetSettings(ctx, cm.ID, widgetID)
		if err != nil {
			return err
		}
		if err := change(st); err != nil {
			return err
		}
		if err := st.Check(); err != nil {
			return err
		}
		if st.IdentitySecret == "" {
			st.IdentitySecret = newSecret()
		}
		st.UpdatedAt = s.now().UTC()
		if err := tx.PutWidgetSettings(ctx, st); err != nil {
			return err
		}
		out = st
		return nil
	})
	s.gen.Add(1) // also after a failure: what was read may have changed
	return out, err
}

// List returns the community's widgets' settings, by id.
func (s *Service) List(ctx context.Context, cm *openboards.Community) ([]*openboards.WidgetSettings, error) {
	schedules, err := s.store.FindWidgetSchedules(ctx, cm.ID, nil)
	if err != nil {
		return nil, err
	}
	out := make([]*openboards.WidgetSettings, 0, len(schedules))
	for _, w := range schedules {
		st, err := s.store.FindWidgetSettings(ctx, cm.ID, w.WidgetID)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// Online reports whether the widget of st is staffed now, by its schedule
// read in its time zone.
func (s *Service) Online(ctx context.Context, cm *openboards.Community, st *openboards.WidgetSettings) (bool, error) {
	list, err := s.store.FindWidgetSchedules(ctx, cm.ID, &st.WidgetID)
	if err != nil {
		return false, err
	}
	if len(list) == 0 {
		return false, openboards.Errorf(openboards.CodeNotFound, "widget %d not found", st.WidgetID)
	}
	loc, err := openboards.LoadTimeZone("timeZone", st.TimeZone)
	if err != nil {
		return false, err
	}
	return list[0].OpenAt(s.now(), loc), nil
}

// newSecret returns 32 random bytes in hex.
func newSecret() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}
