package chat

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"openboards/internal/live"
	"openboards/internal/openboards"
	"openboards/internal/ticket"
)

// Automatic assignment: a community that asks for it has its waiting
// conversations assigned, first in line first, to the teammates online
// with room: the one with the most free slots first and, among equals, the
// one whose last automatic assignment is the oldest, so that they go
// round. RunRouting does it as changes happen (Observe, Notify) and sweeps
// every routingSweep, which also catches teammates coming back and the
// changes made on other nodes.

// routingSweep is how often RunRouting looks at every community that
// assigns automatically; a variable so that tests can shorten it.
var routingSweep = 15 * time.Second

// routingBatch bounds the assignments of one community in one pass, so
// that one busy community does not hold up the others.
const routingBatch = 100

// router is the state of RunRouting: the communities to look at.
type router struct {
	mu      sync.Mutex
	pending map[int64]struct{}
	kick    chan struct{}
}

func newRouter() *router {
	return &router{pending: map[int64]struct{}{}, kick: make(chan struct{}, 1)}
}

// Settings returns the community's chat settings.
func (s *Service) Settings(ctx context.Context, cm *openboards.Community) (*openboards.ChatSettings, error) {
	return s.store.FindChatSettings(ctx, cm.ID)
}

// SetAutoAssign turns automatic assignment on or off.
func (s *Service) SetAutoAssign(ctx context.Context, cm *openboards.Community, on bool) error {
	err := s.tickets.InTx(ctx, cm, func(w *ticket.Writer) error {
		if err := w.Tx().SetChatSettings(ctx, &openboards.ChatSettings{CommunityID: cm.ID, AutoAssign: on}); err != nil {
			return err
		}
		w.Queue(live.Event{Type: live.PresenceChanged}) // every desk shows the setting
		return nil
	})
	if err == nil {
		s.Notify(cm.ID)
	}
	return err
}

// Notify asks RunRouting to look at a community soon. It never blocks.
func (s *Service) Notify(communityID int64) {
	r := s.router
	r.mu.Lock()
	r.pending[communityID] = struct{}{}
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Observe takes the live events of committed changes and notifies the
// communities where a conversation may wait or a teammate may have room:
// the server passes it every event it publishes.
func (s *Service) Observe(events ...live.Event) {
	for _, e := range events {
		switch e.Type {
		case live.QueueChanged, live.PresenceChanged, live.StatusChanged, live.AssigneeChanged:
			s.Notify(e.CommunityID)
		}
	}
}

// RunRouting assigns conversations automatically until ctx ends. Failures
// are logged to log and tried again at the next sweep.
func (s *Service) RunRouting(ctx context.Context, log *slog.Logger) {
	sweep := time.NewTicker(routingSweep)
	defer sweep.Stop()
	for {
		var ids []int64
		select {
		case <-ctx.Done():
			return
		case <-s.router.kick:
			s.router.mu.Lock()
			for id := range s.router.pending {
				ids = append(ids, id)
			}
			clear(s.router.pending)
			s.router.mu.Unlock()
		case <-sweep.C:
			var err error
			if ids, err = s.store.FindAutoAssigning(ctx); err != nil {
				if ctx.Err() == nil {
					log.Error("chat: find auto-assigning communities", "err", err)
				}
				continue
			}
		}
		slices.Sort(ids)
		for _, id := range ids {
			cm, err := s.store.FindCommunityByID(ctx, id)
			if openboards.ErrorCode(err) == openboards.CodeNotFound {
				continue
			}
			if err == nil {
				_, err = s.AutoAssign(ctx, cm)
			}
			if err != nil && ctx.Err() == nil {
				log.Error("chat: assign conversations", "community", id, "err", err)
			}
			if ctx.Err() != nil {
				return
			}
		}
	}
}

// AutoAssign assigns the community's waiting conversations to its
// teammates online with room, if it asks for that, until either runs out
// (at most routingBatch), and returns how many it assigned.
func (s *Service) AutoAssign(ctx context.Context, cm *openboards.Community) (int, error) {
	st, err := s.store.FindChatSettings(ctx, cm.ID)
	if err != nil || !st.AutoAssign {
		return 0, err
	}
	n := 0
	for range routingBatch {
		assigned, again, err := s.assignNext(ctx, cm)
		if err != nil {
			return n, err
		}
		if assigned {
			n++
		}
		if !again {
			break
		}
	}
	return n, nil
}

// assignNext assigns the conversation first in line, in one transaction.
// It reports whether it did, and whether to go on (also when the first in
// line was taken meanwhile).
func (s *Service) assignNext(ctx context.Context, cm *openboards.Community) (assigned, again bool, err error) {
	err = s.tickets.InTx(ctx, cm, func(w *ticket.Writer) error {
		assigned, again = false, false
		tx := w.Tx()
		head, err := tx.FindQueued(ctx, cm.ID, 1)
		if err != nil || len(head) == 0 {
			return err
		}
		t, _, err := s.lock(ctx, w, head[0].TicketID)
		if openboards.ErrorCode(err) == openboards.CodeNotFound {
			again = true
			return nil
		}
		if err != nil {
			return err
		}
		// The ticket first, then the queue: the order TakeNext and
		// creating a conversation lock them in too.
		if err := tx.LockQueue(ctx, cm.ID); err != nil {
			return err
		}
		st, err := tx.FindChatSettings(ctx, cm.ID)
		if err != nil || !st.AutoAssign {
			return err
		}
		cv, err := tx.FindConversation(ctx, cm.ID, t.ID)
		if err != nil {
			return err
		}
		if !cv.Queued {
			again = true // somebody took it meanwhile
			return nil
		}
		loads, err := tx.FindChatLoads(ctx, cm.ID)
		if err != nil {
			return err
		}
		now := w.Now()
		for _, l := range candidates(loads, now) {
			u, err := ticket.Assignable(ctx, tx, cm.ID, "user", l.UserID)
			if openboards.ErrorCode(err) == openboards.CodeInvalid {
				continue // a read-only teammate who set a presence
			}
			if err != nil {
				return err
			}
			if err := w.SetAssignee(ctx, t, cm.APIUserID, u); err != nil {
				return err
			}
			if err := tx.MarkAutoAssigned(ctx, cm.ID, u.ID, now); err != nil {
				return err
			}
			assigned, again = true, true
			return nil
		}
		return nil // nobody has room
	})
	return assigned, again, err
}

// candidates orders the teammates online with room at now: most free
// slots first, then the one assigned longest ago.
func candidates(loads []openboards.ChatLoad, now time.Time) []openboards.ChatLoad {
	var out []openboards.ChatLoad
	for _, l := range loads {
		if l.Online(now) && l.Free() > 0 {
			out = append(out, l)
		}
	}
	slices.SortStableFunc(out, func(a, b openboards.ChatLoad) int {
		return cmp.Or(cmp.Compare(b.Free(), a.Free()), a.LastAssigned.Compare(b.LastAssigned), cmp.Compare(a.UserID, b.UserID))
	})
	return out
}
