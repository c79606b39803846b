// Package chat holds the External Chat API's use-cases: conversations
// (tickets with source chat), their messages, bots and takeover, feedback,
// the client's page and the queue. Every write goes through the ticket
// building blocks (ticket.Service.InTx and ticket.Writer), so a
// conversation has one log, one search index and one stream of webhook and
// live events with the ticket it is.
package chat

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"openboards/internal/openboards"
	"openboards/internal/richtext"
	"openboards/internal/ticket"
)

// Limits of one request.
const (
	// MaxMessages bounds the messages of one add-messages request.
	MaxMessages = 100
	// MaxPage bounds a page of messages, as documented.
	MaxPage = 100
	// FutureSlack is how far in the future a message's creationTime may
	// be, as documented.
	FutureSlack    = 30 * time.Second
	maxFeedbackLen = 2000
)

// Service performs the chat use-cases of every community.
type Service struct {
	store   openboards.Store
	tickets *ticket.Service
	now     func() time.Time
	router  *router
}

// NewService returns a Service writing through tickets; now is the clock.
func NewService(store openboards.Store, tickets *ticket.Service, now func() time.Time) *Service {
	return &Service{store: store, tickets: tickets, now: now, router: newRouter()}
}

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now() }

// UserValue is a message or conversation author as a client names them.
type UserValue struct {
	ID, Email, CustomIdentifier, Name, Image string
	IsBot                                    bool
}

// CreateInput is a new conversation.
type CreateInput struct {
	Author       *UserValue
	Title        string
	URL          *string
	Sentiment    *string
	CategoryID   *int64
	IsBotEnabled bool
	Fields       []ticket.FieldValueInput
	// DetailedSource is the channel that opens it; empty means the API.
	DetailedSource string
}

// MessageInput is one message to add.
type MessageInput struct {
	Author       *UserValue
	Message      string
	CreationTime *time.Time
	IsByTeam     *bool
	// ClientID, when given, makes the message idempotent: a message with
	// an id already used in the conversation is not added again.
	ClientID string
}

// View is a conversation as the API shows it.
type View struct {
	Ticket       *openboards.Ticket
	Conversation *openboards.Conversation
	Queue        openboards.QueueInfo
	Messages     []*openboards.Reply
}

// Create opens a conversation and returns it.
func (s *Service) Create(ctx context.Context, cm *openboards.Community, in CreateInput) (*View, error) {
	p, err := prepareCreate(in)
	if err != nil {
		return nil, err
	}
	var id int64
	err = s.tickets.InTx(ctx, cm, func(w *ticket.Writer) error {
		t, err := s.create(ctx, w, p)
		if err == nil {
			id = t.ID
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, cm, id, false, openboards.NewestFirst)
}

// preparedCreate is a new conversation checked and trimmed.
type preparedCreate struct {
	in        CreateInput
	title     string
	page      *string
	sentiment *string
	detailed  string
}

// prepareCreate checks what needs no database.
func prepareCreate(in CreateInput) (preparedCreate, error) {
	p := preparedCreate{in: in, title: strings.TrimSpace(in.Title), detailed: in.DetailedSource}
	if err := openboards.CheckLen("title", p.title, openboards.MaxTitleLen); err != nil {
		return p, err
	}
	if err := checkValue("author", in.Author); err != nil {
		return p, err
	}
	var err error
	if p.page, err = pageURL("url", in.URL); err != nil {
		return p, err
	}
	v := "question"
	if in.Sentiment != nil && *in.Sentiment != "" {
		if v, err = openboards.ParseSentiment("sentiment", *in.Sentiment); err != nil {
			return p, err
		}
	}
	p.sentiment = &v
	if p.detailed == "" {
		p.detailed = openboards.DetailedSourceChatAPI
	}
	return p, nil
}

// create opens the conversation p in w's transaction.
func (s *Service) create(ctx context.Context, w *ticket.Writer, p preparedCreate) (*openboards.Ticket, error) {
	tx, cm, in := w.Tx(), w.Community(), p.in
	author, err := s.author(ctx, w, "author", in.Author)
	if err != nil {
		return nil, err
	}
	nt := ticket.NewTicket{Title: p.title, Author: author, DetailedSource: p.detailed, Sentiment: p.sentiment}
	if nt.Title == "" {
		nt.Title = "Chat with " + author.Name
	}
	if in.CategoryID != nil {
		if nt.CategoryID, err = ticket.ChosenCategory(ctx, tx, cm.ID, "categoryId", *in.CategoryID); err != nil {
			return nil, err
		}
	}
	if nt.CustomFields, err = ticket.FieldValues(ctx, tx, cm.ID, "fields", in.Fields); err != nil {
		return nil, err
	}
	t, _, err := w.CreateConversation(ctx, ticket.NewConversation{Ticket: nt, PageURL: p.page, BotEnabled: in.IsBotEnabled})
	return t, err
}

// Get returns a conversation, with its latest (or earliest) 100 messages
// when withMessages.
func (s *Service) Get(ctx context.Context, cm *openboards.Community, id int64, withMessages bool, order openboards.MessageOrder) (*View, error) {
	t, cv, err := s.find(ctx, s.store, cm, id)
	if err != nil {
		return nil, err
	}
	v := &View{Ticket: t, Conversation: cv, Messages: []*openboards.Reply{}}
	if v.Queue, err = openboards.FindQueueInfo(ctx, s.store, cv, s.now()); err != nil {
		return nil, err
	}
	if withMessages {
		if v.Messages, err = s.store.FindConversationMessages(ctx, cm.ID, id, order, 0, MaxPage); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// Messages lists a page of a conversation's messages.
func (s *Service) Messages(ctx context.Context, cm *openboards.Community, id int64, order openboards.MessageOrder, skip, take int) ([]*openboards.Reply, error) {
	if skip < 0 {
		return nil, openboards.Errorf(openboards.CodeInvalid, "skip: must not be negative")
	}
	if take < 0 || take > MaxPage {
		return nil, openboards.Errorf(openboards.CodeInvalid, "take: must be between 0 and %d", MaxPage)
	}
	if _, err := s.store.FindConversation(ctx, cm.ID, id); err != nil {
		return nil, err
	}
	return s.store.FindConversationMessages(ctx, cm.ID, id, order, skip, take)
}

// Queue returns a conversation's place in the queue.
func (s *Service) Queue(ctx context.Context, cm *openboards.Community, id int64) (openboards.QueueInfo, error) {
	cv, err := s.store.FindConversation(ctx, cm.ID, id)
	if err != nil {
		return openboards.QueueInfo{}, err
	}
	return openboards.FindQueueInfo(ctx, s.store, cv, s.now())
}

// Takeover reports whether a bot holds a conversation.
func (s *Service) Takeover(ctx context.Context, cm *openboards.Community, id int64) (bool, error) {
	cv, err := s.store.FindConversation(ctx, cm.ID, id)
	if err != nil {
		return false, err
	}
	return cv.IsAssignedToBot, nil
}

// find reads a conversation and its ticket.
func (s *Service) find(ctx context.Context, r openboards.Reader, cm *openboards.Community, id int64) (*openboards.Ticket, *openboards.Conversation, error) {
	cv, err := r.FindConversation(ctx, cm.ID, id)
	if err != nil {
		return nil, nil, err
	}
	t, err := r.FindTicketByID(ctx, cm.ID, id)
	if err != nil {
		return nil, nil, err
	}
	return t, cv, nil
}

// AddMessages adds messages to an open conversation as they happen (or
// happened: a creationTime in the past imports history); each raises
// conversation_message_added. With context, they are earlier messages
// from elsewhere: no events, and no bot sees them.
func (s *Service) AddMessages(ctx context.Context, cm *openboards.Community, id int64, in []MessageInput, context bool) ([]*openboards.Reply, error) {
	cleaned, err := s.prepareMessages(in)
	if err != nil {
		return nil, err
	}
	var out []*openboards.Reply
	err = s.tickets.InTx(ctx, cm, func(w *ticket.Writer) error {
		t, err := w.LockTicket(ctx, id)
		if err != nil {
			return err
		}
		out, err = s.addMessages(ctx, w, t, in, cleaned, context)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// cleanMessage is a message's text trimmed and its time checked.
type cleanMessage struct {
	text string
	at   time.Time
}

// prepareMessages checks what needs no database.
func (s *Service) prepareMessages(in []MessageInput) ([]cleanMessage, error) {
	if len(in) == 0 {
		return nil, openboards.Errorf(openboards.CodeInvalid, "body: give at least one message")
	}
	if len(in) > MaxMessages {
		return nil, openboards.Errorf(openboards.CodeInvalid, "body: at most %d messages at once", MaxMessages)
	}
	received := s.now()
	cleaned := make([]cleanMessage, len(in))
	for i, m := range in {
		field := fmt.Sprintf("[%d]", i)
		if err := checkValue(field+".author", m.Author); err != nil {
			return nil, err
		}
		if err := openboards.ValidateMessage(field+".message", m.Message); err != nil {
			return nil, err
		}
		text := strings.TrimSpace(m.Message)
		if text == "" {
			return nil, openboards.Errorf(openboards.CodeInvalid, "%s.message: required", field)
		}
		if m.CreationTime != nil {
			if m.CreationTime.After(received.Add(FutureSlack)) {
				return nil, openboards.Errorf(openboards.CodeInvalid, "%s.creationTime: more than %d seconds in the future", field, int(FutureSlack.Seconds()))
			}
			cleaned[i].at = m.CreationTime.UTC().Truncate(100 * time.Nanosecond)
		}
		if err := openboards.CheckLen(field+".clientMessageId", m.ClientID, openboards.MaxClientMessageIDLen); err != nil {
			return nil, err
		}
		cleaned[i].text = text
	}
	return cleaned, nil
}

// addMessages adds the prepared messages to conversation t (locked) in
// w's transaction.
func (s *Service) addMessages(ctx context.Context, w *ticket.Writer, t *openboards.Ticket, in []MessageInput, cleaned []cleanMessage, context bool) ([]*openboards.Reply, error) {
	tx, cm, id := w.Tx(), w.Community(), t.ID
	if !t.IsConversation() {
		return nil, openboards.Errorf(openboards.CodeNotFound, "conversation %d not found", id)
	}
	if t.Status == openboards.TicketCompleted {
		return nil, openboards.Errorf(openboards.CodeConflict, "conversation %d is closed: start a new conversation", id)
	}
	var out []*openboards.Reply
	for i, m := range in {
		field := fmt.Sprintf("[%d]", i)
		if m.ClientID != "" {
			rid, err := tx.FindMessageByClientID(ctx, cm.ID, id, m.ClientID)
			if err == nil {
				r, err := tx.FindReplyByID(ctx, cm.ID, id, rid)
				if err != nil {
					return nil, err
				}
				out = append(out, r)
				continue
			}
			if openboards.ErrorCode(err) != openboards.CodeNotFound {
				return nil, err
			}
		}
		author, err := s.author(ctx, w, field+".author", m.Author)
		if err != nil {
			return nil, err
		}
		byTeam := author.Status != openboards.StatusClient
		if m.IsByTeam != nil && *m.IsByTeam != byTeam {
			if *m.IsByTeam {
				return nil, openboards.Errorf(openboards.CodeInvalid, "%s.isByTeam: the author is not a teammate or bot of the community", field)
			}
			return nil, openboards.Errorf(openboards.CodeInvalid, "%s.isByTeam: the author is a teammate, not a client", field)
		}
		r := &openboards.Reply{Author: author, Message: cleaned[i].text, HTMLMessage: richtext.FromText(cleaned[i].text)}
		if context {
			r.CreatedAt = cleaned[i].at
			if r.CreatedAt.IsZero() {
				r.CreatedAt = w.Now()
			}
			err = w.AddEarlierMessage(ctx, t, r)
		} else {
			err = w.AddReply(ctx, t, r, ticket.ReplyOptions{CreatedAt: cleaned[i].at})
		}
		if err != nil {
			return nil, err
		}
		if m.ClientID != "" {
			if err := tx.CreateMessageClientID(ctx, cm.ID, id, m.ClientID, r.ID); err != nil {
				return nil, err
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// SetTakeover hands a conversation to people (isAssignedToBot false,
// optionally to assignee) or back to its bot, recording
// conversation_takeover_state_changed when the state changes.
func (s *Service) SetTakeover(ctx context.Context, cm *openboards.Community, id int64, isAssignedToBot bool, assigneeID *string) (bool, error) {
	var state bool
	err := s.tickets.InTx(ctx, cm, func(w *ticket.Writer) error {
		t, cv, err := s.lock(ctx, w, id)
		if err != nil {
			return err
		}
		if assigneeID != nil {
			u, err := ticket.Assignable(ctx, w.Tx(), cm.ID, "assigneeId", *assigneeID)
			if err != nil {
				return err
			}
			if err := w.SetAssignee(ctx, t, cm.APIUserID, u); err != nil {
				return err
			}
			if cv, err = w.Tx().FindConversation(ctx, cm.ID, id); err != nil {
				return err
			}
		}
		state = isAssignedToBot
		if cv.IsAssignedToBot == isAssignedToBot {
			return nil
		}
		cv.IsAssignedToBot = isAssignedToBot
		if err := w.SaveConversation(ctx, t, cv); err != nil {
			return err
		}
		return w.Record(ctx, openboards.Change{Type: openboards.EventConversationTakeover, TicketID: id})
	})
	return state, err
}

// SetFeedback stores the client's verdict, open or closed; a second call
// replaces the first.
func (s *Service) SetFeedback(ctx context.Context, cm *openboards.Community, id int64, f openboards.Feedback) (*openboards.Feedback, error) {
	f.Text = strings.TrimSpace(f.Text)
	if err := openboards.CheckLen("text", f.Text, maxFeedbackLen); err != nil {
		return nil, err
	}
	err := s.tickets.InTx(ctx, cm, func(w *ticket.Writer) error {
		t, cv, err := s.lock(ctx, w, id)
		if err != nil {
			return err
		}
		cv.Feedback = &f
		return w.SaveConversation(ctx, t, cv)
	})
	return &f, err
}

// SetLatestURL stores the page the client is on now.
func (s *Service) SetLatestURL(ctx context.Context, cm *openboards.Community, id int64, raw string) (*View, error) {
	page, err := pageURL("url", &raw)
	if err != nil {
		return nil, err
	}
	if page == nil {
		return nil, openboards.Errorf(openboards.CodeInvalid, "url: required")
	}
	err = s.tickets.InTx(ctx, cm, func(w *ticket.Writer) error {
		t, cv, err := s.lock(ctx, w, id)
		if err != nil {
			return err
		}
		cv.LatestPageURL = page
		return w.SaveConversation(ctx, t, cv)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, cm, id, false, openboards.NewestFirst)
}

// Close ends a conversation (its ticket completed): it leaves the queue and
// conversation_closed is recorded. Closing a closed conversation changes
// nothing.
func (s *Service) Close(ctx context.Context, cm *openboards.Community, id int64) (*View, error) {
	err := s.tickets.InTx(ctx, cm, func(w *ticket.Writer) error {
		t, _, err := s.lock(ctx, w, id)
		if err != nil {
			return err
		}
		return w.SetStatus(ctx, t, t.AuthorID, openboards.TicketCompleted)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, cm, id, false, openboards.NewestFirst)
}

func (s *Service) lock(ctx context.Context, w *ticket.Writer, id int64) (*openboards.Ticket, *openboards.Conversation, error) {
	t, err := w.LockTicket(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	cv, err := w.Tx().FindConversation(ctx, t.CommunityID, id)
	if err != nil {
		return nil, nil, err
	}
	return t, cv, nil
}

// checkValue validates a user value before any lookup.
func checkValue(field string, v *UserValue) error {
	if v == nil {
		return openboards.Errorf(openboards.CodeInvalid, "%s: required", field)
	}
	for _, c := range []struct {
		name, value string
		max         int
	}{
		{"id", v.ID, 36}, {"email", v.Email, openboards.MaxEmailLen}, {"customIdentifier", v.CustomIdentifier, openboards.MaxCustomIdentifierLen},
		{"name", v.Name, openboards.MaxNameLen}, {"image", v.Image, openboards.MaxURLLen},
	} {
		if err := openboards.CheckLen(field+"."+c.name, strings.TrimSpace(c.value), c.max); err != nil {
			return err
		}
	}
	if img := strings.TrimSpace(v.Image); img != "" {
		if !absoluteURL(img) {
			return openboards.Errorf(openboards.CodeInvalid, "%s.image: must be an absolute http or https URL", field)
		}
	}
	if v.IsBot {
		return nil
	}
	if strings.TrimSpace(v.ID) == "" && strings.TrimSpace(v.Email) == "" && strings.TrimSpace(v.CustomIdentifier) == "" {
		return openboards.Errorf(openboards.CodeInvalid, "%s: give id, email or customIdentifier (or isBot)", field)
	}
	if id := strings.TrimSpace(v.ID); id != "" && !openboards.IsGUID(id) {
		return openboards.Errorf(openboards.CodeInvalid, "%s.id: %q is not a GUID", field, id)
	}
	if e := strings.TrimSpace(v.Email); e != "" {
		if err := openboards.CheckEmail(field+".email", e); err != nil {
			return err
		}
	}
	return nil
}

// author resolves a user value: the system bot for isBot; else by id, then
// e-mail, then custom identifier (a lower-priority identifier is only used
// when the higher ones match nobody); else a new client.
func (s *Service) author(ctx context.Context, w *ticket.Writer, field string, v *UserValue) (*openboards.User, error) {
	tx, cm := w.Tx(), w.Community()
	if v.IsBot {
		return tx.FindUserByID(ctx, cm.ID, cm.APIUserID)
	}
	id, email := strings.ToLower(strings.TrimSpace(v.ID)), strings.TrimSpace(v.Email)
	ci := openboards.NormalizeCustomIdentifier(v.CustomIdentifier)
	name, image := strings.TrimSpace(v.Name), strings.TrimSpace(v.Image)
	if id != "" {
		u, err := tx.FindUserByID(ctx, cm.ID, id)
		if openboards.ErrorCode(err) == openboards.CodeNotFound {
			return nil, openboards.Errorf(openboards.CodeInvalid, "%s.id: no user %s in this community", field, id)
		}
		return u, err
	}
	var u *openboards.User
	if email != "" {
		found, err := tx.FindUserByEmail(ctx, cm.ID, email)
		if err != nil && openboards.ErrorCode(err) != openboards.CodeNotFound {
			return nil, err
		}
		u = found
		if u != nil && ci != "" && u.CustomIdentifier == nil && u.Status == openboards.StatusClient {
			// Matched by e-mail: the identifier is attached when the user
			// has none, unless another user holds it.
			if _, err := tx.FindUserByCustomIdentifier(ctx, cm.ID, ci); openboards.ErrorCode(err) == openboards.CodeNotFound {
				u.CustomIdentifier = &ci
				if err := tx.UpdateUser(ctx, u); err != nil {
					return nil, err
				}
			} else if err != nil {
				return nil, err
			}
		}
	}
	if u == nil && ci != "" {
		found, err := tx.FindUserByCustomIdentifier(ctx, cm.ID, ci)
		if err != nil && openboards.ErrorCode(err) != openboards.CodeNotFound {
			return nil, err
		}
		u = found
		if u != nil && email != "" && u.Email == nil && u.Status == openboards.StatusClient {
			u.Email = &email
			if err := tx.UpdateUser(ctx, u); err != nil {
				return nil, err
			}
		}
	}
	if u != nil {
		return u, nil
	}
	if name == "" {
		name = email
		if name == "" {
			name = ci
		}
	}
	nu := &openboards.User{ID: openboards.NewID(), CommunityID: cm.ID, Name: name, Status: openboards.StatusClient, CreatedAt: w.Now()}
	if email != "" {
		nu.Email = &email
	}
	if ci != "" {
		nu.CustomIdentifier = &ci
	}
	if image != "" {
		nu.Image = &image
	}
	return nu, tx.CreateUser(ctx, nu)
}

// pageURL validates an optional page address.
func pageURL(field string, p *string) (*string, error) {
	if p == nil {
		return nil, nil
	}
	v := strings.TrimSpace(*p)
	if v == "" {
		return nil, nil
	}
	if err := openboards.CheckLen(field, v, openboards.MaxURLLen); err != nil {
		return nil, err
	}
	if !absoluteURL(v) {
		return nil, openboards.Errorf(openboards.CodeInvalid, "%s: must be an absolute http or https URL", field)
	}
	return &v, nil
}

func absoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
