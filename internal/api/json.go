package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"

	"openboards/internal/httpapi"
	"openboards/internal/openboards"
)

// Response shapes. Field order follows the documented examples; every key
// is always present, null when empty, as the documented server does.

type userJSON struct {
	CustomIdentifier *string `json:"customIdentifier"`
	Email            *string `json:"email"`
	ID               string  `json:"id"`
	Image            *string `json:"image"`
	IsBot            bool    `json:"isBot"`
	Name             string  `json:"name"`
	Status           string  `json:"status"`
}

func userOut(u *openboards.User) *userJSON {
	if u == nil {
		return nil
	}
	return &userJSON{CustomIdentifier: u.CustomIdentifier, Email: u.Email, ID: u.ID, Image: u.Image, IsBot: u.IsBot, Name: u.Name, Status: string(u.Status)}
}

func usersOut(us []openboards.User) []*userJSON {
	out := make([]*userJSON, len(us))
	for i := range us {
		out[i] = userOut(&us[i])
	}
	return out
}

type attachmentJSON struct {
	IsContentPart bool   `json:"isContentPart"`
	Name          string `json:"name"`
	URL           string `json:"url"`
}

func attachmentsOut(as []openboards.Attachment) []attachmentJSON {
	out := make([]attachmentJSON, len(as))
	for i, a := range as {
		out[i] = attachmentJSON{IsContentPart: a.IsContentPart, Name: a.Name, URL: a.URL}
	}
	return out
}

type categoryRefJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type fieldValueJSON struct {
	ID    int64  `json:"id"`
	Value string `json:"value"`
}

type ticketPropertiesJSON struct {
	IsAnonymized    bool `json:"isAnonymized"`
	IsMuted         bool `json:"isMuted"`
	HasAttachments  bool `json:"hasAttachments"`
	HasDraft        bool `json:"hasDraft"`
	IsAssignedToBot bool `json:"isAssignedToBot"`
	IsDeleted       bool `json:"isDeleted"`
	IsExpired       bool `json:"isExpired"`
	IsHidden        bool `json:"isHidden"`
	IsLocked        bool `json:"isLocked"`
	IsSpam          bool `json:"isSpam"`
	IsSensitive     bool `json:"isSensitive"`
}

type ticketJSON struct {
	ID                            int64                `json:"id"`
	Title                         string               `json:"title"`
	Message                       string               `json:"message"`
	HTMLMessage                   string               `json:"htmlMessage"`
	Author                        *userJSON            `json:"author"`
	Category                      *categoryRefJSON     `json:"category"`
	CreationTime                  string               `json:"creationTime"`
	CustomFields                  []fieldValueJSON     `json:"customFields"`
	LastThreadElementCreationTime string               `json:"lastThreadElementCreationTime"`
	LockedBy                      *userJSON            `json:"lockedBy"`
	OriginalLink                  *string              `json:"originalLink"`
	Properties                    ticketPropertiesJSON `json:"properties"`
	ReplyCount                    int                  `json:"replyCount"`
	IsMuted                       bool                 `json:"isMuted"`
	Sentiment                     *string              `json:"sentiment"`
	Source                        string               `json:"source"`
	DetailedSource                string               `json:"detailedSource"`
	SourceName                    *string              `json:"sourceName"`
	Status                        string               `json:"status"`
	Tags                          []string             `json:"tags"`
	Attachments                   []attachmentJSON     `json:"attachments"`
}

func ticketOut(t *openboards.Ticket) *ticketJSON {
	out := &ticketJSON{
		ID: t.ID, Title: t.Title, Message: t.Message, HTMLMessage: t.HTMLMessage, Author: userOut(t.Author),
		CreationTime: httpapi.FormatTime(t.CreatedAt), LastThreadElementCreationTime: httpapi.FormatTime(t.LastActivityAt),
		LockedBy: userOut(t.Assignee), OriginalLink: t.OriginalLink, ReplyCount: t.ReplyCount, IsMuted: t.IsMuted,
		Sentiment: t.Sentiment, Source: t.Source, DetailedSource: t.DetailedSource, SourceName: t.SourceName,
		Status: string(t.Status), Tags: t.Tags, Attachments: attachmentsOut(t.Attachments),
		CustomFields: make([]fieldValueJSON, len(t.CustomFields)),
		Properties: ticketPropertiesJSON{
			IsAnonymized: t.IsAnonymized, IsMuted: t.IsMuted, HasAttachments: len(t.Attachments) > 0, HasDraft: t.HasDraft,
			IsAssignedToBot: t.Assignee != nil && t.Assignee.IsBot, IsDeleted: t.IsDeleted, IsHidden: t.IsHidden,
			IsLocked: t.Assignee != nil, IsSpam: t.IsSpam, IsSensitive: t.IsSensitive,
		},
	}
	if t.Category != nil {
		out.Category = &categoryRefJSON{ID: t.Category.ID, Name: t.Category.Name}
	}
	for i, v := range t.CustomFields {
		out.CustomFields[i] = fieldValueJSON{ID: v.FieldID, Value: v.Value}
	}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	return out
}

type replyPropertiesJSON struct {
	IsByTeam bool `json:"isByTeam"`
	IsDraft  bool `json:"isDraft"`
	IsHidden bool `json:"isHidden"`
}

type replyJSON struct {
	Attachments   []attachmentJSON    `json:"attachments"`
	Author        *userJSON           `json:"author"`
	CCEmails      []string            `json:"ccEmails"`
	CreationTime  string              `json:"creationTime"`
	HTMLMessage   string              `json:"htmlMessage"`
	ID            int64               `json:"id"`
	Level         int                 `json:"level"`
	Message       string              `json:"message"`
	ParentReplyID *int64              `json:"parentReplyId"`
	Properties    replyPropertiesJSON `json:"properties"`
	Tags          []string            `json:"tags"`
	TicketID      int64               `json:"ticketId"`
	ToEmails      []string            `json:"toEmails"`
}

func replyOut(r *openboards.Reply) *replyJSON {
	return &replyJSON{
		Attachments: attachmentsOut(r.Attachments), Author: userOut(r.Author), CCEmails: nonNil(r.CCEmails),
		CreationTime: httpapi.FormatTime(r.CreatedAt), HTMLMessage: r.HTMLMessage, ID: r.ID, Level: r.Level, Message: r.Message,
		ParentReplyID: r.ParentReplyID, Properties: replyPropertiesJSON{IsByTeam: r.IsByTeam, IsDraft: r.IsDraft, IsHidden: r.IsHidden},
		Tags: nonNil(r.Tags), TicketID: r.TicketID, ToEmails: nonNil(r.ToEmails),
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type noteJSON struct {
	ID             int64            `json:"id"`
	Message        string           `json:"message"`
	HTMLMessage    *string          `json:"htmlMessage"`
	Attachments    []attachmentJSON `json:"attachments"`
	Author         *userJSON        `json:"author"`
	MentionedUsers []*userJSON      `json:"mentionedUsers"`
	CreationTime   string           `json:"creationTime"`
}

func noteOut(n *openboards.Note) *noteJSON {
	return &noteJSON{ID: n.ID, Message: n.Message, HTMLMessage: n.HTMLMessage, Attachments: attachmentsOut(n.Attachments),
		Author: userOut(n.Author), MentionedUsers: usersOut(n.MentionedUsers), CreationTime: httpapi.FormatTime(n.CreatedAt)}
}

type tagJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type includedItemsJSON struct {
	Categories []categoryRefJSON `json:"categories"`
	Tags       []tagJSON         `json:"tags"`
	Users      []*userJSON       `json:"users"`
}

type logEntryJSON struct {
	ActionString  string            `json:"actionString"`
	ActionType    string            `json:"actionType"`
	IncludedItems includedItemsJSON `json:"includedItems"`
	Time          string            `json:"time"`
	User          *userJSON         `json:"user"`
}

func logEntryOut(e *openboards.LogEntry) *logEntryJSON {
	inc := includedItemsJSON{Categories: []categoryRefJSON{}, Tags: []tagJSON{}, Users: usersOut(e.Included.Users)}
	for _, c := range e.Included.Categories {
		inc.Categories = append(inc.Categories, categoryRefJSON{ID: c.ID, Name: c.Name})
	}
	for _, t := range e.Included.Tags {
		inc.Tags = append(inc.Tags, tagJSON{ID: t.ID, Name: t.Name})
	}
	return &logEntryJSON{ActionString: e.ActionString, ActionType: e.ActionType, IncludedItems: inc, Time: httpapi.FormatTime(e.CreatedAt), User: userOut(e.User)}
}

type categoryJSON struct {
	Children    *[]*categoryJSON `json:"children,omitempty"`
	AutoArchive bool             `json:"autoArchive"`
	CanBeChosen bool             `json:"canBeChosen"`
	IsHidden    bool             `json:"isHidden"`
	IsMuted     bool             `json:"isMuted"`
	ParentID    *int64           `json:"parentId"`
	ID          int64            `json:"id"`
	Name        string           `json:"name"`
}

// categoryOut renders c, with its subtree when withChildren is set, leaving
// out hidden subcategories unless includeHidden.
func categoryOut(c *openboards.Category, withChildren, includeHidden bool) *categoryJSON {
	out := &categoryJSON{AutoArchive: c.AutoArchive, CanBeChosen: c.CanBeChosen, IsHidden: c.IsHidden, IsMuted: c.IsMuted,
		ParentID: c.ParentID, ID: c.ID, Name: c.Name}
	if withChildren {
		children := []*categoryJSON{}
		for _, ch := range c.Children {
			if ch.IsHidden && !includeHidden {
				continue
			}
			children = append(children, categoryOut(ch, true, includeHidden))
		}
		out.Children = &children
	}
	return out
}

type customFieldJSON struct {
	AssignedCategoryIDs []int64                    `json:"assignedCategoryIds"`
	DefaultValue        *string                    `json:"defaultValue"`
	ID                  int64                      `json:"id"`
	IsHidden            bool                       `json:"isHidden"`
	IsRequired          bool                       `json:"isRequired"`
	IsSensitiveData     bool                       `json:"isSensitiveData"`
	Name                string                     `json:"name"`
	Order               int                        `json:"order"`
	Placeholder         *string                    `json:"placeholder"`
	PossibleValues      []openboards.PossibleValue `json:"possibleValues"`
	Type                string                     `json:"type"`
	Value               *string                    `json:"value"`
}

func customFieldOut(f *openboards.CustomField) *customFieldJSON {
	out := &customFieldJSON{AssignedCategoryIDs: f.AssignedCategoryIDs, DefaultValue: f.DefaultValue, ID: f.ID, IsHidden: f.IsHidden,
		IsRequired: f.IsRequired, IsSensitiveData: f.IsSensitiveData, Name: f.Name, Order: f.Order, Placeholder: f.Placeholder,
		PossibleValues: f.PossibleValues, Type: f.Type}
	if out.AssignedCategoryIDs == nil {
		out.AssignedCategoryIDs = []int64{}
	}
	if out.PossibleValues == nil {
		out.PossibleValues = []openboards.PossibleValue{}
	}
	return out
}

type teammateJSON struct {
	ID    string  `json:"id"`
	Name  string  `json:"name"`
	Email *string `json:"email"`
	Role  string  `json:"role"`
	Image *string `json:"image"`
}

type userGroupJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// userGroupDetailJSON is one group with its members (an extension).
type userGroupDetailJSON struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	TeammateIDs []string `json:"teammateIds"`
}

type widgetScheduleJSON struct {
	CommunityID int64                     `json:"communityId"`
	CustomTimes *openboards.CustomTimes   `json:"customTimes"`
	TimePeriod  int                       `json:"timePeriod"`
	Times       []openboards.ScheduleTime `json:"times"`
	WidgetID    int64                     `json:"widgetId"`
}

func widgetScheduleOut(s *openboards.WidgetSchedule) *widgetScheduleJSON {
	out := &widgetScheduleJSON{CommunityID: s.CommunityID, TimePeriod: s.TimePeriod, Times: s.Times, WidgetID: s.WidgetID}
	if c := s.CustomTimes; c != nil {
		// Every weekday is an array, empty when the widget is closed all day.
		days := *c
		for _, d := range []*[]openboards.ScheduleTime{&days.Monday, &days.Tuesday, &days.Wednesday, &days.Thursday, &days.Friday, &days.Saturday, &days.Sunday} {
			if *d == nil {
				*d = []openboards.ScheduleTime{}
			}
		}
		out.CustomTimes = &days
	}
	return out
}

// Request helpers.

// nullable is a JSON member that may be absent, null or a value: Set
// reports presence, Value is nil for null.
type nullable[T any] struct {
	Set   bool
	Value *T
}

// MarshalJSON writes the value, or null when there is none.
func (n nullable[T]) MarshalJSON() ([]byte, error) {
	if n.Value == nil {
		return []byte("null"), nil
	}
	return json.Marshal(*n.Value)
}

// JSONShape says that a nullable member has the members of T.
func (*nullable[T]) JSONShape() reflect.Type { return reflect.TypeFor[T]() }

func (n *nullable[T]) UnmarshalJSON(b []byte) error {
	n.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		n.Value = nil
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	n.Value = &v
	return nil
}

// guid reads an optional user id that clients may send as null, "null" or
// "" to mean none.
func guid(p *string) *string {
	if p == nil {
		return nil
	}
	s := strings.TrimSpace(*p)
	if s == "" || strings.EqualFold(s, "null") {
		return nil
	}
	return &s
}

// scalar reads a custom field value sent as a string, number or boolean;
// null reads as nil (clear).
type scalar struct {
	Value *string
}

// MarshalJSON writes the value as a string, or null when there is none.
func (s scalar) MarshalJSON() ([]byte, error) {
	if s.Value == nil {
		return []byte("null"), nil
	}
	return json.Marshal(*s.Value)
}

func (s *scalar) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		s.Value = nil
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		s.Value = &v
	case bytes.Equal(b, []byte("true")), bytes.Equal(b, []byte("false")):
		v := string(b)
		s.Value = &v
	default:
		if _, err := strconv.ParseFloat(string(b), 64); err != nil {
			return &json.UnmarshalTypeError{Value: "value", Type: stringType}
		}
		v := string(b)
		s.Value = &v
	}
	return nil
}

var stringType = reflect.TypeOf("")
