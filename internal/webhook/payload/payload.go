// Package payload renders the JSON bodies of webhook notifications: the
// documented Socialboards webhook payload, one body per change of a ticket.
//
// The objects take their webhook (PascalCase) form. Key order follows the
// documented examples and the REST rendering of the same objects; every key
// is always present, null when empty. HTML markup is written raw, not
// escaped, and the body is compact.
package payload

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"openboards/internal/openboards"
)

// timeLayout prints times as .NET does: up to 7 fractional digits, trailing
// zeros dropped, and an explicit offset (UTC is +00:00, never Z).
const timeLayout = "2006-01-02T15:04:05.9999999-07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// envelope is the top level of every body. Events holds exactly one item,
// whose type depends on EventType.
type envelope struct {
	CommunityName string `json:"CommunityName"`
	EventType     string `json:"EventType"`
	TicketID      int64  `json:"TicketId"`
	Events        []any  `json:"Events"`
}

// The event items, one type per key set. Keys are in alphabetical order, as
// in both documented events.

type ticketItem struct {
	InboxLink string      `json:"InboxLink"`
	Ticket    *ticketJSON `json:"Ticket"`
}

type statusItem struct {
	InboxLink            string      `json:"InboxLink"`
	PreviousTicketStatus string      `json:"PreviousTicketStatus"`
	Ticket               *ticketJSON `json:"Ticket"`
}

type tagsItem struct {
	InboxLink          string      `json:"InboxLink"`
	PreviousTicketTags []string    `json:"PreviousTicketTags"`
	Ticket             *ticketJSON `json:"Ticket"`
}

type categoryItem struct {
	InboxLink                string      `json:"InboxLink"`
	PreviousTicketCategoryID *int64      `json:"PreviousTicketCategoryId"`
	Ticket                   *ticketJSON `json:"Ticket"`
}

type replyItem struct {
	InboxLink string      `json:"InboxLink"`
	Reply     *replyJSON  `json:"Reply"`
	Ticket    *ticketJSON `json:"Ticket"`
}

type noteItem struct {
	InboxLink string      `json:"InboxLink"`
	Note      *noteJSON   `json:"Note"`
	Ticket    *ticketJSON `json:"Ticket"`
}

// The conversation event items. Their keys follow the documented
// conversation_created item (InboxLink, ConversationId, Conversation,
// EventTime), with what each event adds before EventTime.

type conversationCreatedItem struct {
	InboxLink      string            `json:"InboxLink"`
	ConversationID int64             `json:"ConversationId"`
	Conversation   *conversationJSON `json:"Conversation"`
	EventTime      string            `json:"EventTime"`
}

type conversationMessageItem struct {
	InboxLink      string            `json:"InboxLink"`
	ConversationID int64             `json:"ConversationId"`
	Conversation   *conversationJSON `json:"Conversation"`
	Message        *chatMessageJSON  `json:"Message"`
	EventTime      string            `json:"EventTime"`
}

type conversationTakeoverItem struct {
	InboxLink       string            `json:"InboxLink"`
	ConversationID  int64             `json:"ConversationId"`
	Conversation    *conversationJSON `json:"Conversation"`
	IsAssignedToBot bool              `json:"IsAssignedToBot"`
	EventTime       string            `json:"EventTime"`
}

type conversationStatusItem struct {
	InboxLink                  string            `json:"InboxLink"`
	ConversationID             int64             `json:"ConversationId"`
	Conversation               *conversationJSON `json:"Conversation"`
	PreviousConversationStatus string            `json:"PreviousConversationStatus"`
	Status                     string            `json:"Status"`
	EventTime                  string            `json:"EventTime"`
}

// chatUserJSON is a user as conversations show them: without the custom
// identifier, keys in alphabetical order.
type chatUserJSON struct {
	Email  *string `json:"Email"`
	ID     string  `json:"Id"`
	Image  *string `json:"Image"`
	IsBot  bool    `json:"IsBot"`
	Name   string  `json:"Name"`
	Status string  `json:"Status"`
}

func chatUserOut(u *openboards.User) *chatUserJSON {
	if u == nil {
		return nil
	}
	return &chatUserJSON{Email: u.Email, ID: u.ID, Image: u.Image, IsBot: u.IsBot, Name: u.Name, Status: string(u.Status)}
}

type feedbackJSON struct {
	IsPositive bool   `json:"IsPositive"`
	Text       string `json:"Text"`
}

type queuePositionJSON struct {
	Position int  `json:"Position"`
	WaitTime *int `json:"WaitTime"`
}

// conversationJSON is the webhook form of a conversation. As documented,
// it carries no custom field values (Fields is null) and no messages.
type conversationJSON struct {
	Author             *chatUserJSON     `json:"Author"`
	CreationTime       string            `json:"CreationTime"`
	Feedback           *feedbackJSON     `json:"Feedback"`
	Fields             []any             `json:"Fields"`
	ID                 int64             `json:"Id"`
	InitialPageURL     *string           `json:"InitialPageUrl"`
	IsClosed           bool              `json:"IsClosed"`
	IsTakeoverEnabled  bool              `json:"IsTakeoverEnabled"`
	LastModifiedTime   string            `json:"LastModifiedTime"`
	LatestPageURL      *string           `json:"LatestPageUrl"`
	Messages           []chatMessageJSON `json:"Messages"`
	QueuePositionInfo  queuePositionJSON `json:"QueuePositionInfo"`
	TotalMessagesCount int               `json:"TotalMessagesCount"`
}

type chatMessageJSON struct {
	Author           *chatUserJSON `json:"Author"`
	CreationTime     string        `json:"CreationTime"`
	ID               int64         `json:"Id"`
	LastModifiedTime string        `json:"LastModifiedTime"`
	Message          string        `json:"Message"`
}

func conversationItem(link string, c openboards.Change, t *openboards.Ticket) (any, error) {
	cv := c.Conversation
	if cv == nil {
		return nil, fmt.Errorf("payload: %s event of ticket %d without its conversation", c.Type, t.ID)
	}
	conv := &conversationJSON{
		Author: chatUserOut(t.Author), CreationTime: formatTime(t.CreatedAt), ID: t.ID,
		InitialPageURL: cv.InitialPageURL, IsClosed: t.Status == openboards.TicketCompleted,
		IsTakeoverEnabled: !cv.IsAssignedToBot, LastModifiedTime: formatTime(cv.ModifiedAt(t)),
		LatestPageURL: cv.LatestPageURL, Messages: []chatMessageJSON{},
		QueuePositionInfo:  queuePositionJSON{Position: c.Queue.Position, WaitTime: c.Queue.WaitTime},
		TotalMessagesCount: t.ReplyCount,
	}
	if cv.Feedback != nil {
		conv.Feedback = &feedbackJSON{IsPositive: cv.Feedback.IsPositive, Text: cv.Feedback.Text}
	}
	at := formatTime(c.At)
	switch c.Type {
	case openboards.EventConversationMessageAdded:
		if c.Reply == nil {
			return nil, fmt.Errorf("payload: %s event of ticket %d without its message", c.Type, t.ID)
		}
		m := &chatMessageJSON{Author: chatUserOut(c.Reply.Author), CreationTime: formatTime(c.Reply.CreatedAt), ID: c.Reply.ID,
			LastModifiedTime: formatTime(c.Reply.UpdatedAt), Message: c.Reply.Message}
		return conversationMessageItem{InboxLink: link, ConversationID: t.ID, Conversation: conv, Message: m, EventTime: at}, nil
	case openboards.EventConversationTakeover:
		return conversationTakeoverItem{InboxLink: link, ConversationID: t.ID, Conversation: conv, IsAssignedToBot: cv.IsAssignedToBot, EventTime: at}, nil
	case openboards.EventConversationStatusChanged:
		return conversationStatusItem{InboxLink: link, ConversationID: t.ID, Conversation: conv,
			PreviousConversationStatus: string(c.PreviousStatus), Status: string(t.Status), EventTime: at}, nil
	}
	return conversationCreatedItem{InboxLink: link, ConversationID: t.ID, Conversation: conv, EventTime: at}, nil
}

// Object shapes.

type userJSON struct {
	CustomIdentifier *string `json:"CustomIdentifier"`
	ID               string  `json:"Id"`
	Name             string  `json:"Name"`
	Image            *string `json:"Image"`
	Email            *string `json:"Email"`
	Status           string  `json:"Status"`
	IsBot            bool    `json:"IsBot"`
}

func userOut(u *openboards.User) *userJSON {
	if u == nil {
		return nil
	}
	return &userJSON{CustomIdentifier: u.CustomIdentifier, ID: u.ID, Name: u.Name, Image: u.Image, Email: u.Email,
		Status: string(u.Status), IsBot: u.IsBot}
}

func usersOut(us []openboards.User) []*userJSON {
	out := make([]*userJSON, len(us))
	for i := range us {
		out[i] = userOut(&us[i])
	}
	return out
}

type attachmentJSON struct {
	IsContentPart bool   `json:"IsContentPart"`
	Name          string `json:"Name"`
	URL           string `json:"Url"`
}

// attachmentsOut renders as as an array, empty (never nil) when there are
// none.
func attachmentsOut(as []openboards.Attachment) []attachmentJSON {
	out := make([]attachmentJSON, len(as))
	for i, a := range as {
		out[i] = attachmentJSON{IsContentPart: a.IsContentPart, Name: a.Name, URL: a.URL}
	}
	return out
}

type categoryRefJSON struct {
	ID   int64  `json:"Id"`
	Name string `json:"Name"`
}

type ticketPropertiesJSON struct {
	IsAnonymized    bool `json:"IsAnonymized"`
	IsMuted         bool `json:"IsMuted"`
	HasAttachments  bool `json:"HasAttachments"`
	HasDraft        bool `json:"HasDraft"`
	IsAssignedToBot bool `json:"IsAssignedToBot"`
	IsDeleted       bool `json:"IsDeleted"`
	IsExpired       bool `json:"IsExpired"`
	IsHidden        bool `json:"IsHidden"`
	IsLocked        bool `json:"IsLocked"`
	IsSpam          bool `json:"IsSpam"`
	IsSensitive     bool `json:"IsSensitive"`
}

// ticketJSON is the webhook form of a ticket: the REST ticket without its
// custom fields.
type ticketJSON struct {
	ID                            int64                `json:"Id"`
	Title                         string               `json:"Title"`
	Message                       string               `json:"Message"`
	HTMLMessage                   string               `json:"HtmlMessage"`
	Author                        *userJSON            `json:"Author"`
	Category                      *categoryRefJSON     `json:"Category"`
	CreationTime                  string               `json:"CreationTime"`
	LastThreadElementCreationTime string               `json:"LastThreadElementCreationTime"`
	LockedBy                      *userJSON            `json:"LockedBy"`
	OriginalLink                  *string              `json:"OriginalLink"`
	Properties                    ticketPropertiesJSON `json:"Properties"`
	ReplyCount                    int                  `json:"ReplyCount"`
	IsMuted                       bool                 `json:"IsMuted"`
	Sentiment                     *string              `json:"Sentiment"`
	Source                        string               `json:"Source"`
	DetailedSource                string               `json:"DetailedSource"`
	SourceName                    *string              `json:"SourceName"`
	Status                        string               `json:"Status"`
	Tags                          []string             `json:"Tags"`
	Attachments                   []attachmentJSON     `json:"Attachments"`
}

func ticketOut(t *openboards.Ticket) *ticketJSON {
	out := &ticketJSON{
		ID: t.ID, Title: t.Title, Message: t.Message, HTMLMessage: t.HTMLMessage, Author: userOut(t.Author),
		CreationTime: formatTime(t.CreatedAt), LastThreadElementCreationTime: formatTime(t.LastActivityAt),
		LockedBy: userOut(t.Assignee), OriginalLink: t.OriginalLink, ReplyCount: t.ReplyCount, IsMuted: t.IsMuted,
		Sentiment: t.Sentiment, Source: t.Source, DetailedSource: t.DetailedSource, SourceName: t.SourceName,
		Status: string(t.Status), Tags: nonNil(t.Tags),
		Properties: ticketPropertiesJSON{
			IsAnonymized: t.IsAnonymized, IsMuted: t.IsMuted, HasAttachments: len(t.Attachments) > 0, HasDraft: t.HasDraft,
			IsAssignedToBot: t.Assignee != nil && t.Assignee.IsBot, IsDeleted: t.IsDeleted, IsHidden: t.IsHidden,
			IsLocked: t.Assignee != nil, IsSpam: t.IsSpam, IsSensitive: t.IsSensitive,
		},
	}
	if t.Category != nil {
		out.Category = &categoryRefJSON{ID: t.Category.ID, Name: t.Category.Name}
	}
	// The documented example shows null for a ticket without attachments.
	if len(t.Attachments) > 0 {
		out.Attachments = attachmentsOut(t.Attachments)
	}
	return out
}

type replyPropertiesJSON struct {
	IsByTeam bool `json:"IsByTeam"`
	IsDraft  bool `json:"IsDraft"`
	IsHidden bool `json:"IsHidden"`
}

type replyJSON struct {
	Attachments   []attachmentJSON    `json:"Attachments"`
	Author        *userJSON           `json:"Author"`
	CCEmails      []string            `json:"CcEmails"`
	CreationTime  string              `json:"CreationTime"`
	HTMLMessage   string              `json:"HtmlMessage"`
	ID            int64               `json:"Id"`
	Level         int                 `json:"Level"`
	Message       string              `json:"Message"`
	ParentReplyID *int64              `json:"ParentReplyId"`
	Properties    replyPropertiesJSON `json:"Properties"`
	Tags          []string            `json:"Tags"`
	TicketID      int64               `json:"TicketId"`
	ToEmails      []string            `json:"ToEmails"`
}

func replyOut(r *openboards.Reply) *replyJSON {
	return &replyJSON{
		Attachments: attachmentsOut(r.Attachments), Author: userOut(r.Author), CCEmails: nonNil(r.CCEmails),
		CreationTime: formatTime(r.CreatedAt), HTMLMessage: r.HTMLMessage, ID: r.ID, Level: r.Level, Message: r.Message,
		ParentReplyID: r.ParentReplyID, Properties: replyPropertiesJSON{IsByTeam: r.IsByTeam, IsDraft: r.IsDraft, IsHidden: r.IsHidden},
		Tags: nonNil(r.Tags), TicketID: r.TicketID, ToEmails: nonNil(r.ToEmails),
	}
}

type noteJSON struct {
	ID             int64            `json:"Id"`
	Message        string           `json:"Message"`
	HTMLMessage    *string          `json:"HtmlMessage"`
	Attachments    []attachmentJSON `json:"Attachments"`
	Author         *userJSON        `json:"Author"`
	MentionedUsers []*userJSON      `json:"MentionedUsers"`
	CreationTime   string           `json:"CreationTime"`
}

func noteOut(n *openboards.Note) *noteJSON {
	return &noteJSON{ID: n.ID, Message: n.Message, HTMLMessage: n.HTMLMessage, Attachments: attachmentsOut(n.Attachments),
		Author: userOut(n.Author), MentionedUsers: usersOut(n.MentionedUsers), CreationTime: formatTime(n.CreatedAt)}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// inboxLink returns the deep link to ticket id in the inbox of community
// communityName, under the server's public base URL inboxBase (without a
// trailing slash). The community name is escaped as a path segment, which
// leaves plain names as they are.
func inboxLink(inboxBase, communityName string, id int64) string {
	return inboxBase + "/" + url.PathEscape(communityName) + "/tickets?ticketId=" + strconv.FormatInt(id, 10)
}

// Render returns the compact JSON body that notifies change c of ticket t
// to a receiver. t is the ticket as it is after the change, read with its
// Author, Assignee and Category filled. inboxBase is the server's public
// base URL without a trailing slash; the item's InboxLink is inboxBase + "/"
// + communityName (escaped as a path segment) + "/tickets?ticketId=" + the
// ticket id.
//
// Render fails when c.Type is not one of openboards.EventTypes (an
// invalid-input error), when c concerns another ticket than t, or when c
// lacks what its type reports: the Reply of a reply event or the Note of a
// note event.
func Render(inboxBase, communityName string, c openboards.Change, t *openboards.Ticket) ([]byte, error) {
	if !openboards.IsEventType(c.Type) {
		return nil, unknownType(c.Type)
	}
	if t == nil {
		return nil, fmt.Errorf("payload: %s event without a ticket", c.Type)
	}
	if c.TicketID != 0 && c.TicketID != t.ID {
		return nil, fmt.Errorf("payload: %s event of ticket %d rendered with ticket %d", c.Type, c.TicketID, t.ID)
	}
	link := inboxLink(inboxBase, communityName, t.ID)
	ticket := ticketOut(t)

	var item any
	switch c.Type {
	case openboards.EventTicketCreation:
		item = ticketItem{InboxLink: link, Ticket: ticket}
	case openboards.EventTicketStatusChange:
		item = statusItem{InboxLink: link, PreviousTicketStatus: string(c.PreviousStatus), Ticket: ticket}
	case openboards.EventTicketTagsChange:
		item = tagsItem{InboxLink: link, PreviousTicketTags: nonNil(c.PreviousTags), Ticket: ticket}
	case openboards.EventTicketCategoryChange:
		item = categoryItem{InboxLink: link, PreviousTicketCategoryID: c.PreviousCategoryID, Ticket: ticket}
	case openboards.EventReplyCreation, openboards.EventReplyUpdate, openboards.EventReplyDeletion:
		if c.Reply == nil {
			return nil, fmt.Errorf("payload: %s event of ticket %d without its reply", c.Type, t.ID)
		}
		item = replyItem{InboxLink: link, Reply: replyOut(c.Reply), Ticket: ticket}
	case openboards.EventNoteCreation, openboards.EventNoteUpdate, openboards.EventNoteDeletion:
		if c.Note == nil {
			return nil, fmt.Errorf("payload: %s event of ticket %d without its note", c.Type, t.ID)
		}
		item = noteItem{InboxLink: link, Note: noteOut(c.Note), Ticket: ticket}
	case openboards.EventConversationCreated, openboards.EventConversationMessageAdded, openboards.EventConversationTakeover,
		openboards.EventConversationClosed, openboards.EventConversationStatusChanged:
		var err error
		if item, err = conversationItem(link, c, t); err != nil {
			return nil, err
		}
	default:
		// IsEventType accepted a type this switch does not know.
		return nil, unknownType(c.Type)
	}
	return encode(envelope{CommunityName: communityName, EventType: c.Type, TicketID: t.ID, Events: []any{item}})
}

func unknownType(typ string) error {
	return openboards.Errorf(openboards.CodeInvalid, "event type: unknown value %q", typ)
}

// encode writes v as compact JSON without escaping HTML and without the
// encoder's trailing newline.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("payload: encode: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// The fixed example data of test notifications.
const (
	sampleTicketID     = 1
	sampleCategoryID   = 1
	sampleCustomerID   = "00000000-0000-4000-8000-000000000001"
	sampleTeammateID   = "00000000-0000-4000-8000-000000000002"
	sampleCustomerMail = "customer@example.com"
	sampleTeammateMail = "teammate@example.com"
)

// Sample returns the body of a test notification of event type typ (one of
// openboards.EventTypes), built from fixed example data so that receivers
// can try their parsing: ticket 1, "Test event", opened through the API by
// an example customer, in an example category, with every time set to now.
// Reply and note events carry a reply or note by an example teammate. An
// unknown typ gives an invalid-input error.
func Sample(inboxBase, communityName, typ string, now time.Time) ([]byte, error) {
	if !openboards.IsEventType(typ) {
		return nil, unknownType(typ)
	}
	customer := &openboards.User{ID: sampleCustomerID, Name: "Example Customer", Email: ptr(sampleCustomerMail),
		Status: openboards.StatusClient, CreatedAt: now}
	teammate := &openboards.User{ID: sampleTeammateID, Name: "Example Teammate", Email: ptr(sampleTeammateMail),
		Status: openboards.StatusTeam, Role: openboards.RoleAdmin, CreatedAt: now}
	t := &openboards.Ticket{
		ID: sampleTicketID, Title: "Test event",
		Message: "This is a test event.", HTMLMessage: "<p>This is a test event.</p>",
		AuthorID: customer.ID, Author: customer,
		CategoryID: ptr(int64(sampleCategoryID)), Category: &openboards.CategoryRef{ID: sampleCategoryID, Name: "Example category"},
		Status: openboards.TicketOpen, Sentiment: ptr("question"),
		Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI,
		Tags:      []string{"test"},
		CreatedAt: now, LastActivityAt: now, UpdatedAt: now,
	}
	c := openboards.Change{Type: typ, TicketID: t.ID}
	switch typ {
	case openboards.EventTicketStatusChange:
		c.PreviousStatus = openboards.TicketPending
	case openboards.EventTicketTagsChange:
		c.PreviousTags = []string{}
	case openboards.EventTicketCategoryChange:
		// The ticket had no category before, as in the documented example:
		// PreviousCategoryID stays nil.
	case openboards.EventReplyCreation, openboards.EventReplyUpdate, openboards.EventReplyDeletion:
		if typ != openboards.EventReplyDeletion {
			t.ReplyCount = 1
		}
		c.Reply = &openboards.Reply{ID: 1, TicketID: t.ID, AuthorID: teammate.ID, Author: teammate,
			Message: "This is a test reply.", HTMLMessage: "<p>This is a test reply.</p>", IsByTeam: true,
			CreatedAt: now, UpdatedAt: now}
	case openboards.EventNoteCreation, openboards.EventNoteUpdate, openboards.EventNoteDeletion:
		c.Note = &openboards.Note{ID: 1, TicketID: t.ID, AuthorID: teammate.ID, Author: teammate,
			Message: "This is a test note.", CreatedAt: now, UpdatedAt: now}
	}
	if openboards.IsConversationEvent(typ) {
		// A conversation of the example customer, waiting first in line.
		t.Source, t.DetailedSource, t.Message, t.HTMLMessage = openboards.SourceChat, openboards.DetailedSourceChatAPI, "", ""
		c.Conversation = &openboards.Conversation{TicketID: t.ID, InitialPageURL: ptr("https://www.example.com/"),
			LatestPageURL: ptr("https://www.example.com/"), QueueSeq: 1, Queued: true, UpdatedAt: now}
		c.Queue, c.At = openboards.QueueInfo{Position: 1}, now
		switch typ {
		case openboards.EventConversationMessageAdded:
			t.ReplyCount = 1
			c.Reply = &openboards.Reply{ID: 1, TicketID: t.ID, AuthorID: customer.ID, Author: customer,
				Message: "This is a test message.", CreatedAt: now, UpdatedAt: now}
		case openboards.EventConversationClosed, openboards.EventConversationStatusChanged:
			t.Status, c.PreviousStatus = openboards.TicketCompleted, openboards.TicketOpen
			c.Conversation.Queued, c.Queue = false, openboards.QueueInfo{Position: openboards.NotQueued}
		}
	}
	return Render(inboxBase, communityName, c, t)
}

func ptr[T any](v T) *T { return &v }
