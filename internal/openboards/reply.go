package openboards

import (
	"context"
	"time"
)

// Reply is a message in a ticket's thread, from a teammate or the customer.
type Reply struct {
	ID            int64
	TicketID      int64
	CommunityID   int64
	AuthorID      string
	Author        *User // filled on reads
	ParentReplyID *int64
	Level         int
	Message       string
	HTMLMessage   string
	IsByTeam      bool
	IsDraft       bool
	IsHidden      bool
	Tags          []string
	Attachments   []Attachment
	CCEmails      []string
	ToEmails      []string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// ReplyUpdate holds the changes to a reply; nil fields stay as they are.
type ReplyUpdate struct {
	Message     *string
	HTMLMessage *string
	IsDraft     *bool
	Attachments *[]Attachment
	Tags        *[]string
	UpdatedAt   time.Time
}

// Note is an internal remark on a ticket, visible to teammates only.
type Note struct {
	ID               int64
	TicketID         int64
	CommunityID      int64
	AuthorID         string
	Author           *User // filled on reads
	Message          string
	HTMLMessage      *string
	Attachments      []Attachment
	MentionedUserIDs []string
	MentionedUsers   []User // filled on reads
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// ReplyReader reads the replies of tickets.
type ReplyReader interface {
	FindReplyByID(ctx context.Context, communityID, ticketID, id int64) (*Reply, error)
	// FindReplies lists a ticket's replies oldest first.
	FindReplies(ctx context.Context, communityID, ticketID int64, skip, take int) ([]*Reply, error)
}

// ReplyStore writes replies.
type ReplyStore interface {
	ReplyReader
	CreateReply(ctx context.Context, r *Reply) error
	UpdateReply(ctx context.Context, communityID, ticketID, id int64, u ReplyUpdate) error
	DeleteReply(ctx context.Context, communityID, ticketID, id int64) error
}

// NoteReader reads the notes of tickets.
type NoteReader interface {
	FindNoteByID(ctx context.Context, communityID, ticketID, id int64) (*Note, error)
	// FindNotes lists a ticket's notes oldest first.
	FindNotes(ctx context.Context, communityID, ticketID int64, skip, take int) ([]*Note, error)
}

// NoteStore writes notes.
type NoteStore interface {
	NoteReader
	CreateNote(ctx context.Context, n *Note) error
	UpdateNote(ctx context.Context, n *Note) error
	DeleteNote(ctx context.Context, communityID, ticketID, id int64) error
}
