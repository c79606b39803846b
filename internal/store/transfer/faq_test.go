package transfer

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"openboards/internal/openboards"
	"openboards/internal/store/postgres"
	"openboards/internal/store/postgres/pgtest"
	"openboards/internal/store/sqlite"
)

// TestCopyFaq copies a knowledge base from SQLite to PostgreSQL and back:
// PostgreSQL's generated search columns are left to the target to compute,
// SQLite's full-text indexes are fed by their triggers, and both stores
// then read and search the copy as they did the original.
func TestCopyFaq(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.NewSchema(t)
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

	path := filepath.Join(t.TempDir(), "src.db")
	src, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cm := &openboards.Community{Name: "Acme", ClientID: openboards.NewID(), APIUserID: openboards.NewID(), CreatedAt: now}
	in := &openboards.FaqInstance{Name: "Help", DefaultLanguage: "en", Languages: []string{"en"}, IsPublished: true, CreatedAt: now, UpdatedAt: now}
	cat := &openboards.FaqCategory{Title: "Orders", Language: "en", IsPublished: true, CreatorID: "c", CreatedAt: now, UpdatedAt: now}
	tag := &openboards.FaqTag{Name: "money"}
	topic := &openboards.FaqTopic{Title: "Requesting a refund", Text: "Refunds take five days.", Content: "<p>Refunds take five days.</p>",
		IsPublished: true, Language: "en", TemplateType: "default", CreatorID: "c", CreatedAt: now, UpdatedAt: now}
	err = src.InTx(ctx, func(tx openboards.Tx) error {
		if err := tx.CreateCommunity(ctx, cm); err != nil {
			return err
		}
		in.CommunityID = cm.ID
		if err := tx.CreateFaqInstance(ctx, in); err != nil {
			return err
		}
		cat.CommunityID, cat.InstanceID = cm.ID, in.ID
		if err := tx.CreateFaqCategory(ctx, cat); err != nil {
			return err
		}
		tag.CommunityID, tag.InstanceID = cm.ID, in.ID
		if err := tx.CreateFaqTag(ctx, tag); err != nil {
			return err
		}
		topic.CommunityID, topic.CategoryID, topic.TagIDs = cm.ID, cat.ID, []int64{tag.ID}
		if err := tx.CreateFaqTopic(ctx, topic); err != nil {
			return err
		}
		if err := tx.PutFaqVote(ctx, &openboards.FaqVote{CommunityID: cm.ID, TopicID: topic.ID, Voter: "v", IsUseful: true, CreatedAt: now}); err != nil {
			return err
		}
		return tx.AddFaqView(ctx, cm.ID, topic.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	type snapshot struct {
		Category *openboards.FaqCategory
		Topic    *openboards.FaqTopic
		Found    []int64
	}
	read := func(r openboards.Reader) snapshot {
		t.Helper()
		var s snapshot
		var err error
		if s.Category, err = r.FindFaqCategory(ctx, cm.ID, cat.ID); err != nil {
			t.Fatal(err)
		}
		if s.Topic, err = r.FindFaqTopic(ctx, cm.ID, topic.ID); err != nil {
			t.Fatal(err)
		}
		for _, text := range []string{"refund", "refnd"} {
			hits, _, err := r.SearchFaqTopics(ctx, openboards.FaqSearch{FaqTopicFilter: openboards.FaqTopicFilter{CommunityID: cm.ID, InstanceID: in.ID, Take: 10}, Text: text})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hits {
				s.Found = append(s.Found, h.Topic.ID)
			}
		}
		return s
	}
	want := read(src)
	if len(want.Found) != 2 || want.Topic.UsefulCount != 1 || want.Category.ViewCount != 1 {
		t.Fatalf("the source: %+v", want)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}

	pg, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if _, err := Copy(ctx, openSQLite(t, path), DB{Pool: pg.DB(), Backend: PostgreSQL}, Options{}); err != nil {
		t.Fatalf("copy to PostgreSQL: %v", err)
	}
	if d := cmp.Diff(want, read(pg)); d != "" {
		t.Errorf("PostgreSQL after the copy (-SQLite +PostgreSQL):\n%s", d)
	}

	back := filepath.Join(t.TempDir(), "back.db")
	empty, err := sqlite.Open(ctx, back, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := empty.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Copy(ctx, DB{Pool: pg.DB(), Backend: PostgreSQL}, openSQLite(t, back), Options{}); err != nil {
		t.Fatalf("copy back to SQLite: %v", err)
	}
	again, err := sqlite.Open(ctx, back, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if d := cmp.Diff(want, read(again)); d != "" {
		t.Errorf("SQLite after the copy back (-before +after):\n%s", d)
	}
}
