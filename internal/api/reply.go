package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"

	"openboards/internal/httpapi"
	"openboards/internal/openboards"
	"openboards/internal/ticket"
)

func (h *Handler) handleReplyList(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, skip, take, err := h.ticketPage(r, cm)
	if err != nil {
		return err
	}
	replies, err := h.store.FindReplies(r.Context(), cm.ID, id, skip, take)
	if err != nil {
		return err
	}
	out := make([]*replyJSON, len(replies))
	for i, rp := range replies {
		out[i] = replyOut(rp)
	}
	return h.ok(w, out)
}

type replyCreateRequest struct {
	Attachments                    []attachmentRequest `json:"attachments"`
	Author                         *userRefRequest     `json:"author"`
	IsDraft                        bool                `json:"isDraft"`
	IsHTML                         bool                `json:"isHtml"`
	IsTicketNeededToBeCompleted    bool                `json:"isTicketNeededToBeCompleted"`
	Message                        string              `json:"message"`
	ParentReplyID                  *int64              `json:"parentReplyId"`
	SuppressTicketStatusAutoupdate bool                `json:"suppressTicketStatusAutoupdate"`
}

func (h *Handler) handleReplyCreate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	var req replyCreateRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	rp, err := h.tickets.CreateReply(r.Context(), cm, id, ticket.CreateReplyInput{
		Author: req.Author.ref(), Message: req.Message, IsHTML: req.IsHTML, IsDraft: req.IsDraft,
		IsTicketNeededToBeCompleted: req.IsTicketNeededToBeCompleted, SuppressTicketStatusAutoupdate: req.SuppressTicketStatusAutoupdate,
		ParentReplyID: req.ParentReplyID, Attachments: attachmentsIn(req.Attachments),
	})
	if err != nil {
		return err
	}
	return h.ok(w, replyOut(rp))
}

type replyUpdateRequest struct {
	Attachments                    *[]attachmentRequest `json:"attachments"`
	IsDraft                        *bool                `json:"isDraft"`
	IsHTML                         bool                 `json:"isHtml"`
	IsTicketNeededToBeCompleted    bool                 `json:"isTicketNeededToBeCompleted"`
	Message                        *string              `json:"message"`
	SuppressTicketStatusAutoupdate bool                 `json:"suppressTicketStatusAutoupdate"`
	// Read-only members of the Reply shape.
	Author        httpapi.Ignored `json:"author"`
	CCEmails      httpapi.Ignored `json:"ccEmails"`
	CreationTime  httpapi.Ignored `json:"creationTime"`
	HTMLMessage   httpapi.Ignored `json:"htmlMessage"`
	ID            httpapi.Ignored `json:"id"`
	Level         httpapi.Ignored `json:"level"`
	ParentReplyID httpapi.Ignored `json:"parentReplyId"`
	Properties    httpapi.Ignored `json:"properties"`
	Tags          httpapi.Ignored `json:"tags"`
	TicketID      httpapi.Ignored `json:"ticketId"`
	ToEmails      httpapi.Ignored `json:"toEmails"`
}

func (h *Handler) handleReplyUpdate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	replyID, err := httpapi.PathID(r, "replyId")
	if err != nil {
		return err
	}
	var req replyUpdateRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	in := ticket.UpdateReplyInput{Message: req.Message, IsHTML: req.IsHTML, IsDraft: req.IsDraft,
		IsTicketNeededToBeCompleted: req.IsTicketNeededToBeCompleted, SuppressTicketStatusAutoupdate: req.SuppressTicketStatusAutoupdate}
	if req.Attachments != nil {
		a := attachmentsIn(*req.Attachments)
		if a == nil {
			a = []ticket.AttachmentInput{}
		}
		in.Attachments = &a
	}
	rp, err := h.tickets.UpdateReply(r.Context(), cm, id, replyID, in)
	if err != nil {
		return err
	}
	return h.ok(w, replyOut(rp))
}

func (h *Handler) handleReplyDelete(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	replyID, err := httpapi.PathID(r, "replyId")
	if err != nil {
		return err
	}
	if err := h.tickets.DeleteReply(r.Context(), cm, id, replyID); err != nil {
		return err
	}
	return h.ok(w, httpapi.EmptyObject)
}

func (h *Handler) handleReplyTags(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	replyID, err := httpapi.PathID(r, "replyId")
	if err != nil {
		return err
	}
	names, err := tagsRequest(r)
	if err != nil {
		return err
	}
	if err := h.tickets.SetReplyTags(r.Context(), cm, id, replyID, names); err != nil {
		return err
	}
	return h.ok(w, httpapi.EmptyObject)
}

func (h *Handler) handleNoteList(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, skip, take, err := h.ticketPage(r, cm)
	if err != nil {
		return err
	}
	notes, err := h.store.FindNotes(r.Context(), cm.ID, id, skip, take)
	if err != nil {
		return err
	}
	out := make([]*noteJSON, len(notes))
	for i, n := range notes {
		out[i] = noteOut(n)
	}
	return h.ok(w, out)
}

// mentionRef reads a mentioned user given as a GUID string or as a user
// object ({id}, {email} or {customIdentifier}).
type mentionRef struct{ userRefRequest }

// JSONShape says that a mentioned user sent as an object has the members
// of a user reference.
func (*mentionRef) JSONShape() reflect.Type { return reflect.TypeFor[userRefRequest]() }

func (m *mentionRef) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &m.ID)
	}
	return json.Unmarshal(b, &m.userRefRequest)
}

type noteRequest struct {
	Attachments    []attachmentRequest `json:"attachments"`
	Author         *userRefRequest     `json:"author"`
	IsHTML         bool                `json:"isHtml"`
	Message        string              `json:"message"`
	MentionedUsers []mentionRef        `json:"mentionedUsers"`
	// Read-only members of the Note shape.
	ID           httpapi.Ignored `json:"id"`
	HTMLMessage  httpapi.Ignored `json:"htmlMessage"`
	CreationTime httpapi.Ignored `json:"creationTime"`
}

func (req *noteRequest) input() ticket.NoteInput {
	in := ticket.NoteInput{Author: req.Author.ref(), Message: req.Message, IsHTML: req.IsHTML, Attachments: attachmentsIn(req.Attachments)}
	if req.MentionedUsers != nil {
		in.MentionedUsers = make([]openboards.UserRef, len(req.MentionedUsers))
		for i := range req.MentionedUsers {
			in.MentionedUsers[i] = req.MentionedUsers[i].ref()
		}
	}
	return in
}

func (h *Handler) handleNoteCreate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	var req noteRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	n, err := h.tickets.CreateNote(r.Context(), cm, id, req.input())
	if err != nil {
		return err
	}
	return h.ok(w, noteOut(n))
}

func (h *Handler) handleNoteUpdate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	noteID, err := httpapi.PathID(r, "noteId")
	if err != nil {
		return err
	}
	var req noteRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	n, err := h.tickets.UpdateNote(r.Context(), cm, id, noteID, req.input())
	if err != nil {
		return err
	}
	return h.ok(w, noteOut(n))
}

func (h *Handler) handleNoteDelete(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	noteID, err := httpapi.PathID(r, "noteId")
	if err != nil {
		return err
	}
	if err := h.tickets.DeleteNote(r.Context(), cm, id, noteID); err != nil {
		return err
	}
	return h.ok(w, httpapi.EmptyObject)
}
