package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"openboards/internal/openboards"
)

// BenchmarkFindTicketByID reads one ticket with its author, assignee,
// category and a custom field value, as GET /tickets/{id} does:
//
//	go test -run '^$' -bench FindTicketByID -benchmem ./internal/store/sqlite
func BenchmarkFindTicketByID(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	email, phone := "ada@example.com", "+44 20 7946 0000"
	cm := &openboards.Community{Name: "Bench", ClientID: openboards.NewID(), APIUserID: openboards.NewID(), CreatedAt: now}
	author := &openboards.User{ID: openboards.NewID(), Name: "Ada", Email: &email, PhoneNumber: &phone, Status: openboards.StatusClient, CreatedAt: now}
	agent := &openboards.User{ID: openboards.NewID(), Name: "Agent", Status: openboards.StatusTeam, Role: openboards.RoleTeamMember, CreatedAt: now}
	cat := &openboards.Category{Name: "Billing", CanBeChosen: true}
	field := &openboards.CustomField{Name: "Order", Type: openboards.FieldText}
	tk := &openboards.Ticket{Title: "Order 100042 has not arrived", Message: "Hello, I ordered a pair of running shoes two weeks ago.",
		HTMLMessage: "<p>Hello, I ordered a pair of running shoes two weeks ago.</p>", Status: openboards.TicketOpen,
		Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI, Tags: []string{"shipping"},
		CreatedAt: now, LastActivityAt: now, UpdatedAt: now}
	err = s.InTx(ctx, func(tx openboards.Tx) error {
		if err := tx.CreateCommunity(ctx, cm); err != nil {
			return err
		}
		author.CommunityID, agent.CommunityID, cat.CommunityID, field.CommunityID = cm.ID, cm.ID, cm.ID, cm.ID
		for _, u := range []*openboards.User{author, agent} {
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		if err := tx.CreateCategory(ctx, cat); err != nil {
			return err
		}
		if err := tx.CreateCustomField(ctx, field); err != nil {
			return err
		}
		tk.CommunityID, tk.AuthorID, tk.AssigneeID, tk.CategoryID = cm.ID, author.ID, &agent.ID, &cat.ID
		tk.CustomFields = []openboards.FieldValue{{FieldID: field.ID, Value: "A-42"}}
		return tx.CreateTicket(ctx, tk)
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.FindTicketByID(ctx, cm.ID, tk.ID); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
