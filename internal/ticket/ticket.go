package ticket

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"openboards/internal/live"
	"openboards/internal/openboards"
)

// CreatorInput identifies (and describes) the customer opening a ticket.
// An existing user is found by ID, else Email, else CustomIdentifier, and
// updated with the given details; otherwise a new customer is created.
type CreatorInput struct {
	ID               string
	Name             *string
	Email            *string
	CustomIdentifier *string
	Image            *string
	PhoneNumber      *string
}

// FieldValueInput sets one custom field; a nil or empty Value clears it.
type FieldValueInput struct {
	ID    int64
	Value *string
}

// CreateTicketInput is a new ticket as a client submits it.
type CreateTicketInput struct {
	// Source, DetailedSource and Channel say how the ticket came in; the
	// surface that takes it sets them (see NewTicket). Source and
	// DetailedSource are required.
	Source         string
	DetailedSource string
	Channel        string

	Title        string
	Message      string
	IsHTML       *bool // nil means true, as documented
	Creator      *CreatorInput
	AssigneeID   *string
	CategoryID   *int64
	CC           []string
	CustomFields []FieldValueInput
	Sentiment    *string
	SourceName   *string
	Tags         []string
	Attachments  []AttachmentInput
}

// CreateTicket validates in, stores the ticket (upserting its creator) and
// logs its creation, returning the new ticket id.
func (s *Service) CreateTicket(ctx context.Context, cm *openboards.Community, in CreateTicketInput) (int64, error) {
	nt := NewTicket{Source: in.Source, DetailedSource: in.DetailedSource, Channel: in.Channel, Title: strings.TrimSpace(in.Title)}
	if err := openboards.CheckLen("title", nt.Title, maxTitleLen); err != nil {
		return 0, err
	}
	isHTML := in.IsHTML == nil || *in.IsHTML
	var err error
	if nt.Message, nt.HTMLMessage, err = body("message", in.Message, isHTML); err != nil {
		return 0, err
	}
	if nt.Title == "" && nt.Message == "" {
		return 0, openboards.Errorf(openboards.CodeInvalid, "title: a ticket needs a title or a message")
	}
	if in.Creator == nil {
		return 0, openboards.Errorf(openboards.CodeInvalid, "creator: required")
	}
	if in.Sentiment != nil && *in.Sentiment != "" {
		v, err := openboards.ParseSentiment("sentiment", *in.Sentiment)
		if err != nil {
			return 0, err
		}
		nt.Sentiment = &v
	}
	if in.SourceName != nil {
		if v := strings.TrimSpace(*in.SourceName); v != "" {
			if err := openboards.CheckLen("sourceName", v, maxNameLen); err != nil {
				return 0, err
			}
			nt.SourceName = &v
		}
	}
	if nt.CC, err = emails("cc", in.CC); err != nil {
		return 0, err
	}
	if nt.Attachments, err = attachments("attachments", in.Attachments); err != nil {
		return 0, err
	}
	if nt.Tags, err = openboards.CleanTags("tags", in.Tags); err != nil {
		return 0, err
	}
	if in.AssigneeID != nil && (*in.AssigneeID == "" || strings.EqualFold(*in.AssigneeID, "null")) {
		in.AssigneeID = nil
	}
	cr, err := cleanCreator(in.Creator)
	if err != nil {
		return 0, err
	}

	var id int64
	err = s.InTx(ctx, cm, func(w *Writer) error {
		tx := w.Tx()
		// Everything below reads before it writes: the creator, the
		// custom fields, the tags and (for the webhook event) the
		// webhooks. Fetch them together.
		ahead := openboards.ReadAhead{CustomFields: true, Tags: nt.Tags, Webhooks: true}
		if cr.id == "" {
			ahead.UserEmail, ahead.UserCustomIdentifier = cr.email, cr.ci
		}
		if err := tx.ReadAhead(ctx, cm.ID, ahead); err != nil {
			return err
		}
		author, err := s.upsertCreator(ctx, tx, cm.ID, cr, w.Now())
		if err != nil {
			return err
		}
		nt := nt // a retried transaction starts from the validated input
		nt.Author = author
		if in.CategoryID != nil {
			cat, err := chosenCategory(ctx, tx, cm.ID, "categoryId", *in.CategoryID)
			if err != nil {
				return err
			}
			nt.CategoryID = &cat.ID
		}
		if in.AssigneeID != nil {
			if nt.Assignee, err = assignable(ctx, tx, cm.ID, "assigneeId", *in.AssigneeID); err != nil {
				return err
			}
		}
		if nt.CustomFields, err = ticketFieldValues(ctx, tx, cm.ID, "customFields", in.CustomFields); err != nil {
			return err
		}
		t, err := w.CreateTicket(ctx, nt)
		if err != nil {
			return err
		}
		id = t.ID
		return nil
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// creator is a ticket creator's details, validated.
type creator struct {
	id, email, ci, phone, image, name string
}

// cleanCreator validates the creator of a new ticket.
func cleanCreator(in *CreatorInput) (creator, error) {
	email, ci, phone := trimmed(in.Email), trimmed(in.CustomIdentifier), trimmed(in.PhoneNumber)
	if email != "" {
		if err := openboards.CheckEmail("creator.email", email); err != nil {
			return creator{}, err
		}
	}
	if err := openboards.CheckLen("creator.customIdentifier", ci, openboards.MaxCustomIdentifierLen); err != nil {
		return creator{}, err
	}
	ci = openboards.NormalizeCustomIdentifier(ci)
	if err := openboards.CheckLen("creator.phoneNumber", phone, openboards.MaxPhoneLen); err != nil {
		return creator{}, err
	}
	image := trimmed(in.Image)
	if err := openboards.CheckLen("creator.image", image, openboards.MaxURLLen); err != nil {
		return creator{}, err
	}
	if image != "" {
		if _, err := attachments("creator.image", []AttachmentInput{{URL: image, Name: "image"}}); err != nil {
			return creator{}, openboards.Errorf(openboards.CodeInvalid, "creator.image: must be an absolute http or https URL")
		}
	}
	name := strings.TrimSpace(trimmed(in.Name))
	if err := openboards.CheckLen("creator.name", name, maxNameLen); err != nil {
		return creator{}, err
	}
	if in.ID == "" && email == "" && ci == "" {
		return creator{}, openboards.Errorf(openboards.CodeInvalid, "creator: give an email or a customIdentifier")
	}
	return creator{id: in.ID, email: email, ci: ci, phone: phone, image: image, name: name}, nil
}

// upsertCreator finds or creates the customer of a new ticket.
func (s *Service) upsertCreator(ctx context.Context, tx openboards.Tx, communityID int64, in creator, now time.Time) (*openboards.User, error) {
	email, ci, phone, image, name := in.email, in.ci, in.phone, in.image, in.name
	find := func() (*openboards.User, error) {
		var u *openboards.User
		var err error
		switch {
		case in.id != "":
			return resolveUser(ctx, tx, communityID, "creator", openboards.UserRef{ID: in.id})
		case email != "":
			u, err = tx.FindUserByEmail(ctx, communityID, email)
		case ci != "":
			u, err = tx.FindUserByCustomIdentifier(ctx, communityID, ci)
		default:
			return nil, openboards.Errorf(openboards.CodeInvalid, "creator: give an email or a customIdentifier")
		}
		if openboards.ErrorCode(err) == openboards.CodeNotFound {
			return nil, nil
		}
		return u, err
	}
	u, err := find()
	if err != nil {
		return nil, err
	}
	if u == nil {
		if name == "" {
			name = email
			if name == "" {
				name = ci
			}
		}
		nu := &openboards.User{ID: openboards.NewID(), CommunityID: communityID, Name: name,
			Email: optional(email), CustomIdentifier: optional(ci), Image: optional(image), PhoneNumber: optional(phone),
			Status: openboards.StatusClient, CreatedAt: now}
		// Requests from a new customer often come in together: the one
		// whose insert finds the address taken by a concurrent transaction
		// (which it waits for) goes on with that customer rather than
		// failing and running again.
		created, err := tx.CreateUserUnlessTaken(ctx, nu)
		if err != nil || created {
			return nu, err
		}
		if u, err = find(); err != nil {
			return nil, err
		}
		if u == nil {
			// Taken by a customer the lookup does not find (the other of
			// e-mail and identifier): the plain insert says which.
			return nu, tx.CreateUser(ctx, nu)
		}
	}
	if u.Status != openboards.StatusClient {
		// A teammate or bot may open a ticket, but a ticket form must not be
		// a way to rename staff: their profile is left as it is.
		return u, nil
	}
	// Known customer: fill in what the request adds or changes.
	changed := false
	set := func(dst **string, v string) {
		if v != "" && (*dst == nil || **dst != v) {
			*dst, changed = &v, true
		}
	}
	if name != "" && name != u.Name {
		u.Name, changed = name, true
	}
	if email != "" && (u.Email == nil || openboards.NormalizeEmail(*u.Email) != openboards.NormalizeEmail(email)) {
		set(&u.Email, email)
	}
	set(&u.CustomIdentifier, ci)
	set(&u.Image, image)
	set(&u.PhoneNumber, phone)
	if changed {
		if err := tx.UpdateUser(ctx, u); err != nil {
			if openboards.ErrorCode(err) == openboards.CodeConflict {
				return nil, openboards.Errorf(openboards.CodeConflict, "creator: %s", openboards.ErrorMessage(err))
			}
			return nil, err
		}
	}
	return u, nil
}

func trimmed(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func tagNamesOf(tags []openboards.Tag) []string {
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = t.Name
	}
	return out
}

// chosenCategory returns the category id names, which tickets may use.
func chosenCategory(ctx context.Context, tx openboards.Reader, communityID int64, field string, id int64) (*openboards.Category, error) {
	cat, err := tx.FindCategoryByID(ctx, communityID, id)
	if openboards.ErrorCode(err) == openboards.CodeNotFound {
		return nil, openboards.Errorf(openboards.CodeInvalid, "%s: category %d not found", field, id)
	}
	if err != nil {
		return nil, err
	}
	if !cat.CanBeChosen {
		return nil, openboards.Errorf(openboards.CodeInvalid, "%s: category %d cannot be chosen for tickets", field, id)
	}
	return cat, nil
}

// assignable returns the teammate id names if tickets may be assigned to it.
func assignable(ctx context.Context, tx openboards.Reader, communityID int64, field, id string) (*openboards.User, error) {
	if !openboards.IsGUID(id) {
		return nil, openboards.Errorf(openboards.CodeInvalid, "%s: %q is not a GUID", field, id)
	}
	u, err := tx.FindUserByID(ctx, communityID, strings.ToLower(id))
	if openboards.ErrorCode(err) == openboards.CodeNotFound {
		return nil, openboards.Errorf(openboards.CodeInvalid, "%s: no teammate has id %s", field, id)
	}
	if err != nil {
		return nil, err
	}
	if u.Status != openboards.StatusTeam || !u.Role.CanBeAssigned() {
		return nil, openboards.Errorf(openboards.CodeInvalid, "%s: user %s cannot be assigned tickets (only admins and team members can)", field, u.ID)
	}
	return u, nil
}

// ticketFieldValues validates the custom field values of a new ticket,
// applies defaults and checks required fields.
func ticketFieldValues(ctx context.Context, tx openboards.Reader, communityID int64, field string, in []FieldValueInput) ([]openboards.FieldValue, error) {
	fields, err := tx.FindCustomFields(ctx, communityID)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*openboards.CustomField, len(fields))
	for _, f := range fields {
		byID[f.ID] = f
	}
	values := map[int64]string{}
	for i, v := range in {
		f := byID[v.ID]
		if f == nil {
			return nil, openboards.Errorf(openboards.CodeInvalid, "%s[%d].id: custom field %d not found", field, i, v.ID)
		}
		if v.Value == nil || *v.Value == "" {
			continue
		}
		nv, err := f.NormalizeValue(*v.Value)
		if err != nil {
			return nil, openboards.Errorf(openboards.CodeInvalid, "%s[%d].value: %s", field, i, openboards.ErrorMessage(err))
		}
		values[f.ID] = nv
	}
	out := []openboards.FieldValue{}
	for _, f := range fields {
		v, ok := values[f.ID]
		if !ok && f.DefaultValue != nil && *f.DefaultValue != "" {
			v, ok = *f.DefaultValue, true
		}
		if !ok {
			if f.IsRequired {
				return nil, openboards.Errorf(openboards.CodeInvalid, "%s: custom field %d (%q) is required", field, f.ID, f.Name)
			}
			continue
		}
		out = append(out, openboards.FieldValue{FieldID: f.ID, Value: v})
	}
	return out, nil
}

// UpdateTicketStatus sets a ticket's status and logs the change.
func (s *Service) UpdateTicketStatus(ctx context.Context, cm *openboards.Community, ticketID int64, status string) error {
	st, err := openboards.ParseTicketStatus("status", status)
	if err != nil {
		return err
	}
	return s.InTx(ctx, cm, func(w *Writer) error {
		t, err := w.LockTicket(ctx, ticketID)
		if err != nil {
			return err
		}
		return w.SetStatus(ctx, t, cm.APIUserID, st)
	})
}

// UpdateTicketAssignee assigns a ticket to a teammate (nil unassigns) if it is
// currently assigned to previous (nil: unassigned), and logs the change. A
// mismatch reports CodeConflict: someone else changed the assignee first.
func (s *Service) UpdateTicketAssignee(ctx context.Context, cm *openboards.Community, ticketID int64, assigneeID, previous *string) error {
	return s.InTx(ctx, cm, func(w *Writer) error {
		t, err := w.LockTicket(ctx, ticketID)
		if err != nil {
			return err
		}
		current := ""
		if t.AssigneeID != nil {
			current = *t.AssigneeID
		}
		want := ""
		if previous != nil {
			want = strings.ToLower(*previous)
		}
		if current != want {
			if current == "" {
				return openboards.Errorf(openboards.CodeConflict, "previousAssigneeId: the ticket is unassigned, not assigned to %s", want)
			}
			return openboards.Errorf(openboards.CodeConflict, "previousAssigneeId: the ticket is assigned to %s", current)
		}
		var next *openboards.User
		if assigneeID != nil {
			if next, err = assignable(ctx, w.Tx(), cm.ID, "assigneeId", *assigneeID); err != nil {
				return err
			}
		}
		return w.SetAssignee(ctx, t, cm.APIUserID, next)
	})
}

// UpdateTicketCategory moves a ticket to a category (nil: uncategorised) and logs
// the change.
func (s *Service) UpdateTicketCategory(ctx context.Context, cm *openboards.Community, ticketID int64, categoryID *int64) error {
	return s.InTx(ctx, cm, func(w *Writer) error {
		tx := w.Tx()
		t, err := w.LockTicket(ctx, ticketID)
		if err != nil {
			return err
		}
		var next *openboards.Category
		if categoryID != nil {
			if next, err = chosenCategory(ctx, tx, cm.ID, "id", *categoryID); err != nil {
				return err
			}
		}
		if (next == nil && t.CategoryID == nil) || (next != nil && t.CategoryID != nil && *t.CategoryID == next.ID) {
			return nil
		}
		u := touch(w.Now())
		var id *int64
		if next != nil {
			id = &next.ID
		}
		u.CategoryID = &id
		if err := tx.UpdateTicket(ctx, cm.ID, ticketID, u); err != nil {
			return err
		}
		if err := w.Log(ctx, categoryEntry(t, cm.APIUserID, t.Category, next)); err != nil {
			return err
		}
		if err := w.Record(ctx, openboards.Change{Type: openboards.EventTicketCategoryChange, TicketID: ticketID, PreviousCategoryID: t.CategoryID}); err != nil {
			return err
		}
		w.queue(live.TicketChanged, ticketID, cm.APIUserID, nil)
		return nil
	})
}

// SetTicketTags replaces a ticket's tags and logs the change.
func (s *Service) SetTicketTags(ctx context.Context, cm *openboards.Community, ticketID int64, names []string) error {
	names, err := openboards.CleanTags("tags", names)
	if err != nil {
		return err
	}
	return s.InTx(ctx, cm, func(w *Writer) error {
		tx := w.Tx()
		t, err := w.LockTicket(ctx, ticketID)
		if err != nil {
			return err
		}
		tags, err := tx.UpsertTags(ctx, cm.ID, names)
		if err != nil {
			return err
		}
		next := tagNamesOf(tags)
		if slices.Equal(t.Tags, next) {
			return nil
		}
		u := touch(w.Now())
		u.Tags = &next
		if err := tx.UpdateTicket(ctx, cm.ID, ticketID, u); err != nil {
			return err
		}
		if err := w.Log(ctx, tagsEntry(t, cm.APIUserID, openboards.ActionTicketTagsChanged, "the ticket", tags)); err != nil {
			return err
		}
		if err := w.Record(ctx, openboards.Change{Type: openboards.EventTicketTagsChange, TicketID: ticketID, PreviousTags: t.Tags}); err != nil {
			return err
		}
		w.queue(live.TicketChanged, ticketID, cm.APIUserID, nil)
		return nil
	})
}

// SetTicketFieldValues sets custom field values of a ticket (an empty value
// clears one) and logs each change. A required field cannot be cleared.
func (s *Service) SetTicketFieldValues(ctx context.Context, cm *openboards.Community, ticketID int64, in []FieldValueInput) error {
	if len(in) == 0 {
		return openboards.Errorf(openboards.CodeInvalid, "id: give a custom field id and value")
	}
	return s.InTx(ctx, cm, func(w *Writer) error {
		tx := w.Tx()
		t, err := w.LockTicket(ctx, ticketID)
		if err != nil {
			return err
		}
		current := make(map[int64]string, len(t.CustomFields))
		for _, v := range t.CustomFields {
			current[v.FieldID] = v.Value
		}
		changed := false
		for i, v := range in {
			field := "id"
			if len(in) > 1 {
				field = "[" + strconv.Itoa(i) + "].id"
			}
			f, err := tx.FindCustomFieldByID(ctx, cm.ID, v.ID)
			if openboards.ErrorCode(err) == openboards.CodeNotFound {
				return openboards.Errorf(openboards.CodeInvalid, "%s: custom field %d not found", field, v.ID)
			}
			if err != nil {
				return err
			}
			next := ""
			if v.Value != nil && *v.Value != "" {
				if next, err = f.NormalizeValue(*v.Value); err != nil {
					return openboards.Errorf(openboards.CodeInvalid, "%svalue: %s", strings.TrimSuffix(field, "id"), openboards.ErrorMessage(err))
				}
			}
			if next == "" && f.IsRequired {
				return openboards.Errorf(openboards.CodeInvalid, "%svalue: custom field %d (%q) is required and cannot be cleared", strings.TrimSuffix(field, "id"), f.ID, f.Name)
			}
			prev := current[f.ID]
			if prev == next {
				continue
			}
			if err := tx.SetTicketFieldValue(ctx, cm.ID, ticketID, f.ID, next); err != nil {
				return err
			}
			current[f.ID] = next
			changed = true
			if err := w.Log(ctx, fieldEntry(t, cm.APIUserID, f, prev, next)); err != nil {
				return err
			}
		}
		if !changed {
			return nil
		}
		if err := tx.UpdateTicket(ctx, cm.ID, ticketID, touch(w.Now())); err != nil {
			return err
		}
		w.queue(live.TicketChanged, ticketID, cm.APIUserID, nil)
		return nil
	})
}

// MarkRead records that a teammate read a ticket.
func (s *Service) MarkRead(ctx context.Context, cm *openboards.Community, ticketID int64, reader openboards.UserRef) error {
	return s.InTx(ctx, cm, func(w *Writer) error {
		t, err := w.LockTicket(ctx, ticketID)
		if err != nil {
			return err
		}
		u, err := teammate(ctx, w.Tx(), cm.ID, "user", reader)
		if err != nil {
			return err
		}
		if err := w.Log(ctx, Entry{Ticket: t, UserID: u.ID, Type: openboards.ActionTicketRead, Text: "read the ticket"}); err != nil {
			return err
		}
		w.queue(live.TicketChanged, ticketID, u.ID, nil)
		return nil
	})
}
