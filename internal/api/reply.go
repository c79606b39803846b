package api

import (
	"bytes"
	"encoding/json"
	"net/http"

	"openboards/internal/openboards"
	"openboards/internal/ticket"
)

func (h *Handler) handleReplyList(w http.ResponseWriter, r *http.Request, cm *openboards.Community) {
	id, err := pathID(r, "id")
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	skip, take, err := page(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if _, err := h.store.FindTicketByID(r.Context(), cm.ID, id); err != nil {
		h.writeError(w, r, err)
		return
	}
	replies, err := h.store.FindReplies(r.Context(), cm.ID, id, skip, take)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]*replyJSON, len(replies))
	for i, rp := range replies {
		out[i] = replyOut(rp)
	}
	h.writeData(w, out)
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

func (h *Handler) handleReplyCreate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) {
	id, err := pathID(r, "id")
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	var req replyCreateRequest
	if err := decode(r, &req, true); err != nil {
		h.writeError(w, r, err)
		return
	}
	rp, err := h.tickets.CreateReply(r.Context(), cm, id, ticket.CreateReplyInput{
		Author: req.Author.ref(), Message: req.Message, IsHTML: req.IsHTML, IsDraft: req.IsDraft,
		IsTicketNeededToBeCompleted: req.IsTicketNeededToBeCompleted, SuppressTicketStatusAutoupdate: req.SuppressTicketStatusAutoupdate,
		ParentReplyID: req.ParentReplyID, Attachments: attachmentsIn(req.Attachments),
	})
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.writeData(w, replyOut(rp))
}

type replyUpdateRequest struct {
	Attachments                    *[]attachmentRequest `json:"attachments"`
	IsDraft                        *bool                `json:"isDraft"`
	IsHTML                         bool                 `json:"isHtml"`
	IsTicketNeededToBeCompleted    bool                 `json:"isTicketNeededToBeCompleted"`
	Message                        *string              `json:"message"`
	SuppressTicketStatusAutoupdate bool                 `json:"suppressTicketStatusAutoupdate"`
}

func (h *Handler) handleReplyUpdate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) {
	id, err := pathID(r, "id")
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	replyID, err := pathID(r, "replyId")
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	var req replyUpdateRequest
	if err := decode(r, &req, true); err != nil {
		h.writeError(w, r, err)
		return
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
		h.writeError(w, r, err)
		return
	}
	h.writeData(w, replyOut(rp))
}

func (h *Handler) handleReplyDelete(w http.ResponseWriter, r *http.Request, cm *openboards.Community) {
	id, err := pathID(r, "id")
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	replyID, err := pathID(r, "replyId")
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if err := h.tickets.DeleteReply(r.Context(), cm, id, replyID); err != nil {
		h.writeError(w, r, err)
		return
	}
	h.writeData(w, emptyObject)
}

func (h *Handler) handleReplyTags(w http.ResponseWriter, r *http.Request, cm *openboards.Community) {
	id, err := pathID(r, "id")
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	replyID, err := pathID(r, "replyId")
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	names, err := tagsRequest(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if err := h.tickets.SetReplyTags(r.Context(), cm, id, replyID, names); err != nil {
		h.writeError(w, r, err)
		return
	}
	h.writeData(w, emptyObject)
}

func (h *Handler) handleNoteList(w http.ResponseWriter, r *http.Request, cm *openboards.Community) {
	id, err := pathID(r, "id")
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	skip, take, err := page(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if _, err := h.store.FindTicketByID(r.Context(), cm.ID, id); err != nil {
		h.writeError(w, r, err)
		return
	}
	notes, err := h.store.FindNotes(r.Context(), cm.ID, id, skip, take)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]*noteJSON, len(notes))
	for i, n := range notes {
		out[i] = noteOut(n)
	}
	h.writeData(w, out)
}

// mentionRef reads a mentioned user given as a GUID string or as a user
// object ({id}, {email} or {customIdentifier}).
type mentionRef struct{ userRefRequest }

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

func (h *Handler) handleNoteCreate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) {
	id, err := pathID(r, "id")
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	var req noteRequest
	if err := decode(r, &req, true); err != nil {
		h.writeError(w, r, err)
		return
	}
	n, err := h.tickets.CreateNote(r.Context(), cm, id, req.input())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.writeData(w, noteOut(n))
}

func (h *Handler) handleNoteUpdate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) {
	id, err := pathID(r, "id")
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	noteID, err := pathID(r, "noteId")
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	var req noteRequest
	if err := decode(r, &req, true); err != nil {
		h.writeError(w, r, err)
		return
	}
	n, err := h.tickets.UpdateNote(r.Context(), cm, id, noteID, req.input())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.writeData(w, noteOut(n))
}

func (h *Handler) handleNoteDelete(w http.ResponseWriter, r *http.Request, cm *openboards.Community) {
	id, err := pathID(r, "id")
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	noteID, err := pathID(r, "noteId")
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if err := h.tickets.DeleteNote(r.Context(), cm, id, noteID); err != nil {
		h.writeError(w, r, err)
		return
	}
	h.writeData(w, emptyObject)
}
