package inbox

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"openboards/internal/chat"
	"openboards/internal/community"
	"openboards/internal/openboards"
)

// Live chat: the chat desk at /{community}/chat (the queue, the wait a new
// conversation faces, the teammate's presence and capacity, the team's
// loads, "take next"), and the conversation controls of the ticket view.
// Conversations are worked like tickets; their messages arrive through the
// live stream and the teammate's are sent without a reload (live.js).

func (h *Handler) chatRoutes() {
	m := h.mux
	m.Handle("GET /{community}/chat", h.auth(h.handleDesk))
	m.Handle("POST /{community}/chat/presence", h.auth(h.editor(h.handlePresence)))
	m.Handle("POST /{community}/chat/seen", h.auth(h.editor(h.handleSeen)))
	m.Handle("POST /{community}/chat/next", h.auth(h.editor(h.handleTakeNext)))
	m.Handle("POST /{community}/chat/routing", h.auth(h.admin(h.handleRouting)))
	m.Handle("POST /{community}/tickets/{id}/take", h.auth(h.editor(h.conversationAction(h.take))))
	m.Handle("POST /{community}/tickets/{id}/bot", h.auth(h.editor(h.conversationAction(h.toBot))))
	m.Handle("POST /{community}/tickets/{id}/typing", h.auth(h.editor(h.handleTyping)))
}

type deskData struct {
	Queue     []deskRow
	Queued    int
	More      int // waiting beyond those listed
	NextWait  string
	Me        deskLoad
	Team      []deskLoad
	CanEdit   bool
	MaxCap    int
	Mine      []listItem
	Statuses  []openboards.PresenceStatus
	Presence  openboards.PresenceStatus
	Available int // free slots of the teammates online
	Auto      bool
	IsAdmin   bool
}

type deskRow struct {
	Position    int
	ID          int64
	Title, Who  string
	Since, Wait string
	Href        string
	Bot         bool
}

type deskLoad struct {
	Name, Status   string
	Online         bool
	Holding, Limit int
}

func (h *Handler) handleDesk(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	ctx := r.Context()
	d, err := h.chat.Desk(ctx, in.Community)
	if err != nil {
		return err
	}
	team, err := h.store.FindTeammates(ctx, in.Community.ID, nil)
	if err != nil {
		return err
	}
	names := map[string]*openboards.User{}
	for _, u := range team {
		names[u.ID] = u
	}
	base := h.communityPath(in) + "/tickets?status=all&ticketId="
	settings, err := h.chat.Settings(ctx, in.Community)
	if err != nil {
		return err
	}
	data := &deskData{Queued: d.Queued, More: d.Queued - len(d.Queue), CanEdit: canEdit(in.User), MaxCap: openboards.MaxChatCapacity,
		Statuses: []openboards.PresenceStatus{openboards.PresenceOnline, openboards.PresenceAway}, Available: d.Stats.Free,
		Auto: settings.AutoAssign, IsAdmin: in.User.Role == openboards.RoleAdmin}
	for _, q := range d.Queue {
		row := deskRow{Position: q.Position, ID: q.Ticket.ID, Title: q.Ticket.Title, Href: base + strconv.FormatInt(q.Ticket.ID, 10)}
		if q.Ticket.Author != nil {
			row.Who = q.Ticket.Author.Name
		}
		if q.Conversation.QueuedAt != nil {
			row.Since = shortTime(*q.Conversation.QueuedAt)
			row.Wait = minutes(d.At.Sub(*q.Conversation.QueuedAt))
		}
		data.Queue = append(data.Queue, row)
	}
	data.NextWait = "no estimate yet (nobody online, or nothing closed in the last day)"
	if d.NextWait != nil {
		data.NextWait = "about " + minutes(time.Duration(*d.NextWait)*time.Minute)
	}
	load := func(name string, l openboards.ChatLoad) deskLoad {
		return deskLoad{Name: name, Status: chat.StatusLabel(l, d.At), Online: l.Online(d.At), Holding: l.Holding, Limit: l.Capacity}
	}
	me := d.Load(in.User.ID)
	data.Me, data.Presence = load(in.User.Name, me), me.Status
	for _, l := range d.Loads {
		if u := names[l.UserID]; u != nil && u.Role.CanBeAssigned() {
			data.Team = append(data.Team, load(u.Name, l))
		}
	}
	// The teammate's own conversations, newest activity first.
	src, open, self := openboards.SourceChat, openboards.TicketOpen, in.User.ID
	mine, err := h.store.FindTickets(ctx, openboards.TicketFilter{CommunityID: in.Community.ID, Source: &src, Status: &open,
		AssigneeSet: true, AssigneeID: &self, OrderBy: openboards.OrderLastActivityDesc, Take: pageSize})
	if err != nil {
		return err
	}
	for _, t := range mine {
		item := listItem{ID: t.ID, Title: t.Title, Status: t.Status.Label(), When: shortTime(t.LastActivityAt), Href: base + strconv.FormatInt(t.ID, 10)}
		if t.Author != nil {
			item.Author = t.Author.Name
		}
		data.Mine = append(data.Mine, item)
	}
	title := "Live chat"
	if d.Queued > 0 {
		// The tab says it too, as the desk updates by itself.
		title = "(" + strconv.Itoa(d.Queued) + ") Live chat"
	}
	p := h.newPage(title, in, data)
	switch r.URL.Query().Get("done") {
	case "presence", "routing":
		p.Flash = "Saved."
	case "none":
		p.Flash = "Nobody is waiting."
	}
	h.render(w, http.StatusOK, "chat", p)
	return nil
}

// minutes says a duration in whole minutes.
func minutes(d time.Duration) string {
	m := int(d / time.Minute)
	switch {
	case m <= 0:
		return "under a minute"
	case m == 1:
		return "1 minute"
	}
	return strconv.Itoa(m) + " minutes"
}

func (h *Handler) handlePresence(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	status := openboards.PresenceStatus(strings.TrimSpace(r.PostFormValue("status")))
	capacity, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("capacity")))
	if err != nil {
		return openboards.Errorf(openboards.CodeInvalid, "capacity: %q is not a number", r.PostFormValue("capacity"))
	}
	if err := h.chat.SetPresence(r.Context(), in.Community, in.User.ID, status, capacity); err != nil {
		return err
	}
	http.Redirect(w, r, h.communityPath(in)+"/chat?done=presence", http.StatusSeeOther)
	return nil
}

func (h *Handler) handleRouting(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	var on bool
	switch v := r.PostFormValue("assign"); v {
	case "auto":
		on = true
	case "manual":
	default:
		return openboards.Errorf(openboards.CodeInvalid, "assign: %q is neither \"auto\" nor \"manual\"", v)
	}
	if err := h.chat.SetAutoAssign(r.Context(), in.Community, on); err != nil {
		return err
	}
	http.Redirect(w, r, h.communityPath(in)+"/chat?done=routing", http.StatusSeeOther)
	return nil
}

// handleTyping takes live.js's word that the teammate is typing in a
// conversation, which the client's stream then shows.
func (h *Handler) handleTyping(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return openboards.Errorf(openboards.CodeNotFound, "no conversation %q", r.PathValue("id"))
	}
	if err := h.chat.Typing(r.Context(), in.Community, id, in.User.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleSeen takes live.js's heartbeat: the teammate is at work.
func (h *Handler) handleSeen(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	if err := h.chat.Seen(r.Context(), in.Community, in.User.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) handleTakeNext(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	id, err := h.chat.TakeNext(r.Context(), in.Community, in.User.ID)
	if openboards.ErrorCode(err) == openboards.CodeNotFound {
		http.Redirect(w, r, h.communityPath(in)+"/chat?done=none", http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, h.communityPath(in)+"/tickets?status=all&ticketId="+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// conversationAction runs an action on the conversation of the path as the
// signed-in teammate and shows the conversation again.
func (h *Handler) conversationAction(act func(r *http.Request, in *community.SignedIn, id int64) error) func(http.ResponseWriter, *http.Request, *community.SignedIn) error {
	return func(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || id <= 0 {
			return openboards.Errorf(openboards.CodeNotFound, "no conversation %q", r.PathValue("id"))
		}
		if err := act(r, in, id); err != nil {
			return err
		}
		http.Redirect(w, r, h.communityPath(in)+"/tickets?status=all&done=1&ticketId="+strconv.FormatInt(id, 10), http.StatusSeeOther)
		return nil
	}
}

func (h *Handler) take(r *http.Request, in *community.SignedIn, id int64) error {
	return h.chat.Take(r.Context(), actor(in), in.User.ID, id)
}

func (h *Handler) toBot(r *http.Request, in *community.SignedIn, id int64) error {
	_, err := h.chat.SetTakeover(r.Context(), actor(in), id, true, nil)
	return err
}

// actor is the signed-in teammate's community, with them as the one who
// acts, so that the log names them.
func actor(in *community.SignedIn) *openboards.Community {
	cm := *in.Community
	cm.APIUserID = in.User.ID
	return &cm
}

// conversationView is what the ticket view adds for a conversation.
type conversationView struct {
	State       string // "queued", "bot", "handled", "closed"
	Position    int
	Since       string
	WaitedFor   string
	LatestURL   string
	InitialURL  string
	Feedback    *openboards.Feedback
	HadBot      bool
	CanTake     bool
	AssigneeYou bool
}

func (h *Handler) conversationView(r *http.Request, in *community.SignedIn, t *openboards.Ticket, replies []*openboards.Reply) (*conversationView, error) {
	ctx := r.Context()
	cv, err := h.store.FindConversation(ctx, in.Community.ID, t.ID)
	if err != nil {
		return nil, err
	}
	q, err := openboards.FindQueueInfo(ctx, h.store, cv, h.chat.Now())
	if err != nil {
		return nil, err
	}
	v := &conversationView{Position: q.Position, Feedback: cv.Feedback}
	if cv.LatestPageURL != nil {
		v.LatestURL = *cv.LatestPageURL
	}
	if cv.InitialPageURL != nil {
		v.InitialURL = *cv.InitialPageURL
	}
	closed := t.Status == openboards.TicketCompleted || t.Status == openboards.TicketArchived
	switch {
	case closed:
		v.State = "closed"
	case cv.IsAssignedToBot:
		v.State = "bot"
	case q.Position > 0:
		v.State = "queued"
	default:
		v.State = "handled"
	}
	if cv.QueuedAt != nil && v.State == "queued" {
		v.Since = shortTime(*cv.QueuedAt)
		v.WaitedFor = minutes(h.chat.Now().Sub(*cv.QueuedAt))
	}
	for _, rp := range replies {
		if rp.Author != nil && rp.Author.IsBot {
			v.HadBot = true
		}
	}
	v.AssigneeYou = t.AssigneeID != nil && *t.AssigneeID == in.User.ID
	v.CanTake = !closed && canEdit(in.User) && in.User.Role.CanBeAssigned() && (t.AssigneeID == nil || (v.AssigneeYou && cv.IsAssignedToBot))
	return v, nil
}
