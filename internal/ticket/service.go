// Package ticket holds the ticket use-cases: every write to tickets,
// replies, notes, tags, categories, custom fields, user groups and widget
// schedules. Each write runs in one store transaction together with the
// action-log entries and webhook events it causes, so a change and its
// history commit or fail together, and publishes its live events once it
// has committed.
//
// The transaction-scoped building blocks (Service.InTx and Writer: create a
// ticket with a given source and channel, add a reply or note, move the
// status or assignee, write a log entry, record a webhook event) are
// exported so that every surface that creates or changes tickets (the
// Ticket API, chat, the widget, e-mail) writes them the same way.
package ticket

import (
	"context"
	"fmt"
	"strings"
	"time"

	"openboards/internal/live"
	"openboards/internal/openboards"
	"openboards/internal/richtext"
)

// Service performs the ticket writes of every community. Each write runs
// in one store transaction (see InTx) together with the log entries and
// webhook events it causes, so a change and its history commit or fail
// together; its live events are published once it has committed.
type Service struct {
	store  openboards.Store
	now    func() time.Time
	events Recorder
	pub    live.Publisher
}

// Recorder records the webhook event of a change inside the transaction
// that makes it.
type Recorder interface {
	Record(ctx context.Context, tx openboards.Tx, cm *openboards.Community, c openboards.Change, at time.Time) error
}

// NoEvents is a Recorder that records nothing, for tests and tools that
// send no webhooks.
var NoEvents Recorder = noEvents{}

type noEvents struct{}

func (noEvents) Record(context.Context, openboards.Tx, *openboards.Community, openboards.Change, time.Time) error {
	return nil
}

// NewService returns a Service on store that records the webhook events of
// its changes with events and publishes their live events to pub after
// they commit; now is the clock (time.Now in production, a fixed clock in
// tests). events and pub are required, so that no wiring drops events
// without saying so: pass NoEvents and live.Discard for none. NewService
// panics if either is nil.
func NewService(store openboards.Store, events Recorder, pub live.Publisher, now func() time.Time) *Service {
	if events == nil {
		panic("ticket: NewService: nil Recorder (pass ticket.NoEvents to record no webhook events)")
	}
	if pub == nil {
		panic("ticket: NewService: nil live.Publisher (pass live.Discard to publish no live events)")
	}
	return &Service{store: store, now: now, events: events, pub: pub}
}

// InTx runs fn in one write transaction of community cm and publishes the
// live events fn queued once the transaction has committed; nothing is
// published if fn or the commit fails. When the store retries the
// transaction (a PostgreSQL serialization failure, say), fn runs again with
// a fresh Writer, so only the events of the attempt that committed are
// published. Every row the transaction writes carries one time.
func (s *Service) InTx(ctx context.Context, cm *openboards.Community, fn func(*Writer) error) error {
	now := s.clock()
	var w *Writer
	err := s.store.InTx(ctx, func(tx openboards.Tx) error {
		w = &Writer{tx: &writerTx{Tx: tx}, cm: cm, now: now, events: s.events}
		return fn(w)
	})
	if err != nil {
		return err
	}
	if w != nil && len(w.queued) > 0 {
		s.pub.Publish(w.queued...)
	}
	return nil
}

// Announce publishes live events that change nothing stored (someone
// typing), at once, to the same subscribers as those of committed changes.
func (s *Service) Announce(events ...live.Event) { s.pub.Publish(events...) }

// writerTx is the transaction a Writer writes in. It keeps the
// community's webhooks once read: every event the transaction records
// looks them up (a chat message records two), and a ticket transaction
// never changes them.
type writerTx struct {
	openboards.Tx
	hooks   []*openboards.Webhook
	hooksOf int64 // the community hooks belong to; 0 before the first read
}

func (tx *writerTx) FindWebhooks(ctx context.Context, communityID int64) ([]*openboards.Webhook, error) {
	if tx.hooksOf == communityID && communityID != 0 {
		return tx.hooks, nil
	}
	hooks, err := tx.Tx.FindWebhooks(ctx, communityID)
	if err == nil {
		tx.hooks, tx.hooksOf = hooks, communityID
	}
	return hooks, err
}

// clock returns the time for one operation, in UTC and at the 100 ns
// precision the API prints, so what is stored is what is shown.
func (s *Service) clock() time.Time {
	return s.now().UTC().Truncate(100 * time.Nanosecond)
}

// Limits on free text; the limits of messages, attachments and tags are
// the domain's (openboards.MaxMessageLen and the rest).
const (
	maxTitleLen = openboards.MaxTitleLen
	maxNameLen  = openboards.MaxNameLen
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
		if err := openboards.CheckEmail(fmt.Sprintf("%s[%d]", field, i), e); err != nil {
			return nil, err
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
