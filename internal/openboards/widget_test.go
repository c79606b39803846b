package openboards_test

import (
	"testing"
	"time"

	"openboards/internal/openboards"
)

func TestScheduleOpenAt(t *testing.T) {
	oslo, err := openboards.LoadTimeZone("timeZone", "Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	nine := []openboards.ScheduleTime{{StartAt: "09:00:00", EndAt: "17:00:00"}}
	daily := &openboards.WidgetSchedule{TimePeriod: openboards.PeriodEveryDay, Times: nine}
	weekdays := &openboards.WidgetSchedule{TimePeriod: openboards.PeriodWeekdays, Times: nine}
	custom := &openboards.WidgetSchedule{TimePeriod: openboards.PeriodCustom, CustomTimes: &openboards.CustomTimes{
		Monday: []openboards.ScheduleTime{{StartAt: "10:00:00", EndAt: "12:00:00"}}, Sunday: []openboards.ScheduleTime{{StartAt: "00:00:00", EndAt: "23:59:59"}}}}
	// 2026-12-07 is a Monday; Oslo is UTC+1 in December.
	at := func(day, hh, mm, ss int) time.Time { return time.Date(2026, 12, day, hh, mm, ss, 0, time.UTC) }
	for _, c := range []struct {
		name string
		s    *openboards.WidgetSchedule
		t    time.Time
		loc  *time.Location
		want bool
	}{
		{"daily at 09:00 UTC", daily, at(7, 9, 0, 0), time.UTC, true},
		{"daily at 17:00:00 UTC, the end", daily, at(7, 17, 0, 0), time.UTC, true},
		{"daily at 17:00:01 UTC", daily, at(7, 17, 0, 1), time.UTC, false},
		{"daily at 08:30 UTC, 09:30 in Oslo", daily, at(7, 8, 30, 0), oslo, true},
		{"daily at 16:30 UTC, 17:30 in Oslo", daily, at(7, 16, 30, 0), oslo, false},
		{"weekdays on Monday", weekdays, at(7, 12, 0, 0), time.UTC, true},
		{"weekdays on Saturday", weekdays, at(5, 12, 0, 0), time.UTC, false},
		{"weekdays late Friday UTC, Saturday in Oslo", weekdays, at(4, 23, 30, 0), oslo, false},
		{"custom Monday 11:00", custom, at(7, 11, 0, 0), time.UTC, true},
		{"custom Monday 13:00", custom, at(7, 13, 0, 0), time.UTC, false},
		{"custom Tuesday", custom, at(8, 11, 0, 0), time.UTC, false},
		{"custom Sunday 23:59:59", custom, at(6, 23, 59, 59), time.UTC, true},
		{"custom without days", &openboards.WidgetSchedule{TimePeriod: openboards.PeriodCustom}, at(7, 11, 0, 0), time.UTC, false},
	} {
		if got := c.s.OpenAt(c.t, c.loc); got != c.want {
			t.Errorf("%s: open %v, want %v", c.name, got, c.want)
		}
	}
	for _, bad := range []string{"", "Local", "Mars/Olympus", "../../etc/passwd", "Europe/Oslo\x00"} {
		if _, err := openboards.LoadTimeZone("timeZone", bad); openboards.ErrorCode(err) != openboards.CodeInvalid {
			t.Errorf("time zone %q: %v", bad, err)
		}
	}
}
