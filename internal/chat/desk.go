package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"openboards/internal/live"
	"openboards/internal/openboards"
	"openboards/internal/ticket"
)

// The teammates' side of live chat: their presence and capacity, the
// queue as the inbox's chat desk shows it, and taking conversations from
// it.

// DeskQueueLimit bounds the waiting conversations the desk lists.
const DeskQueueLimit = 50

// Waiting is a conversation in the queue, as the desk lists it.
type Waiting struct {
	Ticket       *openboards.Ticket
	Conversation *openboards.Conversation
	Position     int
}

// Desk is the community's live chat at a glance.
type Desk struct {
	// Queue lists the first DeskQueueLimit waiting conversations, first in
	// line first; Queued counts them all.
	Queue  []Waiting
	Queued int
	// Loads are the teammates' presence and load, by name.
	Loads []openboards.ChatLoad
	// Stats are what wait estimates are made from.
	Stats openboards.QueueStats
	// NextWait is the wait estimate of a conversation that starts now.
	NextWait *int
	// At is when the desk was read.
	At time.Time
}

// Load returns userID's load on the desk.
func (d *Desk) Load(userID string) openboards.ChatLoad {
	for _, l := range d.Loads {
		if l.UserID == userID {
			return l
		}
	}
	return openboards.ChatLoad{Presence: openboards.Presence{UserID: userID, Status: openboards.PresenceAway, Capacity: openboards.DefaultChatCapacity}}
}

// Desk reads the community's queue and the teammates' loads.
func (s *Service) Desk(ctx context.Context, cm *openboards.Community) (*Desk, error) {
	now := s.now()
	d := &Desk{At: now, Queue: []Waiting{}}
	queued, err := s.store.FindQueued(ctx, cm.ID, DeskQueueLimit)
	if err != nil {
		return nil, err
	}
	for i, cv := range queued {
		t, err := s.store.FindTicketByID(ctx, cm.ID, cv.TicketID)
		if openboards.ErrorCode(err) == openboards.CodeNotFound {
			continue // deleted since
		}
		if err != nil {
			return nil, err
		}
		d.Queue = append(d.Queue, Waiting{Ticket: t, Conversation: cv, Position: i + 1})
	}
	if d.Queued, err = s.store.CountQueuedBefore(ctx, cm.ID, openboards.MaxQueueSeq+1); err != nil {
		return nil, err
	}
	if d.Loads, err = s.store.FindChatLoads(ctx, cm.ID); err != nil {
		return nil, err
	}
	if d.Stats, err = s.store.FindQueueStats(ctx, cm.ID, now.Add(-openboards.QueueStatsWindow), now.Add(-openboards.PresenceTimeout)); err != nil {
		return nil, err
	}
	d.NextWait = openboards.EstimateWait(d.Queued+1, d.Stats)
	return d, nil
}

// Presence returns a teammate's presence: away at the default capacity
// when they never set one.
func (s *Service) Presence(ctx context.Context, cm *openboards.Community, userID string) (*openboards.Presence, error) {
	p, err := s.store.FindPresence(ctx, cm.ID, userID)
	if openboards.ErrorCode(err) == openboards.CodeNotFound {
		return &openboards.Presence{CommunityID: cm.ID, UserID: userID, Status: openboards.PresenceAway, Capacity: openboards.DefaultChatCapacity}, nil
	}
	return p, err
}

// SetPresence sets a teammate's status and chat capacity (1 to
// openboards.MaxChatCapacity); it counts as a sign of activity.
func (s *Service) SetPresence(ctx context.Context, cm *openboards.Community, userID string, status openboards.PresenceStatus, capacity int) error {
	switch status {
	case openboards.PresenceOnline, openboards.PresenceAway:
	default:
		return openboards.Errorf(openboards.CodeInvalid, "status: %q is neither %q nor %q", status, openboards.PresenceOnline, openboards.PresenceAway)
	}
	if capacity < 1 || capacity > openboards.MaxChatCapacity {
		return openboards.Errorf(openboards.CodeInvalid, "capacity: must be between 1 and %d", openboards.MaxChatCapacity)
	}
	return s.tickets.InTx(ctx, cm, func(w *ticket.Writer) error {
		if _, err := ticket.Assignable(ctx, w.Tx(), cm.ID, "user", userID); err != nil {
			return err
		}
		if err := w.Tx().SetPresence(ctx, &openboards.Presence{CommunityID: cm.ID, UserID: userID, Status: status, Capacity: capacity, SeenAt: s.now()}); err != nil {
			return err
		}
		// Everybody's desk shows who is online.
		w.Queue(live.Event{Type: live.PresenceChanged, UserID: userID})
		return nil
	})
}

// seenEvery is how stale a teammate's last sign of activity must be before
// Seen writes a new one: a heartbeat every few seconds costs one write a
// minute.
const seenEvery = time.Minute

// Seen records a sign of a teammate's activity. A teammate online but not
// seen for openboards.PresenceTimeout counts as away, so the inbox calls
// it while they work; it changes nothing for one who is away.
func (s *Service) Seen(ctx context.Context, cm *openboards.Community, userID string) error {
	p, err := s.store.FindPresence(ctx, cm.ID, userID)
	if openboards.ErrorCode(err) == openboards.CodeNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.now()
	if p.Status != openboards.PresenceOnline || now.Sub(p.SeenAt) < seenEvery {
		return nil
	}
	back := !p.Online(now)
	return s.tickets.InTx(ctx, cm, func(w *ticket.Writer) error {
		p.SeenAt = now
		if err := w.Tx().SetPresence(ctx, p); err != nil {
			return err
		}
		if back {
			w.Queue(live.Event{Type: live.PresenceChanged, UserID: userID})
		}
		return nil
	})
}

// Take assigns a conversation to a teammate, taking it from the queue or
// from its bot. One that somebody else holds already is a conflict; one
// the teammate holds is left as it is.
func (s *Service) Take(ctx context.Context, cm *openboards.Community, userID string, id int64) error {
	return s.tickets.InTx(ctx, cm, func(w *ticket.Writer) error {
		t, cv, err := s.lock(ctx, w, id)
		if err != nil {
			return err
		}
		return s.take(ctx, w, t, cv, userID)
	})
}

func (s *Service) take(ctx context.Context, w *ticket.Writer, t *openboards.Ticket, cv *openboards.Conversation, userID string) error {
	cm := w.Community()
	if t.Status == openboards.TicketCompleted || t.Status == openboards.TicketArchived {
		return openboards.Errorf(openboards.CodeConflict, "conversation %d is closed", t.ID)
	}
	if t.AssigneeID != nil && *t.AssigneeID != userID {
		name := "another teammate"
		if u, err := w.Tx().FindUserByID(ctx, cm.ID, *t.AssigneeID); err == nil {
			name = u.Name
		}
		return openboards.Errorf(openboards.CodeConflict, "%s has taken conversation %d already", name, t.ID)
	}
	u, err := ticket.Assignable(ctx, w.Tx(), cm.ID, "user", userID)
	if err != nil {
		return err
	}
	if err := w.SetAssignee(ctx, t, userID, u); err != nil {
		return err
	}
	if !cv.IsAssignedToBot {
		return nil
	}
	if cv, err = w.Tx().FindConversation(ctx, cm.ID, t.ID); err != nil {
		return err
	}
	cv.IsAssignedToBot = false
	if err := w.SaveConversation(ctx, t, cv); err != nil {
		return err
	}
	return w.Record(ctx, openboards.Change{Type: openboards.EventConversationTakeover, TicketID: t.ID})
}

// takeTries bounds how often TakeNext moves on to the next in line when
// another teammate took the first at the same moment.
const takeTries = 8

// TakeNext assigns the conversation first in line to a teammate and
// returns its id, unless they hold as many as their capacity already.
// CodeNotFound when nobody waits.
func (s *Service) TakeNext(ctx context.Context, cm *openboards.Community, userID string) (int64, error) {
	var id int64
	err := s.tickets.InTx(ctx, cm, func(w *ticket.Writer) error {
		tx := w.Tx()
		p, err := s.Presence(ctx, cm, userID)
		if err != nil {
			return err
		}
		loads, err := tx.FindChatLoads(ctx, cm.ID)
		if err != nil {
			return err
		}
		for _, l := range loads {
			if l.UserID == userID && l.Holding >= p.Capacity {
				return openboards.Errorf(openboards.CodeConflict, "you hold %d conversations, your capacity; close one or raise your capacity first", l.Holding)
			}
		}
		// On PostgreSQL another node may take the head between reading and
		// locking it: read the head again once it is locked.
		for range takeTries {
			head, err := tx.FindQueued(ctx, cm.ID, 1)
			if err != nil {
				return err
			}
			if len(head) == 0 {
				return openboards.Errorf(openboards.CodeNotFound, "nobody is waiting")
			}
			t, cv, err := s.lock(ctx, w, head[0].TicketID)
			if openboards.ErrorCode(err) == openboards.CodeNotFound {
				continue
			}
			if err != nil {
				return err
			}
			if !cv.Queued {
				continue
			}
			id = t.ID
			return s.take(ctx, w, t, cv, userID)
		}
		return openboards.Errorf(openboards.CodeConflict, "the queue is changing fast; try again")
	})
	return id, err
}

// StatusLabel names a teammate's presence as the desk shows it at now.
func StatusLabel(l openboards.ChatLoad, now time.Time) string {
	switch {
	case l.Online(now):
		return "online"
	case l.Status == openboards.PresenceOnline:
		return fmt.Sprintf("away (inactive since %s)", l.SeenAt.UTC().Format("15:04 UTC"))
	default:
		return "away"
	}
}

// Typing tells the conversation's live subscribers (the client's stream,
// the inbox's open pages) that userID, a teammate or the client, is typing
// in it now; they show it for a few seconds. Nothing is stored. The
// conversation must be open.
func (s *Service) Typing(ctx context.Context, cm *openboards.Community, id int64, userID string) error {
	t, err := s.store.FindTicketByID(ctx, cm.ID, id)
	if err != nil {
		return err
	}
	if !t.IsConversation() {
		return openboards.Errorf(openboards.CodeNotFound, "conversation %d not found", id)
	}
	if t.Status == openboards.TicketCompleted || t.Status == openboards.TicketArchived {
		return openboards.Errorf(openboards.CodeConflict, "conversation %d is closed", id)
	}
	if userID == "" {
		userID = t.AuthorID
	}
	name := ""
	if userID == t.AuthorID && t.Author != nil {
		name = t.Author.Name
	} else if u, err := s.store.FindUserByID(ctx, cm.ID, userID); err == nil {
		name = u.Name
	} else {
		return err
	}
	data, _ := json.Marshal(map[string]string{"name": name}) // a map of strings always encodes
	s.tickets.Announce(live.Event{Type: live.Typing, CommunityID: cm.ID, TicketID: id, UserID: userID, Data: data})
	return nil
}
