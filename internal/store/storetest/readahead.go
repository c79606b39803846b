package storetest

import (
	"testing"

	"openboards/internal/openboards"
)

// testReadAhead checks that reads a read-ahead covers answer exactly as
// they would without it, and only once: a later read sees the
// transaction's own writes.
func testReadAhead(t *testing.T, newStore NewStore) {
	t.Run("SameAnswers", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		known := b.user(b.cm1, userOpts{Name: "Known", Email: "known@example.com", CustomIdentifier: "known-id"})
		b.field(b.cm1, &openboards.CustomField{Name: "Plan", Type: openboards.FieldText, Placeholder: ptr("plan")})
		b.webhook(b.cm1)
		b.tx(func(tx openboards.Tx) error {
			_, err := tx.UpsertTags(b.ctx, b.cm1.ID, []string{"Billing", "urgent"})
			return err
		})
		wantFields, err := b.store.FindCustomFields(b.ctx, b.cm1.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantHooks, err := b.store.FindWebhooks(b.ctx, b.cm1.ID)
		if err != nil {
			t.Fatal(err)
		}
		b.tx(func(tx openboards.Tx) error {
			err := tx.ReadAhead(b.ctx, b.cm1.ID, openboards.ReadAhead{UserEmail: " KNOWN@example.com ", CustomFields: true,
				Tags: []string{"billing", "URGENT"}, Webhooks: true})
			if err != nil {
				return err
			}
			u, err := tx.FindUserByEmail(b.ctx, b.cm1.ID, "known@EXAMPLE.com")
			if err != nil {
				return err
			}
			diff(t, "user", known, u)
			fields, err := tx.FindCustomFields(b.ctx, b.cm1.ID)
			if err != nil {
				return err
			}
			diff(t, "custom fields", wantFields, fields)
			tags, err := tx.UpsertTags(b.ctx, b.cm1.ID, []string{"billing", "URGENT"})
			if err != nil {
				return err
			}
			if len(tags) != 2 || tags[0].Name != "Billing" || tags[1].Name != "urgent" || tags[0].ID == 0 {
				t.Errorf("tags = %+v, want Billing and urgent as stored", tags)
			}
			hooks, err := tx.FindWebhooks(b.ctx, b.cm1.ID)
			if err != nil {
				return err
			}
			diff(t, "webhooks", wantHooks, hooks)
			return nil
		})
	})
	t.Run("AnsweredOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		b.tx(func(tx openboards.Tx) error {
			err := tx.ReadAhead(b.ctx, b.cm1.ID, openboards.ReadAhead{UserEmail: "new@example.com", CustomFields: true,
				Tags: []string{"fresh"}, Webhooks: true})
			if err != nil {
				return err
			}
			if _, err := tx.FindUserByEmail(b.ctx, b.cm1.ID, "new@example.com"); openboards.ErrorCode(err) != openboards.CodeNotFound {
				t.Errorf("unknown e-mail: err = %v, want not found", err)
			}
			u := &openboards.User{ID: openboards.NewID(), CommunityID: b.cm1.ID, Name: "New", Email: ptr("new@example.com"),
				Status: openboards.StatusClient, CreatedAt: at(1)}
			if err := tx.CreateUser(b.ctx, u); err != nil {
				return err
			}
			// The second lookup reads the database, and so the new user.
			got, err := tx.FindUserByEmail(b.ctx, b.cm1.ID, "new@example.com")
			if err != nil {
				t.Errorf("after creating the user: %v", err)
			} else if got.ID != u.ID {
				t.Errorf("after creating the user: found %s, want %s", got.ID, u.ID)
			}
			tags, err := tx.UpsertTags(b.ctx, b.cm1.ID, []string{"fresh"})
			if err != nil {
				return err
			}
			if len(tags) != 1 || tags[0].ID == 0 || tags[0].Name != "fresh" {
				t.Errorf("a tag missing from the read-ahead: got %+v, want it created", tags)
			}
			if err := tx.CreateCustomField(b.ctx, &openboards.CustomField{CommunityID: b.cm1.ID, Name: "Later", Type: openboards.FieldText}); err != nil {
				return err
			}
			fields, err := tx.FindCustomFields(b.ctx, b.cm1.ID)
			if err != nil {
				return err
			}
			if len(fields) != 1 {
				t.Errorf("custom fields after read-ahead and create: %d, want 1", len(fields))
			}
			return nil
		})
	})
	t.Run("OtherCommunity", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		b.user(b.cm1, userOpts{Name: "One", Email: "same@example.com"})
		two := b.user(b.cm2, userOpts{Name: "Two", Email: "same@example.com"})
		b.field(b.cm2, &openboards.CustomField{Name: "Two's field", Type: openboards.FieldText})
		b.tx(func(tx openboards.Tx) error {
			if err := tx.ReadAhead(b.ctx, b.cm1.ID, openboards.ReadAhead{UserEmail: "same@example.com", CustomFields: true}); err != nil {
				return err
			}
			u, err := tx.FindUserByEmail(b.ctx, b.cm2.ID, "same@example.com")
			if err != nil {
				return err
			}
			if u.ID != two.ID {
				t.Errorf("community two's lookup found %s, want %s", u.ID, two.ID)
			}
			fields, err := tx.FindCustomFields(b.ctx, b.cm2.ID)
			if err != nil {
				return err
			}
			if len(fields) != 1 || fields[0].Name != "Two's field" {
				t.Errorf("community two's fields = %+v", fields)
			}
			return nil
		})
	})
}
