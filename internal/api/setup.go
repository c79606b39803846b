package api

import (
	"net/http"
	"strings"

	"openboards/internal/httpapi"
	"openboards/internal/openboards"
	"openboards/internal/ticket"
)

// Categories.

func (h *Handler) handleCategoryList(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	includeHidden, err := httpapi.QueryBool(r, "includeHidden")
	if err != nil {
		return err
	}
	all, err := h.store.FindCategories(r.Context(), cm.ID)
	if err != nil {
		return err
	}
	out := []*categoryJSON{}
	for _, c := range openboards.BuildCategoryTree(all) {
		if !c.IsHidden || includeHidden {
			out = append(out, categoryOut(c, true, includeHidden))
		}
	}
	return h.ok(w, out)
}

// handleSubcategories lists the direct children of a category, or the root
// categories when no parent id is given (or it is 0).
func (h *Handler) handleSubcategories(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	includeHidden, err := httpapi.QueryBool(r, "includeHidden")
	if err != nil {
		return err
	}
	var parent *int64
	if r.PathValue("id") != "" && r.PathValue("id") != "0" {
		id, err := httpapi.PathID(r, "id")
		if err != nil {
			return err
		}
		if _, err := h.store.FindCategoryByID(r.Context(), cm.ID, id); err != nil {
			return err
		}
		parent = &id
	}
	all, err := h.store.FindCategories(r.Context(), cm.ID)
	if err != nil {
		return err
	}
	out := []*categoryJSON{}
	for _, c := range all {
		if (c.ParentID == nil) != (parent == nil) || (parent != nil && *c.ParentID != *parent) {
			continue
		}
		if !c.IsHidden || includeHidden {
			out = append(out, categoryOut(c, false, includeHidden))
		}
	}
	return h.ok(w, out)
}

func (h *Handler) handleCategoryGet(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	includeHidden, err := httpapi.QueryBool(r, "includeHidden")
	if err != nil {
		return err
	}
	all, err := h.store.FindCategories(r.Context(), cm.ID)
	if err != nil {
		return err
	}
	openboards.BuildCategoryTree(all)
	for _, c := range all {
		if c.ID == id {
			return h.ok(w, categoryOut(c, true, includeHidden))
		}
	}
	return openboards.Errorf(openboards.CodeNotFound, "category %d not found", id)
}

type categoryRequest struct {
	Name        *string         `json:"name"`
	ParentID    nullable[int64] `json:"parentId"`
	AutoArchive *bool           `json:"autoArchive"`
	CanBeChosen *bool           `json:"canBeChosen"`
	IsHidden    *bool           `json:"isHidden"`
	IsMuted     *bool           `json:"isMuted"`
	// Read-only members of the Category shape.
	ID       httpapi.Ignored `json:"id"`
	Children httpapi.Ignored `json:"children"`
}

func (req categoryRequest) input() ticket.CategoryInput {
	in := ticket.CategoryInput{Name: req.Name, AutoArchive: req.AutoArchive, CanBeChosen: req.CanBeChosen, IsHidden: req.IsHidden, IsMuted: req.IsMuted}
	if req.ParentID.Set {
		p := req.ParentID.Value
		if p != nil && *p == 0 {
			p = nil
		}
		in.ParentID = &p
	}
	return in
}

func (h *Handler) handleCategoryCreate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	var req categoryRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	c, err := h.tickets.CreateCategory(r.Context(), cm, req.input())
	if err != nil {
		return err
	}
	return h.ok(w, categoryOut(c, true, true))
}

func (h *Handler) handleCategoryUpdate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	var req categoryRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	c, err := h.tickets.UpdateCategory(r.Context(), cm, id, req.input())
	if err != nil {
		return err
	}
	return h.ok(w, categoryOut(c, false, true))
}

func (h *Handler) handleCategoryDelete(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.tickets.DeleteCategory(r.Context(), cm, id); err != nil {
		return err
	}
	return h.ok(w, httpapi.EmptyObject)
}

// Custom fields.

func (h *Handler) handleCustomFieldList(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	includeHidden, err := httpapi.QueryBool(r, "includeHidden")
	if err != nil {
		return err
	}
	fields, err := h.store.FindCustomFields(r.Context(), cm.ID)
	if err != nil {
		return err
	}
	out := []*customFieldJSON{}
	for _, f := range fields {
		if !f.IsHidden || includeHidden {
			out = append(out, customFieldOut(f))
		}
	}
	return h.ok(w, out)
}

func (h *Handler) handleCustomFieldGet(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	f, err := h.store.FindCustomFieldByID(r.Context(), cm.ID, id)
	if err != nil {
		return err
	}
	return h.ok(w, customFieldOut(f))
}

type customFieldRequest struct {
	Name                string                     `json:"name"`
	Type                string                     `json:"type"`
	Order               int                        `json:"order"`
	Placeholder         *string                    `json:"placeholder"`
	DefaultValue        scalar                     `json:"defaultValue"`
	IsHidden            bool                       `json:"isHidden"`
	IsRequired          bool                       `json:"isRequired"`
	IsSensitiveData     bool                       `json:"isSensitiveData"`
	PossibleValues      []openboards.PossibleValue `json:"possibleValues"`
	AssignedCategoryIDs []int64                    `json:"assignedCategoryIds"`
	// Read-only members of the Custom Field shape.
	ID    httpapi.Ignored `json:"id"`
	Value httpapi.Ignored `json:"value"`
}

func (req *customFieldRequest) field(id int64) *openboards.CustomField {
	f := &openboards.CustomField{ID: id, Name: req.Name, Type: req.Type, Order: req.Order, Placeholder: req.Placeholder,
		DefaultValue: req.DefaultValue.Value, IsHidden: req.IsHidden, IsRequired: req.IsRequired, IsSensitiveData: req.IsSensitiveData,
		PossibleValues: req.PossibleValues, AssignedCategoryIDs: req.AssignedCategoryIDs}
	if f.DefaultValue != nil && *f.DefaultValue == "" {
		f.DefaultValue = nil
	}
	return f
}

func (h *Handler) handleCustomFieldCreate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	var req customFieldRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	f := req.field(0)
	if err := h.tickets.CreateCustomField(r.Context(), cm, f); err != nil {
		return err
	}
	return h.ok(w, customFieldOut(f))
}

func (h *Handler) handleCustomFieldUpdate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	var req customFieldRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	f := req.field(id)
	if err := h.tickets.UpdateCustomField(r.Context(), cm, f); err != nil {
		return err
	}
	return h.ok(w, customFieldOut(f))
}

func (h *Handler) handleCustomFieldDelete(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.tickets.DeleteCustomField(r.Context(), cm, id); err != nil {
		return err
	}
	return h.ok(w, httpapi.EmptyObject)
}

// Teammates and user groups.

func (h *Handler) handleTeammateList(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	group, set, err := httpapi.QueryInt(r, "group")
	if err != nil {
		return err
	}
	var groupID *int64
	if set {
		id := int64(group)
		if _, err := h.store.FindUserGroupByID(r.Context(), cm.ID, id); err != nil {
			return err
		}
		groupID = &id
	}
	users, err := h.store.FindTeammates(r.Context(), cm.ID, groupID)
	if err != nil {
		return err
	}
	out := make([]teammateJSON, len(users))
	for i, u := range users {
		out[i] = teammateJSON{ID: u.ID, Name: u.Name, Email: u.Email, Role: string(u.Role), Image: u.Image}
	}
	return h.ok(w, out)
}

func (h *Handler) handleUserGroupList(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	groups, err := h.store.FindUserGroups(r.Context(), cm.ID)
	if err != nil {
		return err
	}
	out := make([]userGroupJSON, len(groups))
	for i, g := range groups {
		out[i] = userGroupJSON{ID: g.ID, Name: g.Name}
	}
	return h.ok(w, out)
}

func (h *Handler) writeUserGroup(w http.ResponseWriter, r *http.Request, cm *openboards.Community, id int64) error {
	g, err := h.store.FindUserGroupByID(r.Context(), cm.ID, id)
	if err != nil {
		return err
	}
	members, err := h.store.FindUserGroupMemberIDs(r.Context(), cm.ID, id)
	if err != nil {
		return err
	}
	return h.ok(w, userGroupDetailJSON{ID: g.ID, Name: g.Name, TeammateIDs: members})
}

func (h *Handler) handleUserGroupGet(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	return h.writeUserGroup(w, r, cm, id)
}

type userGroupRequest struct {
	Name        *string   `json:"name"`
	TeammateIDs *[]string `json:"teammateIds"`
	// Read-only member of the User Group shape.
	ID httpapi.Ignored `json:"id"`
}

func (req *userGroupRequest) members() []string {
	if req.TeammateIDs == nil {
		return nil
	}
	return *req.TeammateIDs
}

func (h *Handler) handleUserGroupCreate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	var req userGroupRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	name := ""
	if req.Name != nil {
		name = *req.Name
	}
	g, err := h.tickets.CreateUserGroup(r.Context(), cm, name, req.members())
	if err != nil {
		return err
	}
	return h.writeUserGroup(w, r, cm, g.ID)
}

func (h *Handler) handleUserGroupUpdate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	var req userGroupRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	if err := h.tickets.UpdateUserGroup(r.Context(), cm, id, req.Name, req.TeammateIDs); err != nil {
		return err
	}
	return h.writeUserGroup(w, r, cm, id)
}

func (h *Handler) handleUserGroupDelete(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.tickets.DeleteUserGroup(r.Context(), cm, id); err != nil {
		return err
	}
	return h.ok(w, httpapi.EmptyObject)
}

func (h *Handler) handleUserGroupAddMembers(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	var req userGroupRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	if err := h.tickets.AddUserGroupMembers(r.Context(), cm, id, req.members()); err != nil {
		return err
	}
	return h.writeUserGroup(w, r, cm, id)
}

func (h *Handler) handleUserGroupRemoveMember(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	userID := r.PathValue("userId")
	if !openboards.IsGUID(userID) {
		return openboards.Errorf(openboards.CodeInvalid, "userId: %q is not a GUID", userID)
	}
	if err := h.tickets.RemoveUserGroupMember(r.Context(), cm, id, userID); err != nil {
		return err
	}
	return h.writeUserGroup(w, r, cm, id)
}

// Tags.

func (h *Handler) handleTagList(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	tags, err := h.store.FindTags(r.Context(), cm.ID)
	if err != nil {
		return err
	}
	out := make([]tagJSON, len(tags))
	for i, t := range tags {
		out[i] = tagJSON{ID: t.ID, Name: t.Name}
	}
	return h.ok(w, out)
}

// tagsRequest reads a tag list sent as a bare array or as {"tags": [...]}.
func tagsRequest(r *http.Request) ([]string, error) {
	var raw rawBody
	if err := httpapi.Decode(r, &raw, true); err != nil {
		return nil, err
	}
	var names []string
	if strings.HasPrefix(strings.TrimSpace(string(raw)), "[") {
		if err := httpapi.Unmarshal(raw, &names); err != nil {
			return nil, err
		}
	} else {
		var obj struct {
			Tags *[]string `json:"tags"`
		}
		if err := httpapi.Unmarshal(raw, &obj); err != nil {
			return nil, err
		}
		if obj.Tags == nil {
			return nil, openboards.Errorf(openboards.CodeInvalid, "tags: required (send an array of tag names)")
		}
		names = *obj.Tags
	}
	if names == nil {
		names = []string{}
	}
	return names, nil
}

// rawBody keeps a JSON body as it is, for endpoints that accept more than
// one shape.
type rawBody []byte

func (b *rawBody) UnmarshalJSON(data []byte) error {
	*b = append((*b)[:0], data...)
	return nil
}

// Widget schedules.

func (h *Handler) handleWidgetScheduleList(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	widget, set, err := httpapi.QueryInt(r, "widgetId")
	if err != nil {
		return err
	}
	var widgetID *int64
	if set {
		id := int64(widget)
		widgetID = &id
	}
	list, err := h.store.FindWidgetSchedules(r.Context(), cm.ID, widgetID)
	if err != nil {
		return err
	}
	out := make([]*widgetScheduleJSON, len(list))
	for i, s := range list {
		out[i] = widgetScheduleOut(s)
	}
	return h.ok(w, out)
}

type widgetScheduleRequest struct {
	WidgetID    int64                     `json:"widgetId"`
	TimePeriod  int                       `json:"timePeriod"`
	Times       []openboards.ScheduleTime `json:"times"`
	CustomTimes *openboards.CustomTimes   `json:"customTimes"`
	// Read-only member of the Widget Schedule shape.
	CommunityID httpapi.Ignored `json:"communityId"`
}

func (h *Handler) handleWidgetSchedulePut(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	var req widgetScheduleRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	ws := &openboards.WidgetSchedule{WidgetID: req.WidgetID, TimePeriod: req.TimePeriod, Times: req.Times, CustomTimes: req.CustomTimes}
	if err := h.tickets.PutWidgetSchedule(r.Context(), cm, ws); err != nil {
		return err
	}
	return h.ok(w, widgetScheduleOut(ws))
}

func (h *Handler) handleWidgetScheduleDelete(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "widgetId")
	if err != nil {
		return err
	}
	if err := h.tickets.DeleteWidgetSchedule(r.Context(), cm, id); err != nil {
		return err
	}
	return h.ok(w, httpapi.EmptyObject)
}
