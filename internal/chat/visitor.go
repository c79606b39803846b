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
	WidgetID    int64
	Name, Email string
	URL         *string
	// Message, when given, is the first message, with ClientID its
	// clientMessageId.
	Message, ClientID string
	// MatchByEmail lets an existing client with the e-mail address be the
	// author (a widget that does not require verified visitors). A
	// teammate's address is never matched: such a visitor, and every
	// visitor without MatchByEmail, is a new anonymous client.
	MatchByEmail bool
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
	name, email := strings.TrimSpace(in.Name), strings.TrimSpace(in.Email)
	if err := openboards.CheckLen("name", name, maxVisitorName); err != nil {
		return nil, "", err
	}
	if err := openboards.CheckText("name", name); err != nil {
		return nil, "", err
	}
	if email != "" {
		if err := openboards.CheckEmail("email", email); err != nil {
			return nil, "", err
		}
	}
	var raw [32]byte
	rand.Read(raw[:]) // never fails (crypto/rand)
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	var id int64
	err := s.tickets.InTx(ctx, cm, func(w *ticket.Writer) error {
		author, err := s.visitor(ctx, w, name, email, in.MatchByEmail)
		if err != nil {
			return err
		}
		p, err := prepareCreate(CreateInput{Author: &UserValue{ID: author.ID}, URL: in.URL, DetailedSource: openboards.DetailedSourceWebsite})
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
func (s *Service) visitor(ctx context.Context, w *ticket.Writer, name, email string, match bool) (*openboards.User, error) {
	if match && email != "" {
		u, err := w.Tx().FindUserByEmail(ctx, w.Community().ID, email)
		switch {
		case err == nil && u.Status == openboards.StatusClient:
			return u, nil
		case err == nil:
			// A teammate's address: the visitor is not them.
		case openboards.ErrorCode(err) != openboards.CodeNotFound:
			return nil, err
		default:
			return s.author(ctx, w, "email", &UserValue{Email: email, Name: name})
		}
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
