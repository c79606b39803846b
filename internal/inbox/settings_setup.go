package inbox

import (
	"net/http"
	"net/url"
	"strconv"

	"openboards/internal/community"
	"openboards/internal/openboards"
)

// The community's setup pages: categories, custom fields, teammates, user
// groups and widget schedules, for admins only. Every change goes through
// the ticket or community service, so it is validated and logged exactly
// as through the Ticket API. A change that succeeds redirects back to its
// page with a fixed flash message chosen by a code in the query; one the
// admin can fix is shown in the page's error box, with the form as it was
// sent.

type setupHandlerFunc = func(http.ResponseWriter, *http.Request, *community.SignedIn) error

func (h *Handler) setupRoutes() {
	for _, rt := range []struct {
		pattern string
		handle  setupHandlerFunc
	}{
		{"GET /{community}/settings/categories", setupList(h, setupCategories, h.setupCategoriesData)},
		{"POST /{community}/settings/categories", h.handleSetupCategoryCreate},
		{"POST /{community}/settings/categories/{id}", h.handleSetupCategoryUpdate},
		{"POST /{community}/settings/categories/{id}/delete", h.handleSetupCategoryDelete},

		{"GET /{community}/settings/fields", h.handleSetupFields},
		{"POST /{community}/settings/fields", h.handleSetupFieldCreate},
		{"GET /{community}/settings/fields/{id}", h.handleSetupFieldEdit},
		{"POST /{community}/settings/fields/{id}", h.handleSetupFieldUpdate},
		{"POST /{community}/settings/fields/{id}/delete", h.handleSetupFieldDelete},

		{"GET /{community}/settings/teammates", setupList(h, setupTeammates, h.setupTeammatesData)},
		{"POST /{community}/settings/teammates", h.handleSetupTeammateAdd},
		{"POST /{community}/settings/teammates/{id}", h.handleSetupTeammateUpdate},

		{"GET /{community}/settings/groups", setupList(h, setupGroups, h.setupGroupsData)},
		{"POST /{community}/settings/groups", h.handleSetupGroupCreate},
		{"POST /{community}/settings/groups/{id}", h.handleSetupGroupUpdate},
		{"POST /{community}/settings/groups/{id}/delete", h.handleSetupGroupDelete},

		{"GET /{community}/settings/widgets", setupList(h, setupWidgets, h.setupWidgetsData)},
		{"POST /{community}/settings/widgets", h.handleSetupWidgetCreate},
		{"POST /{community}/settings/widgets/{id}", h.handleSetupWidgetUpdate},
		{"POST /{community}/settings/widgets/{id}/delete", h.handleSetupWidgetDelete},
		{"POST /{community}/settings/widgets/{id}/settings", h.handleSetupWidgetSettings},
		{"POST /{community}/settings/widgets/{id}/secret", h.handleSetupWidgetSecret},
	} {
		h.mux.Handle(rt.pattern, h.auth(h.admin(rt.handle)))
	}
}

// setupSection is one setup page: its path below settings/, its title and
// the flash messages its redirects may ask for.
type setupSection struct {
	path    string
	title   string
	flashes map[string]string // by the code in ?done=
}

var (
	setupCategories = &setupSection{path: "categories", title: "Categories", flashes: map[string]string{
		"created": "The category is added.", "updated": "The category is saved.", "deleted": "The category is deleted.",
	}}
	setupFields = &setupSection{path: "fields", title: "Custom fields", flashes: map[string]string{
		"created": "The custom field is added.", "updated": "The custom field is saved.", "deleted": "The custom field and its values are deleted.",
	}}
	setupTeammates = &setupSection{path: "teammates", title: "Teammates", flashes: map[string]string{
		"added": "The teammate is saved.", "updated": "The teammate is saved.",
	}}
	setupGroups = &setupSection{path: "groups", title: "User groups", flashes: map[string]string{
		"created": "The user group is created.", "updated": "The user group is saved.", "deleted": "The user group is deleted; its teammates stay.",
	}}
	setupWidgets = &setupSection{path: "widgets", title: "Widgets", flashes: map[string]string{
		"created": "The widget is added.", "updated": "The widget's schedule is saved.", "deleted": "The widget is deleted.",
		"settings": "The widget's settings are saved.", "secret": "The widget has a new identity secret; tokens signed with the old one are refused.",
	}}
)

// setupStatuses are the error codes shown on the page itself, with the
// status they answer; any other error is the generic error page.
var setupStatuses = map[openboards.Code]int{
	openboards.CodeInvalid:  http.StatusBadRequest,
	openboards.CodeConflict: http.StatusConflict,
	openboards.CodeNotFound: http.StatusNotFound,
}

// setupKept is a form that failed: which one, and what was sent, so that
// the page shows it again as it was.
// setupList serves a section's page as its data builder makes it.
func setupList[D any](h *Handler, sec *setupSection, data func(*http.Request, *community.SignedIn, *setupKept) (D, error)) setupHandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
		d, err := data(r, in, nil)
		if err != nil {
			return err
		}
		h.setupRender(w, r, in, sec, http.StatusOK, "", d)
		return nil
	}
}

// setupAgain builds a section's page again after a failed action, keeping
// what the admin sent in the form named form.
func setupAgain[D any](data func(*http.Request, *community.SignedIn, *setupKept) (D, error), r *http.Request, in *community.SignedIn, form string, values url.Values) func() (any, error) {
	return func() (any, error) { return data(r, in, &setupKept{form: form, values: values}) }
}

type setupKept struct {
	form   string // "new", an item's id, or "delete-" and an item's id
	values url.Values
}

func (k *setupKept) is(form string) bool { return k != nil && k.form == form }

// setupOption is one choice of a select, a radio group or a set of
// checkboxes.
type setupOption struct {
	Value, Label string
	Selected     bool
}

// setupURL is the address of a setup page.
func (h *Handler) setupURL(in *community.SignedIn, sec *setupSection) string {
	return h.communityPath(in) + "/settings/" + sec.path
}

// setupRender writes a setup page; a page answered 200 shows the flash
// message its query asks for.
func (h *Handler) setupRender(w http.ResponseWriter, r *http.Request, in *community.SignedIn, sec *setupSection, status int, errMsg string, data any) {
	p := h.newPage(sec.title, in, data)
	if status == http.StatusOK && r.Method == http.MethodGet {
		p.Flash = sec.flashes[r.URL.Query().Get("done")]
	}
	p.Error = errMsg
	h.render(w, status, "settings_"+sec.path, p)
}

// setupDone ends a setup action. Without an error it redirects to the
// section's page with the flash code done. An error the admin can fix is
// shown on the page that again builds, with the form kept; any other error
// is returned.
func (h *Handler) setupDone(w http.ResponseWriter, r *http.Request, in *community.SignedIn, sec *setupSection, err error, done string, again func() (any, error)) error {
	if err == nil {
		http.Redirect(w, r, h.setupURL(in, sec)+"?done="+done, http.StatusSeeOther)
		return nil
	}
	status, ok := setupStatuses[openboards.ErrorCode(err)]
	if !ok {
		return err
	}
	data, derr := again()
	if derr != nil {
		return derr
	}
	h.setupRender(w, r, in, sec, status, openboards.ErrorMessage(err), data)
	return nil
}

// setupID reads the positive integer id in the path.
func setupID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, openboards.Errorf(openboards.CodeNotFound, "no such item %q", r.PathValue("id"))
	}
	return id, nil
}

// setupChecked reports whether a checkbox was sent ticked.
func setupChecked(v url.Values, name string) bool { return v.Get(name) != "" }

// setupActor is the community as the signed-in admin acts in it: changes
// are credited to them, as the inbox's ticket actions are.
func setupActor(in *community.SignedIn) *openboards.Community {
	actor := *in.Community
	actor.APIUserID = in.User.ID
	return &actor
}
