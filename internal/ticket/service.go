// Package ticket holds the use-cases of the Ticket API: every write to
// tickets, replies, notes, tags, categories, custom fields, user groups and
// widget schedules. Each write runs in one store transaction together with
// the action-log entries it causes, so a change and its history commit or
// fail together.
package ticket

import (
	"context"
	"strings"
	"time"

	"openboards/internal/openboards"
	"openboards/internal/richtext"
)

// Service performs the Ticket API's writes for any community.
type Service struct {
	store  openboards.Store
	now    func() time.Time
	events Recorder
}

// Recorder records the webhook event of a change inside the transaction
// that makes it.
type Recorder interface {
	Record(ctx context.Context, tx openboards.Tx, cm *openboards.Community, c openboards.Change, at time.Time) error
}

// SetRecorder makes every change that raises a webhook event record it
// with r.
func (s *Service) SetRecorder(r Recorder) { s.events = r }

// record records the event of change c, when events are recorded.
func (s *Service) record(ctx context.Context, tx openboards.Tx, cm *openboards.Community, c openboards.Change, at time.Time) error {
	if s.events == nil {
		return nil
	}
	return s.events.Record(ctx, tx, cm, c, at)
}

// NewService returns a Service on store; now is the clock (time.Now in
// production, a fixed clock in tests).
func NewService(store openboards.Store, now func() time.Time) *Service {
	return &Service{store: store, now: now}
}

// clock returns the time for one operation, in UTC and at the 100 ns
// precision the API prints, so what is stored is what is shown.
func (s *Service) clock() time.Time {
	return s.now().UTC().Truncate(100 * time.Nanosecond)
}

// Limits on free text; the limits of messages, attachments and tags are
// the domain's (openboards.MaxMessageLen and the rest).
const (
	maxTitleLen = 1000
	maxNameLen  = 200
	maxListLen  = 100
)

// AttachmentInput is a file link in a request.
type AttachmentInput struct {
	URL  string
	Name string
}

// attachments validates request attachments, naming them under field.
func attachments(field string, in []AttachmentInput) ([]openboards.Attachment, error) {
	as := make([]openboards.Attachment, len(in))
	for i, a := range in {
		as[i] = openboards.Attachment{URL: a.URL, Name: a.Name}
	}
	return openboards.CleanAttachments(field, as)
}

// emails validates a list of e-mail addresses.
func emails(field string, in []string) ([]string, error) {
	if len(in) > maxListLen {
		return nil, openboards.Errorf(openboards.CodeInvalid, "%s: more than %d addresses", field, maxListLen)
	}
	out := make([]string, 0, len(in))
	for i, e := range in {
		e = strings.TrimSpace(e)
		if !openboards.ValidEmail(e) {
			return nil, openboards.Errorf(openboards.CodeInvalid, "%s[%d]: %q is not an e-mail address", field, i, e)
		}
		out = append(out, e)
	}
	return out, nil
}

// body renders a message as sanitised HTML and plain text.
func body(field, message string, isHTML bool) (text, html string, err error) {
	if err := openboards.ValidateMessage(field, message); err != nil {
		return "", "", err
	}
	if isHTML {
		html = richtext.Sanitize(message)
		return richtext.Text(html), html, nil
	}
	text = strings.TrimSpace(message)
	return text, richtext.FromText(text), nil
}

// resolveUser finds the user a UserRef names: by id, else e-mail, else
// custom identifier.
func resolveUser(ctx context.Context, tx openboards.Reader, communityID int64, field string, ref openboards.UserRef) (*openboards.User, error) {
	var u *openboards.User
	var err error
	switch {
	case ref.ID != "":
		if !openboards.IsGUID(ref.ID) {
			return nil, openboards.Errorf(openboards.CodeInvalid, "%s.id: %q is not a GUID", field, ref.ID)
		}
		u, err = tx.FindUserByID(ctx, communityID, strings.ToLower(ref.ID))
	case ref.Email != "":
		u, err = tx.FindUserByEmail(ctx, communityID, ref.Email)
	case ref.CustomIdentifier != "":
		u, err = tx.FindUserByCustomIdentifier(ctx, communityID, ref.CustomIdentifier)
	default:
		return nil, openboards.Errorf(openboards.CodeInvalid, "%s: required (give id, email or customIdentifier)", field)
	}
	if openboards.ErrorCode(err) == openboards.CodeNotFound {
		return nil, openboards.Errorf(openboards.CodeInvalid, "%s: %s", field, openboards.ErrorMessage(err))
	}
	return u, err
}

// teammate resolves ref and requires a teammate.
func teammate(ctx context.Context, tx openboards.Reader, communityID int64, field string, ref openboards.UserRef) (*openboards.User, error) {
	u, err := resolveUser(ctx, tx, communityID, field, ref)
	if err != nil {
		return nil, err
	}
	if u.Status != openboards.StatusTeam {
		return nil, openboards.Errorf(openboards.CodeInvalid, "%s: user %s is not a teammate", field, u.ID)
	}
	return u, nil
}

// touch is the ticket update that records activity at now.
func touch(now time.Time) openboards.TicketUpdate {
	return openboards.TicketUpdate{UpdatedAt: now}
}

// lockTicket locks a ticket for the rest of the transaction and reads it:
// every change of an existing ticket starts here, so that two changes of
// one ticket take turns and the second reads what the first left.
func lockTicket(ctx context.Context, tx openboards.Tx, communityID, id int64) (*openboards.Ticket, error) {
	if err := tx.LockTicket(ctx, communityID, id); err != nil {
		return nil, err
	}
	return tx.FindTicketByID(ctx, communityID, id)
}
