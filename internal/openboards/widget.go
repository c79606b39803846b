package openboards

import "context"

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
