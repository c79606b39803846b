package chat

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"

	"openboards/internal/openboards"
	"openboards/internal/ticket"
)

// Website visitors: a visitor opens a conversation through a support
// widget and gets a token that follows that conversation only.

// VisitorStart is a conversation a website visitor opens through a widget.
type VisitorStart struct {
	WidgetID int64
	// Name, Email and CustomIdentifier are who the visitor says (or the
	// site vouches) they are.
	Name, Email, CustomIdentifier string
	URL                           *string
	// Message, when given, is the first message, with ClientID its
	// clientMessageId.
	Message, ClientID string
	// Identified lets the e-mail address or the custom identifier name an
	// existing client, who becomes the author: the site vouched for them
	// (a verified identity), or the widget takes visitors at their word.
	// A teammate is never matched: such a visitor, and every visitor not
	// Identified, is a new anonymous client.
	Identified bool
	CategoryID *int64
	Fields     []ticket.FieldValueInput
}

// maxVisitorName bounds a visitor's name.
const maxVisitorName = 200

// HashVisitorToken returns what the store keeps of a visitor token.
func HashVisitorToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// StartVisitor opens a conversation for a website visitor, with its first
// message and the visitor's token, in one transaction, and returns the
// conversation and the token (shown once; the store keeps its hash).
func (s *Service) StartVisitor(ctx context.Context, cm *openboards.Community, in VisitorStart) (*View, string, error) {
	in.Name, in.Email, in.CustomIdentifier = strings.TrimSpace(in.Name), strings.TrimSpace(in.Email), strings.TrimSpace(in.CustomIdentifier)
	if err := openboards.CheckLen("name", in.Name, maxVisitorName); err != nil {
		return nil, "", err
	}
	if err := openboards.CheckText("name", in.Name); err != nil {
		return nil, "", err
	}
	if in.Email != "" {
		if err := openboards.CheckEmail("email", in.Email); err != nil {
			return nil, "", err
		}
	}
	if err := openboards.CheckLen("customIdentifier", in.CustomIdentifier, openboards.MaxCustomIdentifierLen); err != nil {
		return nil, "", err
	}
	var raw [32]byte
	rand.Read(raw[:]) // never fails (crypto/rand)
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	var id int64
	err := s.tickets.InTx(ctx, cm, func(w *ticket.Writer) error {
		author, err := s.visitor(ctx, w, in)
		if err != nil {
			return err
		}
		p, err := prepareCreate(CreateInput{Author: &UserValue{ID: author.ID}, URL: in.URL, DetailedSource: openboards.DetailedSourceWebsite,
			CategoryID: in.CategoryID, Fields: in.Fields})
		if err != nil {
			return err
		}
		t, err := s.create(ctx, w, p)
		if err != nil {
			return err
		}
		id = t.ID
		if in.Message != "" {
			msgs := []MessageInput{{Author: &UserValue{ID: author.ID}, Message: in.Message, ClientID: in.ClientID}}
			cleaned, err := s.prepareMessages(msgs)
			if err != nil {
				return renameMessageField(err)
			}
			if t, err = w.LockTicket(ctx, t.ID); err != nil {
				return err
			}
			if _, err := s.addMessages(ctx, w, t, msgs, cleaned, false); err != nil {
				return renameMessageField(err)
			}
		}
		return w.Tx().CreateVisitorToken(ctx, &openboards.VisitorToken{Hash: HashVisitorToken(token), CommunityID: cm.ID,
			WidgetID: in.WidgetID, TicketID: id, CreatedAt: w.Now()})
	})
	if err != nil {
		return nil, "", err
	}
	v, err := s.latest(ctx, cm, id)
	return v, token, err
}

// latest returns conversation id with its latest messages, oldest first.
func (s *Service) latest(ctx context.Context, cm *openboards.Community, id int64) (*View, error) {
	v, err := s.Get(ctx, cm, id, true, openboards.NewestFirst)
	if err != nil {
		return nil, err
	}
	slices.Reverse(v.Messages)
	return v, nil
}

// visitor finds or makes the client a visitor writes as.
func (s *Service) visitor(ctx context.Context, w *ticket.Writer, in VisitorStart) (*openboards.User, error) {
	name := in.Name
	if in.Identified && (in.Email != "" || in.CustomIdentifier != "") {
		// A teammate is never matched, by either detail.
		tx, cm := w.Tx(), w.Community()
		var found []*openboards.User
		if in.Email != "" {
			u, err := tx.FindUserByEmail(ctx, cm.ID, in.Email)
			if err != nil && openboards.ErrorCode(err) != openboards.CodeNotFound {
				return nil, err
			}
			found = append(found, u)
		}
		if ci := openboards.NormalizeCustomIdentifier(in.CustomIdentifier); ci != "" {
			u, err := tx.FindUserByCustomIdentifier(ctx, cm.ID, ci)
			if err != nil && openboards.ErrorCode(err) != openboards.CodeNotFound {
				return nil, err
			}
			found = append(found, u)
		}
		for _, u := range found {
			if u != nil && u.Status != openboards.StatusClient {
				in.Identified = false
			}
		}
	}
	if in.Identified && (in.Email != "" || in.CustomIdentifier != "") {
		return s.author(ctx, w, "user", &UserValue{Email: in.Email, CustomIdentifier: in.CustomIdentifier, Name: name})
	}
	if name == "" {
		name = "Visitor"
	}
	var b [8]byte
	rand.Read(b[:])
	return s.author(ctx, w, "name", &UserValue{CustomIdentifier: "visitor-" + hex.EncodeToString(b[:]), Name: name})
}

// renameMessageField names the first message's fields as the visitor
// sent them ("message", not "[0].message").
func renameMessageField(err error) error {
	if e, ok := err.(*openboards.Error); ok && strings.HasPrefix(e.Message, "[0].") {
		c := *e
		c.Message = strings.TrimPrefix(c.Message, "[0].")
		return &c
	}
	return err
}

// Visitor returns the token's conversation as its visitor sees it: the
// latest messages, oldest first. CodeNotFound unless the token is of
// conversation id of community cm and widget widgetID.
func (s *Service) Visitor(ctx context.Context, cm *openboards.Community, widgetID, id int64, token string) (*View, error) {
	if err := s.checkVisitor(ctx, cm, widgetID, id, token); err != nil {
		return nil, err
	}
	return s.latest(ctx, cm, id)
}

// AddVisitorMessage adds a visitor's message to the token's conversation;
// a clientID already used adds nothing and returns the message it named.
func (s *Service) AddVisitorMessage(ctx context.Context, cm *openboards.Community, widgetID, id int64, token, text, clientID string) (*openboards.Reply, error) {
	if err := s.checkVisitor(ctx, cm, widgetID, id, token); err != nil {
		return nil, err
	}
	t, err := s.store.FindTicketByID(ctx, cm.ID, id)
	if err != nil {
		return nil, err
	}
	out, err := s.AddMessages(ctx, cm, id, []MessageInput{{Author: &UserValue{ID: t.AuthorID}, Message: text, ClientID: clientID}}, false)
	if err != nil {
		return nil, renameMessageField(err)
	}
	return out[0], nil
}

// checkVisitor checks that token follows conversation id of widget
// widgetID of community cm.
func (s *Service) checkVisitor(ctx context.Context, cm *openboards.Community, widgetID, id int64, token string) error {
	if token == "" {
		return openboards.Errorf(openboards.CodeUnauthorized, "give the visitor token of the conversation (Authorization: Bearer ...)")
	}
	vt, err := s.store.FindVisitorToken(ctx, HashVisitorToken(token))
	if openboards.ErrorCode(err) == openboards.CodeNotFound || (err == nil && (vt.CommunityID != cm.ID || vt.WidgetID != widgetID || vt.TicketID != id)) {
		return openboards.Errorf(openboards.CodeNotFound, "conversation %d not found", id)
	}
	return err
}

// CheckVisitor checks that token follows conversation id of widget
// widgetID of community cm; the visitor's other actions (typing, the page
// they are on, feedback, ending the chat) are the conversation's own,
// once this passes.
func (s *Service) CheckVisitor(ctx context.Context, cm *openboards.Community, widgetID, id int64, token string) error {
	return s.checkVisitor(ctx, cm, widgetID, id, token)
}

// VisitorFollow checks the token as Visitor does and returns what a
// visitor's stream starts from, reading as little as it can: the author
// of the conversation and whether it waits in the queue (its place is
// read by the stream's first poll).
func (s *Service) VisitorFollow(ctx context.Context, cm *openboards.Community, widgetID, id int64, token string) (author string, queued bool, err error) {
	if err := s.checkVisitor(ctx, cm, widgetID, id, token); err != nil {
		return "", false, err
	}
	t, cv, err := s.find(ctx, s.store, cm, id)
	if err != nil {
		return "", false, err
	}
	return t.AuthorID, openboards.WaitsInQueue(t, cv), nil
}
