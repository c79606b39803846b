package inbox

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"openboards/internal/community"
	"openboards/internal/openboards"
)

// Custom fields: the list in the API's order, a form to add one, and an
// edit page for each with its deletion.

type setupFieldsData struct {
	Action string
	CSRF   string
	Fields []setupFieldRow
	Form   setupFieldForm
}

type setupFieldRow struct {
	ID                          int64
	Name, Type, Categories      string
	Order                       int
	Required, Hidden, Sensitive bool
	Href                        string
	Editing                     bool
}

// setupFieldForm is the add form, or the edit form of one field.
type setupFieldForm struct {
	Edit                                   bool
	ID                                     int64
	Heading, Action, Submit, Delete        string
	Stored                                 string // the stored name of the field edited
	Name, Type, Order, Placeholder         string
	Default, Values                        string
	Required, Hidden, Sensitive, Confirmed bool
	Types, Categories                      []setupOption
}

// setupFieldTypeLabels names the custom field types; a type missing here
// is shown by its own name.
var setupFieldTypeLabels = map[string]string{
	openboards.FieldText: "Text (one line)", openboards.FieldTextarea: "Text (several lines)", openboards.FieldNumber: "Number",
	openboards.FieldDate: "Date", openboards.FieldCheckbox: "Checkbox", openboards.FieldDropdown: "Dropdown (one of a list)",
	openboards.FieldMultiSelect: "Multi-select (several of a list)", openboards.FieldRegion: "Region (one of a list)",
	openboards.FieldEmail: "E-mail address", openboards.FieldPhone: "Phone number", openboards.FieldURL: "Web address (URL)",
}

func setupFieldTypeLabel(t string) string {
	if l, ok := setupFieldTypeLabels[t]; ok {
		return l
	}
	return t
}

// setupFieldFormOf fills the form from a stored field.
func setupFieldFormOf(f *openboards.CustomField) setupFieldForm {
	form := setupFieldForm{Name: f.Name, Type: f.Type, Order: strconv.Itoa(f.Order), Required: f.IsRequired, Hidden: f.IsHidden, Sensitive: f.IsSensitiveData}
	if f.Placeholder != nil {
		form.Placeholder = *f.Placeholder
	}
	if f.DefaultValue != nil {
		form.Default = *f.DefaultValue
	}
	values := make([]string, len(f.PossibleValues))
	for i, pv := range f.PossibleValues {
		values[i] = pv.Value
	}
	form.Values = strings.Join(values, "\n")
	return form
}

// setupFieldFormFrom fills the form from what was sent.
func setupFieldFormFrom(v url.Values) setupFieldForm {
	return setupFieldForm{Name: v.Get("name"), Type: v.Get("type"), Order: v.Get("order"), Placeholder: v.Get("placeholder"),
		Default: v.Get("defaultValue"), Values: v.Get("possibleValues"), Required: setupChecked(v, "isRequired"),
		Hidden: setupChecked(v, "isHidden"), Sensitive: setupChecked(v, "isSensitiveData"), Confirmed: setupChecked(v, "confirm")}
}

// setupFieldsData builds the page: the add form when edit is 0, else the
// edit form of field edit.
func (h *Handler) setupFieldsData(r *http.Request, in *community.SignedIn, edit int64, kept *setupKept) (*setupFieldsData, error) {
	ctx, cid := r.Context(), in.Community.ID
	fields, err := h.store.FindCustomFields(ctx, cid)
	if err != nil {
		return nil, err
	}
	all, err := h.store.FindCategories(ctx, cid)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, c := range all {
		names[c.ID] = c.Name
	}
	cats := setupCategoryLabels(openboards.BuildCategoryTree(all))
	base := h.setupURL(in, setupFields)
	d := &setupFieldsData{Action: base, CSRF: in.Session.CSRF}
	var editing *openboards.CustomField
	for _, f := range fields {
		row := setupFieldRow{ID: f.ID, Name: f.Name, Type: setupFieldTypeLabel(f.Type), Order: f.Order, Required: f.IsRequired,
			Hidden: f.IsHidden, Sensitive: f.IsSensitiveData, Href: base + "/" + strconv.FormatInt(f.ID, 10), Editing: f.ID == edit}
		var cs []string
		for _, id := range f.AssignedCategoryIDs {
			if n, ok := names[id]; ok {
				cs = append(cs, n)
			}
		}
		row.Categories = strings.Join(cs, ", ")
		d.Fields = append(d.Fields, row)
		if f.ID == edit {
			editing = f
		}
	}
	if edit != 0 && editing == nil {
		return nil, openboards.Errorf(openboards.CodeNotFound, "custom field %d not found", edit)
	}

	var assigned []int64
	switch {
	case kept != nil && kept.form != "delete":
		d.Form = setupFieldFormFrom(kept.values)
		for _, s := range kept.values["category"] {
			if id, err := strconv.ParseInt(s, 10, 64); err == nil {
				assigned = append(assigned, id)
			}
		}
	case editing != nil:
		d.Form = setupFieldFormOf(editing)
		assigned = editing.AssignedCategoryIDs
	default:
		d.Form.Type = openboards.FieldText
	}
	if kept.is("delete") {
		d.Form.Confirmed = setupChecked(kept.values, "confirm")
	}
	d.Form.Heading, d.Form.Action, d.Form.Submit = "Add a custom field", base, "Add field"
	if editing != nil {
		d.Form.Edit, d.Form.ID, d.Form.Stored = true, editing.ID, editing.Name
		d.Form.Heading, d.Form.Submit = "Edit “"+editing.Name+"”", "Save field"
		d.Form.Action = base + "/" + strconv.FormatInt(editing.ID, 10)
		d.Form.Delete = d.Form.Action + "/delete"
	}
	for _, t := range openboards.FieldTypes {
		d.Form.Types = append(d.Form.Types, setupOption{Value: t, Label: setupFieldTypeLabel(t), Selected: strings.EqualFold(t, d.Form.Type)})
	}
	for _, c := range cats {
		sel := false
		for _, id := range assigned {
			sel = sel || id == c.ID
		}
		d.Form.Categories = append(d.Form.Categories, setupOption{Value: strconv.FormatInt(c.ID, 10), Label: c.Label, Selected: sel})
	}
	return d, nil
}

// setupFieldFrom reads a custom field definition from a form, as the API
// reads it from JSON; the service validates it.
func setupFieldFrom(v url.Values, id int64) (*openboards.CustomField, error) {
	f := &openboards.CustomField{ID: id, Name: v.Get("name"), Type: v.Get("type"), IsRequired: setupChecked(v, "isRequired"),
		IsHidden: setupChecked(v, "isHidden"), IsSensitiveData: setupChecked(v, "isSensitiveData")}
	if s := strings.TrimSpace(v.Get("order")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, openboards.Errorf(openboards.CodeInvalid, "order: %q is not a whole number", s)
		}
		f.Order = n
	}
	if s := v.Get("placeholder"); strings.TrimSpace(s) != "" {
		f.Placeholder = &s
	}
	if s := v.Get("defaultValue"); strings.TrimSpace(s) != "" {
		f.DefaultValue = &s
	}
	for _, line := range strings.Split(v.Get("possibleValues"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			f.PossibleValues = append(f.PossibleValues, openboards.PossibleValue{Order: len(f.PossibleValues) + 1, Value: line})
		}
	}
	for _, s := range v["category"] {
		cid, err := strconv.ParseInt(s, 10, 64)
		if err != nil || cid <= 0 {
			return nil, openboards.Errorf(openboards.CodeInvalid, "assignedCategoryIds: %q is not a category id", s)
		}
		f.AssignedCategoryIDs = append(f.AssignedCategoryIDs, cid)
	}
	return f, nil
}

func (h *Handler) handleSetupFields(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	d, err := h.setupFieldsData(r, in, 0, nil)
	if err != nil {
		return err
	}
	h.setupRender(w, r, in, setupFields, http.StatusOK, "", d)
	return nil
}

func (h *Handler) handleSetupFieldEdit(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	id, err := setupID(r)
	if err != nil {
		return err
	}
	d, err := h.setupFieldsData(r, in, id, nil)
	if err != nil {
		return err
	}
	h.setupRender(w, r, in, setupFields, http.StatusOK, "", d)
	return nil
}

func (h *Handler) setupFieldsAgain(r *http.Request, in *community.SignedIn, edit int64, form string) func() (any, error) {
	return func() (any, error) {
		return h.setupFieldsData(r, in, edit, &setupKept{form: form, values: r.PostForm})
	}
}

func (h *Handler) handleSetupFieldCreate(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	f, err := setupFieldFrom(r.PostForm, 0)
	if err == nil {
		err = h.tickets.CreateCustomField(r.Context(), setupActor(in), f)
	}
	return h.setupDone(w, r, in, setupFields, err, "created", h.setupFieldsAgain(r, in, 0, "new"))
}

func (h *Handler) handleSetupFieldUpdate(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	id, err := setupID(r)
	if err != nil {
		return err
	}
	f, err := setupFieldFrom(r.PostForm, id)
	if err == nil {
		err = h.tickets.UpdateCustomField(r.Context(), setupActor(in), f)
	}
	return h.setupDone(w, r, in, setupFields, err, "updated", h.setupFieldsAgain(r, in, id, "edit"))
}

func (h *Handler) handleSetupFieldDelete(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	id, err := setupID(r)
	if err != nil {
		return err
	}
	if !setupChecked(r.PostForm, "confirm") {
		err = openboards.Errorf(openboards.CodeInvalid, "confirm: tick the box to confirm that the field and its values on every ticket are deleted")
	} else {
		err = h.tickets.DeleteCustomField(r.Context(), setupActor(in), id)
	}
	return h.setupDone(w, r, in, setupFields, err, "deleted", h.setupFieldsAgain(r, in, id, "delete"))
}
