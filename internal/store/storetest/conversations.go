package storetest

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"openboards/internal/openboards"
)

func testConversations(t *testing.T, newStore NewStore) {
	chat := func(b *bundle, cm *openboards.Community, author *openboards.User) *openboards.Ticket {
		return b.ticket(cm, author, &openboards.Ticket{Source: openboards.SourceChat, DetailedSource: openboards.DetailedSourceChatAPI})
	}
	t.Run("CreateFindUpdate", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		ada := b.user(b.cm1, userOpts{Name: "Ada", Email: "ada@example.com"})
		tk := chat(b, b.cm1, ada)
		cv := &openboards.Conversation{TicketID: tk.ID, CommunityID: b.cm1.ID, InitialPageURL: ptr("https://example.com/a"),
			LatestPageURL: ptr("https://example.com/a"), IsAssignedToBot: true, UpdatedAt: at(1)}
		b.tx(func(tx openboards.Tx) error { return tx.CreateConversation(b.ctx, cv) })
		got, err := b.store.FindConversation(b.ctx, b.cm1.ID, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "conversation", cv, got)

		cv.LatestPageURL, cv.IsAssignedToBot = ptr("https://example.com/b"), false
		cv.Feedback = &openboards.Feedback{IsPositive: false, Text: ""}
		cv.QueueSeq, cv.Queued, cv.QueuedAt, cv.HandledAt, cv.ClosedAt = 7, true, ptr(at(2)), ptr(at(3)), ptr(at(4))
		cv.UpdatedAt = at(5)
		b.tx(func(tx openboards.Tx) error { return tx.UpdateConversation(b.ctx, cv) })
		got, err = b.store.FindConversation(b.ctx, b.cm1.ID, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "updated conversation (feedback false with empty text is kept)", cv, got)

		_, err = b.store.FindConversation(b.ctx, b.cm2.ID, tk.ID)
		wantCode(t, err, openboards.CodeNotFound)
		plain := b.ticket(b.cm1, ada, &openboards.Ticket{})
		_, err = b.store.FindConversation(b.ctx, b.cm1.ID, plain.ID)
		wantCode(t, err, openboards.CodeNotFound)
		err = b.try(func(tx openboards.Tx) error {
			return tx.UpdateConversation(b.ctx, &openboards.Conversation{TicketID: tk.ID, CommunityID: b.cm2.ID, UpdatedAt: at(6)})
		})
		wantCode(t, err, openboards.CodeNotFound)
	})
	t.Run("Messages", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		ada := b.user(b.cm1, userOpts{Name: "Ada"})
		tom := b.teammate(b.cm1, "Tom")
		tk := chat(b, b.cm1, ada)
		// Times out of insertion order (imported history), and two at one time.
		r1 := b.reply(ada, tk, &openboards.Reply{CreatedAt: at(30), UpdatedAt: at(40)})
		r2 := b.reply(tom, tk, &openboards.Reply{IsByTeam: true, CreatedAt: at(10), UpdatedAt: at(40)})
		r3 := b.reply(ada, tk, &openboards.Reply{CreatedAt: at(30), UpdatedAt: at(40)})
		b.reply(tom, tk, &openboards.Reply{IsByTeam: true, IsDraft: true, CreatedAt: at(5), UpdatedAt: at(5)})
		ids := func(rs []*openboards.Reply) []int64 {
			out := []int64{}
			for _, r := range rs {
				out = append(out, r.ID)
			}
			return out
		}
		list, err := b.store.FindConversationMessages(b.ctx, b.cm1.ID, tk.ID, openboards.OldestFirst, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "oldest first, drafts left out", []int64{r2.ID, r1.ID, r3.ID}, ids(list))
		if list[0].Author == nil || list[0].Author.ID != tom.ID {
			t.Fatalf("message author %+v, want Tom", list[0].Author)
		}
		list, err = b.store.FindConversationMessages(b.ctx, b.cm1.ID, tk.ID, openboards.NewestFirst, 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "newest first, skip 1 take 2", []int64{r1.ID, r2.ID}, ids(list))
		list, err = b.store.FindConversationMessages(b.ctx, b.cm2.ID, tk.ID, openboards.NewestFirst, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "another community's view", []int64{}, ids(list))

		b.tx(func(tx openboards.Tx) error { return tx.CreateMessageClientID(b.ctx, b.cm1.ID, tk.ID, "m-1", r1.ID) })
		id, err := b.store.FindMessageByClientID(b.ctx, b.cm1.ID, tk.ID, "m-1")
		if err != nil || id != r1.ID {
			t.Fatalf("FindMessageByClientID = %d, %v; want %d", id, err, r1.ID)
		}
		_, err = b.store.FindMessageByClientID(b.ctx, b.cm2.ID, tk.ID, "m-1")
		wantCode(t, err, openboards.CodeNotFound)
		_, err = b.store.FindMessageByClientID(b.ctx, b.cm1.ID, tk.ID, "M-1")
		wantCode(t, err, openboards.CodeNotFound)
		err = b.store.InTx(b.ctx, func(tx openboards.Tx) error { return tx.CreateMessageClientID(b.ctx, b.cm1.ID, tk.ID, "m-1", r3.ID) })
		wantCode(t, err, openboards.CodeConflict)

		b.tx(func(tx openboards.Tx) error { return tx.CreateReplyMail(b.ctx, r2) })
		mails, err := b.store.FindReplyMails(b.ctx, b.cm1.ID, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "replies to mail", []int64{r2.ID}, mails)
	})
	t.Run("Queue", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		ada := b.user(b.cm1, userOpts{Name: "Ada"})
		// Places are handed out per community, in order.
		var seqs []int64
		b.tx(func(tx openboards.Tx) error {
			for _, cm := range []*openboards.Community{b.cm1, b.cm1, b.cm2, b.cm1} {
				s, err := tx.NextQueueSeq(b.ctx, cm.ID)
				if err != nil {
					return err
				}
				seqs = append(seqs, s)
			}
			return nil
		})
		diff(t, "queue places", []int64{1, 2, 1, 3}, seqs)

		// A random queue, changed at random, counted against a plain model.
		rng := rand.New(rand.NewPCG(1, 2))
		waiting := map[int64]bool{}
		var convs []*openboards.Conversation
		for i := range 40 {
			tk := chat(b, b.cm1, ada)
			cv := &openboards.Conversation{TicketID: tk.ID, CommunityID: b.cm1.ID, UpdatedAt: at(i)}
			b.tx(func(tx openboards.Tx) error {
				seq, err := tx.NextQueueSeq(b.ctx, b.cm1.ID)
				if err != nil {
					return err
				}
				cv.QueueSeq, cv.Queued, cv.QueuedAt = seq, true, ptr(at(i))
				if err := tx.CreateConversation(b.ctx, cv); err != nil {
					return err
				}
				return tx.AddQueued(b.ctx, b.cm1.ID, seq, 1)
			})
			waiting[cv.QueueSeq] = true
			convs = append(convs, cv)
		}
		for range 60 {
			cv := convs[rng.IntN(len(convs))]
			delta := 1
			if cv.Queued {
				delta = -1
			}
			cv.Queued = !cv.Queued
			b.tx(func(tx openboards.Tx) error {
				if err := tx.UpdateConversation(b.ctx, cv); err != nil {
					return err
				}
				return tx.AddQueued(b.ctx, b.cm1.ID, cv.QueueSeq, delta)
			})
			waiting[cv.QueueSeq] = cv.Queued
		}
		var want []int64
		for _, cv := range convs {
			if cv.Queued {
				want = append(want, cv.TicketID)
			}
			before := 0
			for s, w := range waiting {
				if w && s < cv.QueueSeq {
					before++
				}
			}
			got, err := b.store.CountQueuedBefore(b.ctx, b.cm1.ID, cv.QueueSeq)
			if err != nil {
				t.Fatal(err)
			}
			if got != before {
				t.Fatalf("CountQueuedBefore(%d) = %d, want %d", cv.QueueSeq, got, before)
			}
		}
		queued, err := b.store.FindQueued(b.ctx, b.cm1.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, cv := range queued {
			got = append(got, cv.TicketID)
		}
		diff(t, "queued conversations, first in line first", want, got)
		if n, err := b.store.CountQueuedBefore(b.ctx, b.cm2.ID, 1000); err != nil || n != 0 {
			t.Fatalf("another community's queue: %d, %v", n, err)
		}
		if len(want) > 2 {
			head, err := b.store.FindQueued(b.ctx, b.cm1.ID, 2)
			if err != nil || len(head) != 2 || head[0].TicketID != want[0] {
				t.Fatalf("FindQueued limit 2 = %v, %v", head, err)
			}
		}
	})
	t.Run("ChatSettings", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		st, err := b.store.FindChatSettings(b.ctx, b.cm1.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "default settings", &openboards.ChatSettings{CommunityID: b.cm1.ID}, st)
		for _, on := range []bool{true, false, true} {
			b.tx(func(tx openboards.Tx) error {
				return tx.SetChatSettings(b.ctx, &openboards.ChatSettings{CommunityID: b.cm1.ID, AutoAssign: on})
			})
		}
		if st, err = b.store.FindChatSettings(b.ctx, b.cm1.ID); err != nil || !st.AutoAssign {
			t.Fatalf("settings after setting %+v, %v", st, err)
		}
		ids, err := b.store.FindAutoAssigning(b.ctx)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "auto-assigning", []int64{b.cm1.ID}, ids)
		if st, _ = b.store.FindChatSettings(b.ctx, b.cm2.ID); st.AutoAssign {
			t.Fatal("another community assigns automatically")
		}

		// Locking a queue that never had a place creates it at 0.
		var seq int64
		b.tx(func(tx openboards.Tx) error {
			if err := tx.LockQueue(b.ctx, b.cm2.ID); err != nil {
				return err
			}
			seq, err = tx.NextQueueSeq(b.ctx, b.cm2.ID)
			return err
		})
		if seq != 1 {
			t.Fatalf("first place after locking %d, want 1", seq)
		}

		tom := b.teammate(b.cm1, "Tom")
		b.tx(func(tx openboards.Tx) error {
			return tx.SetPresence(b.ctx, &openboards.Presence{CommunityID: b.cm1.ID, UserID: tom.ID, Status: openboards.PresenceOnline, Capacity: 2, SeenAt: at(1)})
		})
		b.tx(func(tx openboards.Tx) error { return tx.MarkAutoAssigned(b.ctx, b.cm1.ID, tom.ID, at(7)) })
		loads, err := b.store.FindChatLoads(b.ctx, b.cm1.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range loads {
			if l.UserID == tom.ID && !l.LastAssigned.Equal(at(7)) {
				t.Fatalf("last assigned %v, want %v", l.LastAssigned, at(7))
			}
		}
	})

	t.Run("QueueStatsAndPresence", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		ada := b.user(b.cm1, userOpts{Name: "Ada"})
		tom, eve, gone := b.teammate(b.cm1, "Tom"), b.teammate(b.cm1, "Eve"), b.teammate(b.cm1, "Gone")
		s, err := b.store.FindQueueStats(b.ctx, b.cm1.ID, at(0), at(0))
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "stats with no basis", openboards.QueueStats{}, s)
		_, err = b.store.FindPresence(b.ctx, b.cm1.ID, tom.ID)
		wantCode(t, err, openboards.CodeNotFound)

		// Handled in 2 and 4 minutes since the window; one closed before it.
		for i, d := range []struct{ handled, closed int }{{10, 12}, {20, 24}, {1, 3}} {
			tk := chat(b, b.cm1, ada)
			cv := &openboards.Conversation{TicketID: tk.ID, CommunityID: b.cm1.ID, HandledAt: ptr(at(d.handled)), ClosedAt: ptr(at(d.closed)), UpdatedAt: at(i)}
			b.tx(func(tx openboards.Tx) error { return tx.CreateConversation(b.ctx, cv) })
		}
		// Tom (capacity 3) holds one open conversation and a closed one;
		// Eve (2) is away; Gone was last seen before the cut-off.
		held := chat(b, b.cm1, ada)
		done := chat(b, b.cm1, ada)
		b.tx(func(tx openboards.Tx) error {
			id := &tom.ID
			if err := tx.UpdateTicket(b.ctx, b.cm1.ID, held.ID, openboards.TicketUpdate{AssigneeID: &id, UpdatedAt: at(30)}); err != nil {
				return err
			}
			st := openboards.TicketCompleted
			return tx.UpdateTicket(b.ctx, b.cm1.ID, done.ID, openboards.TicketUpdate{AssigneeID: &id, Status: &st, UpdatedAt: at(30)})
		})
		presence := []*openboards.Presence{
			{CommunityID: b.cm1.ID, UserID: tom.ID, Status: openboards.PresenceOnline, Capacity: 3, SeenAt: at(50)},
			{CommunityID: b.cm1.ID, UserID: eve.ID, Status: openboards.PresenceAway, Capacity: 2, SeenAt: at(50)},
			{CommunityID: b.cm1.ID, UserID: gone.ID, Status: openboards.PresenceOnline, Capacity: 5, SeenAt: at(20)},
		}
		for _, p := range presence {
			b.tx(func(tx openboards.Tx) error { return tx.SetPresence(b.ctx, p) })
		}
		// Set twice: the second wins.
		presence[0].Capacity = 4
		b.tx(func(tx openboards.Tx) error { return tx.SetPresence(b.ctx, presence[0]) })
		p, err := b.store.FindPresence(b.ctx, b.cm1.ID, tom.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "presence", presence[0], p)
		_, err = b.store.FindPresence(b.ctx, b.cm2.ID, tom.ID)
		wantCode(t, err, openboards.CodeNotFound)

		s, err = b.store.FindQueueStats(b.ctx, b.cm1.ID, at(5), at(40))
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "stats", openboards.QueueStats{Handled: 2, AverageHandling: 3 * time.Minute, Slots: 4, Free: 3}, s)
		s, err = b.store.FindQueueStats(b.ctx, b.cm2.ID, at(0), at(0))
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "another community's stats", openboards.QueueStats{}, s)

		// Loads: every teammate by name, with defaults for one who never
		// set a presence; an archived conversation is not held.
		ann := b.teammate(b.cm1, "Ann")
		arch := chat(b, b.cm1, ada)
		b.tx(func(tx openboards.Tx) error {
			id, st := &tom.ID, openboards.TicketArchived
			return tx.UpdateTicket(b.ctx, b.cm1.ID, arch.ID, openboards.TicketUpdate{AssigneeID: &id, Status: &st, UpdatedAt: at(31)})
		})
		loads, err := b.store.FindChatLoads(b.ctx, b.cm1.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range loads {
			got = append(got, fmt.Sprintf("%s %s cap %d holds %d free %d seen %v", l.UserID, l.Status, l.Capacity, l.Holding, l.Free(), !l.SeenAt.IsZero()))
		}
		diff(t, "loads", []string{
			ann.ID + " away cap 4 holds 0 free 4 seen false",
			eve.ID + " away cap 2 holds 0 free 2 seen true",
			gone.ID + " online cap 5 holds 0 free 5 seen true",
			tom.ID + " online cap 4 holds 1 free 3 seen true",
		}, got)
		if loads[3].Online(at(51)) != true || loads[2].Online(at(51)) || loads[1].Online(at(51)) {
			t.Errorf("online at 51: tom %v, gone %v, eve %v", loads[3].Online(at(51)), loads[2].Online(at(51)), loads[1].Online(at(51)))
		}
		loads, err = b.store.FindChatLoads(b.ctx, b.cm2.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range loads {
			if l.Holding != 0 || l.Status != openboards.PresenceAway {
				t.Errorf("another community's load %+v", l)
			}
		}
	})
}
