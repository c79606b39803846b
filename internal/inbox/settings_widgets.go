package inbox

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"openboards/internal/community"
	"openboards/internal/openboards"
)

// Widget schedules: when each support widget is staffed, every day, on
// weekdays or per weekday, in ranges of start and end times. Each list of
// ranges is a fixed number of rows of time inputs; empty rows are skipped.

// setupTimeRows is how many rows a list of ranges gets at least.
const setupTimeRows = 3

type setupWidgetsData struct {
	Action  string
	CSRF    string
	Widgets []setupWidgetView
	New     setupWidgetForm
	Open    bool // the add form failed
}

type setupWidgetView struct {
	ID           int64
	Summary      []setupWidgetLine
	Form         setupWidgetForm
	Open         bool
	Action       string
	Settings     setupWidgetSettings
	SettingsOpen bool
}

// setupWidgetSettings is a widget's settings form.
type setupWidgetSettings struct {
	Name, Greeting, Color, OfflineText string
	AskName, AskEmail, Require         bool
	Origins                            string // one per line
	TimeZone                           string
	Secret                             string
	Snippet                            string
}

type setupWidgetLine struct{ Label, Times string }

type setupWidgetForm struct {
	Prefix  string // makes the form's element ids unique on the page
	Action  string
	CSRF    string
	Submit  string
	Custom  bool // the custom period is chosen: the weekdays show open
	Periods []setupOption
	Times   []setupTimeRow
	Days    []setupWidgetDay
}

type setupWidgetDay struct {
	Name, Label string
	Rows        []setupTimeRow
}

type setupTimeRow struct {
	N          int    // 1-based
	ID         string // the prefix of its inputs' element ids
	Name       string // the prefix of its inputs' names: "" or a weekday and "-"
	Start, End string
}

// name gives the form's rows their element ids and input names.
func (f *setupWidgetForm) name() {
	set := func(rows []setupTimeRow, day string) {
		for i := range rows {
			rows[i].ID = f.Prefix + "-" + strconv.Itoa(rows[i].N)
			if day != "" {
				rows[i].ID = f.Prefix + "-" + day + "-" + strconv.Itoa(rows[i].N)
				rows[i].Name = day + "-"
			}
		}
	}
	set(f.Times, "")
	for _, d := range f.Days {
		set(d.Rows, d.Name)
	}
}

var setupPeriodLabels = []struct {
	period int
	label  string
}{
	{openboards.PeriodEveryDay, "Every day"},
	{openboards.PeriodWeekdays, "Weekdays (Monday to Friday)"},
	{openboards.PeriodCustom, "Custom, day by day"},
}

// setupWeekdays are the weekdays by the names CustomTimes.Days gives.
var setupWeekdays = (&openboards.CustomTimes{}).Days()

func setupDayLabel(name string) string {
	if name == "" {
		return ""
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// setupClock shows a stored "hh:mm:ss" as a time input takes it, without
// seconds when they are zero.
func setupClock(s string) string {
	if len(s) == 8 && strings.HasSuffix(s, ":00") {
		return s[:5]
	}
	return s
}

// setupRows lays out ranges as form rows, with room for one more and at
// least setupTimeRows in all.
func setupRows(starts, ends []string, spare int) []setupTimeRow {
	n := max(len(starts), len(ends))
	rows := make([]setupTimeRow, max(setupTimeRows, n+spare))
	for i := range rows {
		rows[i].N = i + 1
		if i < len(starts) {
			rows[i].Start = starts[i]
		}
		if i < len(ends) {
			rows[i].End = ends[i]
		}
	}
	return rows
}

func setupStoredRows(times []openboards.ScheduleTime) []setupTimeRow {
	starts, ends := make([]string, len(times)), make([]string, len(times))
	for i, t := range times {
		starts[i], ends[i] = setupClock(t.StartAt), setupClock(t.EndAt)
	}
	return setupRows(starts, ends, 1)
}

func setupPeriods(selected string) []setupOption {
	var out []setupOption
	for _, p := range setupPeriodLabels {
		v := strconv.Itoa(p.period)
		out = append(out, setupOption{Value: v, Label: p.label, Selected: v == selected})
	}
	return out
}

// setupWidgetFormOf fills the form from a stored schedule (a new widget's
// when ws is nil).
func setupWidgetFormOf(prefix string, ws *openboards.WidgetSchedule) setupWidgetForm {
	if ws == nil {
		ws = &openboards.WidgetSchedule{TimePeriod: openboards.PeriodEveryDay}
	}
	f := setupWidgetForm{Prefix: prefix, Periods: setupPeriods(strconv.Itoa(ws.TimePeriod)), Times: setupStoredRows(ws.Times),
		Custom: ws.TimePeriod == openboards.PeriodCustom}
	custom := ws.CustomTimes
	if custom == nil {
		custom = &openboards.CustomTimes{}
	}
	for _, d := range custom.Days() {
		f.Days = append(f.Days, setupWidgetDay{Name: d.Name, Label: setupDayLabel(d.Name), Rows: setupStoredRows(d.Times)})
	}
	return f
}

// setupWidgetFormFrom fills the form from what was sent.
func setupWidgetFormFrom(prefix string, v url.Values) setupWidgetForm {
	f := setupWidgetForm{Prefix: prefix, Periods: setupPeriods(v.Get("period")), Times: setupRows(v["start"], v["end"], 0),
		Custom: v.Get("period") == strconv.Itoa(openboards.PeriodCustom)}
	for _, d := range setupWeekdays {
		f.Days = append(f.Days, setupWidgetDay{Name: d.Name, Label: setupDayLabel(d.Name), Rows: setupRows(v[d.Name+"-start"], v[d.Name+"-end"], 0)})
	}
	return f
}

func setupSummary(ws *openboards.WidgetSchedule) []setupWidgetLine {
	ranges := func(times []openboards.ScheduleTime) string {
		if len(times) == 0 {
			return "Closed"
		}
		parts := make([]string, len(times))
		for i, t := range times {
			parts[i] = setupClock(t.StartAt) + "–" + setupClock(t.EndAt)
		}
		return strings.Join(parts, ", ")
	}
	switch ws.TimePeriod {
	case openboards.PeriodEveryDay:
		return []setupWidgetLine{{"Every day", ranges(ws.Times)}}
	case openboards.PeriodWeekdays:
		return []setupWidgetLine{{"Monday to Friday", ranges(ws.Times)}, {"Saturday and Sunday", "Closed"}}
	}
	var out []setupWidgetLine
	if ws.CustomTimes != nil {
		for _, d := range ws.CustomTimes.Days() {
			out = append(out, setupWidgetLine{setupDayLabel(d.Name), ranges(d.Times)})
		}
	}
	return out
}

func (h *Handler) setupWidgetsData(r *http.Request, in *community.SignedIn, kept *setupKept) (*setupWidgetsData, error) {
	list, err := h.store.FindWidgetSchedules(r.Context(), in.Community.ID, nil)
	if err != nil {
		return nil, err
	}
	base := h.setupURL(in, setupWidgets)
	d := &setupWidgetsData{Action: base, CSRF: in.Session.CSRF, Open: kept.is("new"), New: setupWidgetFormOf("widget-new", nil)}
	if d.Open {
		d.New = setupWidgetFormFrom("widget-new", kept.values)
	}
	d.New.Action, d.New.CSRF, d.New.Submit = base, in.Session.CSRF, "Add widget"
	d.New.name()
	for _, ws := range list {
		id := strconv.FormatInt(ws.WidgetID, 10)
		v := setupWidgetView{ID: ws.WidgetID, Summary: setupSummary(ws), Form: setupWidgetFormOf("widget-"+id, ws),
			Open: kept.is(id) || kept.is("delete-"+id), Action: base + "/" + id}
		if kept.is(id) {
			v.Form = setupWidgetFormFrom("widget-"+id, kept.values)
		}
		v.Form.Action, v.Form.CSRF, v.Form.Submit = v.Action, in.Session.CSRF, "Save the schedule of widget "+id
		v.Form.name()
		st, err := h.widgets.Settings(r.Context(), in.Community, ws.WidgetID)
		if err != nil {
			return nil, err
		}
		v.Settings = setupWidgetSettings{Name: st.Name, Greeting: st.Greeting, Color: st.Color, OfflineText: st.OfflineText,
			AskName: st.AskName, AskEmail: st.AskEmail, Require: st.RequireVerification, Origins: strings.Join(st.AllowedOrigins, "\n"),
			Secret: st.IdentitySecret, TimeZone: st.TimeZone, Snippet: widgetSnippet(h.serverURL(r), in.Community.Name, ws.WidgetID)}
		if kept.is("settings-" + id) {
			k := kept.values
			v.Settings.Name, v.Settings.Greeting, v.Settings.Color, v.Settings.OfflineText = k.Get("name"), k.Get("greeting"), k.Get("color"), k.Get("offlineText")
			v.Settings.AskName, v.Settings.AskEmail, v.Settings.Require = setupChecked(k, "askName"), setupChecked(k, "askEmail"), setupChecked(k, "require")
			v.Settings.Origins, v.Settings.TimeZone, v.SettingsOpen = k.Get("origins"), k.Get("timeZone"), true
		}
		d.Widgets = append(d.Widgets, v)
	}
	return d, nil
}

// setupRanges reads the rows of one list of ranges; field names the list
// as the API does.
func setupRanges(v url.Values, prefix, field string) ([]openboards.ScheduleTime, error) {
	starts, ends := v[prefix+"start"], v[prefix+"end"]
	out := []openboards.ScheduleTime{}
	for i := range max(len(starts), len(ends)) {
		var s, e string
		if i < len(starts) {
			s = strings.TrimSpace(starts[i])
		}
		if i < len(ends) {
			e = strings.TrimSpace(ends[i])
		}
		if s == "" && e == "" {
			continue
		}
		if s == "" || e == "" {
			return nil, openboards.Errorf(openboards.CodeInvalid, "%s: row %d needs both a start and an end time", field, i+1)
		}
		out = append(out, openboards.ScheduleTime{StartAt: setupSeconds(s), EndAt: setupSeconds(e)})
	}
	return out, nil
}

// setupSeconds completes the "hh:mm" a time input sends to "hh:mm:ss".
func setupSeconds(s string) string {
	if len(s) == 5 {
		return s + ":00"
	}
	return s
}

// setupScheduleFrom reads a schedule from a form; the service validates
// the period and every range.
func setupScheduleFrom(v url.Values, id int64) (*openboards.WidgetSchedule, error) {
	period, err := strconv.Atoi(v.Get("period"))
	if err != nil {
		period = 0 // the service names the missing choice
	}
	ws := &openboards.WidgetSchedule{WidgetID: id, TimePeriod: period}
	if period == openboards.PeriodCustom {
		ct := &openboards.CustomTimes{}
		days := []*[]openboards.ScheduleTime{&ct.Monday, &ct.Tuesday, &ct.Wednesday, &ct.Thursday, &ct.Friday, &ct.Saturday, &ct.Sunday}
		for i, d := range setupWeekdays {
			if *days[i], err = setupRanges(v, d.Name+"-", "customTimes."+d.Name); err != nil {
				return nil, err
			}
		}
		ws.CustomTimes = ct
		return ws, nil
	}
	if ws.Times, err = setupRanges(v, "", "times"); err != nil {
		return nil, err
	}
	return ws, nil
}

func (h *Handler) handleSetupWidgetCreate(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	ws, err := setupScheduleFrom(r.PostForm, 0)
	if err == nil {
		err = h.tickets.PutWidgetSchedule(r.Context(), setupActor(in), ws)
	}
	return h.setupDone(w, r, in, setupWidgets, err, "created", setupAgain(h.setupWidgetsData, r, in, "new", r.PostForm))
}

func (h *Handler) handleSetupWidgetUpdate(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	id, err := setupID(r)
	if err != nil {
		return err
	}
	ws, err := setupScheduleFrom(r.PostForm, id)
	if err == nil {
		err = h.tickets.PutWidgetSchedule(r.Context(), setupActor(in), ws)
	}
	return h.setupDone(w, r, in, setupWidgets, err, "updated", setupAgain(h.setupWidgetsData, r, in, strconv.FormatInt(id, 10), r.PostForm))
}

func (h *Handler) handleSetupWidgetDelete(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	id, err := setupID(r)
	if err != nil {
		return err
	}
	err = h.tickets.DeleteWidgetSchedule(r.Context(), setupActor(in), id)
	return h.setupDone(w, r, in, setupWidgets, err, "deleted", setupAgain(h.setupWidgetsData, r, in, "delete-"+strconv.FormatInt(id, 10), r.PostForm))
}

func (h *Handler) handleSetupWidgetSettings(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	id, err := setupID(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	_, err = h.widgets.Update(r.Context(), in.Community, id, func(s *openboards.WidgetSettings) error {
		s.Name, s.Greeting, s.Color, s.OfflineText = f.Get("name"), f.Get("greeting"), f.Get("color"), f.Get("offlineText")
		s.AskName, s.AskEmail, s.RequireVerification = setupChecked(f, "askName"), setupChecked(f, "askEmail"), setupChecked(f, "require")
		s.TimeZone = f.Get("timeZone")
		s.AllowedOrigins = []string{}
		for _, line := range strings.FieldsFunc(f.Get("origins"), func(r rune) bool { return r == '\n' || r == ',' }) {
			if line = strings.TrimSpace(line); line != "" {
				s.AllowedOrigins = append(s.AllowedOrigins, line)
			}
		}
		return nil
	})
	return h.setupDone(w, r, in, setupWidgets, err, "settings", setupAgain(h.setupWidgetsData, r, in, "settings-"+strconv.FormatInt(id, 10), r.PostForm))
}

func (h *Handler) handleSetupWidgetSecret(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	id, err := setupID(r)
	if err != nil {
		return err
	}
	if r.PostFormValue("confirm") == "" {
		err = openboards.Errorf(openboards.CodeInvalid, "confirm: tick the box to replace the identity secret of widget %d", id)
	} else {
		_, err = h.widgets.RotateSecret(r.Context(), in.Community, id)
	}
	return h.setupDone(w, r, in, setupWidgets, err, "secret", setupAgain(h.setupWidgetsData, r, in, "settings-"+strconv.FormatInt(id, 10), r.PostForm))
}

// serverURL is this server's address as the request reached it: the host
// of the loader a site's snippet names.
func (h *Handler) serverURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || h.opt.SecureCookies {
		scheme = "https"
	}
	return scheme + "://" + r.Host + strings.TrimRight(h.opt.BasePath, "/")
}

// widgetSnippet is the documented embed snippet for widget id of community.
func widgetSnippet(server, community string, id int64) string {
	return fmt.Sprintf(`<script>
  const s = document.createElement("script"); s.async = true;
  s.src = %q; document.body.appendChild(s);
</script>
<script>
  const options = { community: '%s', widgetId: %d }
  window.magicWidgetAsyncInit = function () { magicWidget.initializeAsync(options) }
</script>`, server+"/magic-widget.js", community, id)
}
