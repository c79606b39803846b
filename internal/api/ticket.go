package api

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"

	"openboards/internal/httpapi"
	"openboards/internal/openboards"
	"openboards/internal/ticket"
)

type attachmentRequest struct {
	URL  string `json:"url"`
	Name string `json:"name"`
	// Read-only member of the attachment shape.
	IsContentPart httpapi.Ignored `json:"isContentPart"`
}

func attachmentsIn(in []attachmentRequest) []ticket.AttachmentInput {
	if in == nil {
		return nil
	}
	out := make([]ticket.AttachmentInput, len(in))
	for i, a := range in {
		out[i] = ticket.AttachmentInput{URL: a.URL, Name: a.Name}
	}
	return out
}

// fieldValueRequest is a custom field value; the id may be sent as "id"
// (Create Ticket) or "key" (List Tickets).
type fieldValueRequest struct {
	ID    *int64 `json:"id"`
	Key   *int64 `json:"key"`
	Value scalar `json:"value"`
}

func fieldValuesIn(field string, in []fieldValueRequest) ([]ticket.FieldValueInput, error) {
	out := make([]ticket.FieldValueInput, len(in))
	for i, v := range in {
		id := v.ID
		if id == nil {
			id = v.Key
		}
		if id == nil {
			return nil, openboards.Errorf(openboards.CodeInvalid, "%s[%d].id: required", field, i)
		}
		out[i] = ticket.FieldValueInput{ID: *id, Value: v.Value.Value}
	}
	return out, nil
}

type creatorRequest struct {
	ID               string  `json:"id"`
	Name             *string `json:"name"`
	Email            *string `json:"email"`
	CustomIdentifier *string `json:"customIdentifier"`
	Image            *string `json:"image"`
	PhoneNumber      *string `json:"phoneNumber"`
}

type ticketCreateRequest struct {
	AssigneeID   *string             `json:"assigneeId"`
	Attachments  []attachmentRequest `json:"attachments"`
	CategoryID   *int64              `json:"categoryId"`
	CC           []string            `json:"cc"`
	Creator      *creatorRequest     `json:"creator"`
	CustomFields []fieldValueRequest `json:"customFields"`
	IsHTML       *bool               `json:"isHtml"`
	Message      string              `json:"message"`
	Sentiment    *string             `json:"sentiment"`
	SourceName   *string             `json:"sourceName"`
	Tags         []string            `json:"tags"`
	Title        string              `json:"title"`
}

func (h *Handler) handleTicketCreate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	var req ticketCreateRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	fields, err := fieldValuesIn("customFields", req.CustomFields)
	if err != nil {
		return err
	}
	if req.CategoryID != nil && *req.CategoryID == 0 {
		req.CategoryID = nil // 0 means uncategorised, as in PATCH category
	}
	in := ticket.CreateTicketInput{
		Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI,
		Title: req.Title, Message: req.Message, IsHTML: req.IsHTML, AssigneeID: guid(req.AssigneeID), CategoryID: req.CategoryID,
		CC: req.CC, CustomFields: fields, Sentiment: req.Sentiment, SourceName: req.SourceName, Tags: req.Tags,
		Attachments: attachmentsIn(req.Attachments),
	}
	if c := req.Creator; c != nil {
		in.Creator = &ticket.CreatorInput{ID: c.ID, Name: c.Name, Email: c.Email, CustomIdentifier: c.CustomIdentifier, Image: c.Image, PhoneNumber: c.PhoneNumber}
	}
	id, err := h.tickets.CreateTicket(r.Context(), cm, in)
	if err != nil {
		return err
	}
	return h.ok(w, id)
}

type ticketListRequest struct {
	CategoryID   nullable[int64]     `json:"categoryId"`
	CustomFields []fieldValueRequest `json:"customFields"`
	From         *string             `json:"from"`
	To           *string             `json:"to"`
	OrderBy      *string             `json:"orderBy"`
	Skip         int                 `json:"skip"`
	Take         int                 `json:"take"`
	Source       *string             `json:"source"`
	Status       *string             `json:"status"`
	TicketIDs    []int64             `json:"ticketIds"`
}

// filter validates a list request into a store filter.
func (req *ticketListRequest) filter(communityID int64) (openboards.TicketFilter, error) {
	f := openboards.TicketFilter{CommunityID: communityID, CategorySet: req.CategoryID.Set, CategoryID: req.CategoryID.Value, TicketIDs: req.TicketIDs}
	if f.CategoryID != nil && *f.CategoryID == 0 {
		f.CategoryID = nil // 0 means uncategorised, as on create and update
	}
	f.Skip, f.Take = openboards.ClampPage(req.Skip, req.Take)
	var err error
	if req.From != nil && *req.From != "" {
		if f.From, err = httpapi.ParseTime("from", *req.From); err != nil {
			return f, err
		}
	}
	if req.To != nil && *req.To != "" {
		if f.To, err = httpapi.ParseTime("to", *req.To); err != nil {
			return f, err
		}
	}
	if req.OrderBy != nil && *req.OrderBy != "" {
		for _, o := range openboards.TicketOrders {
			if strings.EqualFold(o, *req.OrderBy) {
				f.OrderBy = o
			}
		}
		if f.OrderBy == "" {
			return f, openboards.Errorf(openboards.CodeInvalid, "orderBy: unknown order %q (want one of %s)", *req.OrderBy, strings.Join(openboards.TicketOrders, ", "))
		}
	}
	if req.Status != nil && *req.Status != "" {
		st, err := openboards.ParseTicketStatus("status", *req.Status)
		if err != nil {
			return f, err
		}
		f.Status = &st
	}
	if req.Source != nil && *req.Source != "" {
		src := strings.ToLower(strings.TrimSpace(*req.Source))
		f.Source = &src
	}
	if len(f.TicketIDs) > 1000 {
		return f, openboards.Errorf(openboards.CodeInvalid, "ticketIds: more than 1000 ids")
	}
	for i, v := range req.CustomFields {
		id := v.Key
		if id == nil {
			id = v.ID
		}
		if id == nil {
			return f, openboards.Errorf(openboards.CodeInvalid, "customFields[%d].key: required", i)
		}
		if v.Value.Value == nil {
			return f, openboards.Errorf(openboards.CodeInvalid, "customFields[%d].value: required", i)
		}
		f.CustomFields = append(f.CustomFields, openboards.FieldValue{FieldID: *id, Value: *v.Value.Value})
	}
	return f, nil
}

// normalizeFieldFilters puts custom field filter values in the form values
// are stored in ("oslo" finds "Oslo", "42.0" does not need to), and rejects
// unknown field ids.
func (h *Handler) normalizeFieldFilters(ctx context.Context, f *openboards.TicketFilter) error {
	for i, v := range f.CustomFields {
		field, err := h.store.FindCustomFieldByID(ctx, f.CommunityID, v.FieldID)
		if openboards.ErrorCode(err) == openboards.CodeNotFound {
			return openboards.Errorf(openboards.CodeInvalid, "customFields[%d].key: custom field %d not found", i, v.FieldID)
		}
		if err != nil {
			return err
		}
		if nv, err := field.NormalizeValue(v.Value); err == nil {
			f.CustomFields[i].Value = nv
		}
	}
	return nil
}

// listFilter reads the List Tickets body that List Tickets and List Ticket
// Ids share into a store filter.
func (h *Handler) listFilter(r *http.Request, cm *openboards.Community) (openboards.TicketFilter, error) {
	var req ticketListRequest
	if err := httpapi.Decode(r, &req, false); err != nil {
		return openboards.TicketFilter{}, err
	}
	f, err := req.filter(cm.ID)
	if err != nil {
		return f, err
	}
	return f, h.normalizeFieldFilters(r.Context(), &f)
}

func (h *Handler) handleTicketList(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	f, err := h.listFilter(r, cm)
	if err != nil {
		return err
	}
	tickets, err := h.store.FindTickets(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]*ticketJSON, len(tickets))
	for i, t := range tickets {
		out[i] = ticketOut(t)
	}
	return h.ok(w, out)
}

func (h *Handler) handleTicketIDs(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	f, err := h.listFilter(r, cm)
	if err != nil {
		return err
	}
	ids, err := h.store.FindTicketIDs(r.Context(), f)
	if err != nil {
		return err
	}
	return h.ok(w, ids)
}

func (h *Handler) handleTicketGet(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	t, err := h.store.FindTicketByID(r.Context(), cm.ID, id)
	if err != nil {
		return err
	}
	return h.ok(w, ticketOut(t))
}

// handleTicketFieldValues sets custom field values: one {"id", "value"}
// object or an array of them.
func (h *Handler) handleTicketFieldValues(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	var raw rawBody
	if err := httpapi.Decode(r, &raw, true); err != nil {
		return err
	}
	var reqs []fieldValueRequest
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
		err = httpapi.Unmarshal(raw, &reqs)
	} else {
		var one fieldValueRequest
		err = httpapi.Unmarshal(raw, &one)
		reqs = []fieldValueRequest{one}
	}
	if err != nil {
		return err
	}
	in, err := fieldValuesIn("", reqs)
	if err != nil {
		if len(reqs) == 1 {
			err = openboards.Errorf(openboards.CodeInvalid, "id: required")
		}
		return err
	}
	if err := h.tickets.SetTicketFieldValues(r.Context(), cm, id, in); err != nil {
		return err
	}
	return h.ok(w, httpapi.EmptyObject)
}

type assigneeRequest struct {
	AssigneeID         nullable[string] `json:"assigneeId"`
	PreviousAssigneeID nullable[string] `json:"previousAssigneeId"`
}

func (h *Handler) handleTicketAssignee(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	var req assigneeRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	if !req.AssigneeID.Set {
		return openboards.Errorf(openboards.CodeInvalid, "assigneeId: required (null unassigns the ticket)")
	}
	if !req.PreviousAssigneeID.Set {
		return openboards.Errorf(openboards.CodeInvalid, "previousAssigneeId: required (the ticket's current lockedBy id, or null)")
	}
	prev := guid(req.PreviousAssigneeID.Value)
	if prev != nil && !openboards.IsGUID(*prev) {
		return openboards.Errorf(openboards.CodeInvalid, "previousAssigneeId: %q is not a GUID", *prev)
	}
	if err := h.tickets.UpdateTicketAssignee(r.Context(), cm, id, guid(req.AssigneeID.Value), prev); err != nil {
		return err
	}
	return h.ok(w, httpapi.EmptyObject)
}

func (h *Handler) handleTicketStatus(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Status *string `json:"status"`
	}
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	if req.Status == nil || *req.Status == "" {
		return openboards.Errorf(openboards.CodeInvalid, "status: required")
	}
	if err := h.tickets.UpdateTicketStatus(r.Context(), cm, id, *req.Status); err != nil {
		return err
	}
	return h.ok(w, httpapi.EmptyObject)
}

// categoryBody reads the category of PATCH /tickets/{id}/category: {"id": n}
// sets it; null, {} or no body removes it. The obsolete form's
// {"categoryId": n} is accepted too.
func categoryBody(r *http.Request) (*int64, error) {
	var raw rawBody
	if err := httpapi.Decode(r, &raw, false); err != nil {
		return nil, err
	}
	b := bytes.TrimSpace(raw)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return nil, nil
	}
	if b[0] != '{' {
		var id int64
		if err := httpapi.Unmarshal(b, &id); err != nil {
			return nil, openboards.Errorf(openboards.CodeInvalid, "id: must be an integer or null")
		}
		return &id, nil
	}
	var req struct {
		ID         *int64 `json:"id"`
		CategoryID *int64 `json:"categoryId"`
	}
	if err := httpapi.Unmarshal(b, &req); err != nil {
		return nil, err
	}
	if req.ID == nil {
		return req.CategoryID, nil
	}
	return req.ID, nil
}

func (h *Handler) handleTicketCategory(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	catID, err := categoryBody(r)
	if err != nil {
		return err
	}
	if catID != nil && *catID == 0 {
		catID = nil
	}
	if err := h.tickets.UpdateTicketCategory(r.Context(), cm, id, catID); err != nil {
		return err
	}
	return h.ok(w, httpapi.EmptyObject)
}

// handleTicketCategoryObsolete is the superseded PUT form: the category in
// the categoryId query parameter or in the body as the current form takes.
func (h *Handler) handleTicketCategoryObsolete(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	if s, ok := httpapi.QueryValue(r, "categoryId"); ok && s != "" && !strings.EqualFold(s, "null") {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return openboards.Errorf(openboards.CodeInvalid, "categoryId: %q is not an integer", s)
		}
		id, err := httpapi.PathID(r, "id")
		if err != nil {
			return err
		}
		var catID *int64
		if n != 0 {
			catID = &n
		}
		if err := h.tickets.UpdateTicketCategory(r.Context(), cm, id, catID); err != nil {
			return err
		}
		return h.ok(w, httpapi.EmptyObject)
	}
	return h.handleTicketCategory(w, r, cm)
}

func (h *Handler) handleTicketTags(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	names, err := tagsRequest(r)
	if err != nil {
		return err
	}
	if err := h.tickets.SetTicketTags(r.Context(), cm, id, names); err != nil {
		return err
	}
	return h.ok(w, httpapi.EmptyObject)
}

func (h *Handler) handleTicketLog(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	skip, take, err := httpapi.Page(r)
	if err != nil {
		return err
	}
	var req struct {
		ActionTypes []string `json:"action_types"`
		Alt         []string `json:"actionTypes"`
	}
	if err := httpapi.Decode(r, &req, false); err != nil {
		return err
	}
	types := append(req.ActionTypes, req.Alt...)
	for i, t := range types {
		known := false
		for _, k := range openboards.ActionTypes {
			if strings.EqualFold(k, t) {
				types[i], known = k, true
			}
		}
		if !known {
			return openboards.Errorf(openboards.CodeInvalid, "action_types[%d]: unknown action type %q", i, t)
		}
	}
	if _, err := h.store.FindTicketByID(r.Context(), cm.ID, id); err != nil {
		return err
	}
	entries, err := h.store.FindLogEntries(r.Context(), cm.ID, id, types, skip, take)
	if err != nil {
		return err
	}
	out := make([]*logEntryJSON, len(entries))
	for i, e := range entries {
		out[i] = logEntryOut(e)
	}
	return h.ok(w, out)
}

// userRefRequest identifies a user: the Reply/Note Creator shape.
type userRefRequest struct {
	ID               string `json:"id"`
	Email            string `json:"email"`
	CustomIdentifier string `json:"customIdentifier"`
	// The other members of the User shape, accepted so that a user object
	// read from the API can name its user.
	Image  httpapi.Ignored `json:"image"`
	IsBot  httpapi.Ignored `json:"isBot"`
	Name   httpapi.Ignored `json:"name"`
	Status httpapi.Ignored `json:"status"`
}

func (u *userRefRequest) ref() openboards.UserRef {
	if u == nil {
		return openboards.UserRef{}
	}
	return openboards.UserRef{ID: strings.TrimSpace(u.ID), Email: strings.TrimSpace(u.Email), CustomIdentifier: strings.TrimSpace(u.CustomIdentifier)}
}

func (h *Handler) handleTicketRead(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		User *userRefRequest `json:"user"`
	}
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	if err := h.tickets.MarkRead(r.Context(), cm, id, req.User.ref()); err != nil {
		return err
	}
	return h.ok(w, httpapi.EmptyObject)
}
