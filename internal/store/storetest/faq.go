package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"openboards/internal/openboards"
)

// faqInstance stores an instance of cm.
func (b *bundle) faqInstance(cm *openboards.Community, name string) *openboards.FaqInstance {
	b.t.Helper()
	n := b.next()
	in := &openboards.FaqInstance{CommunityID: cm.ID, Name: name, DefaultLanguage: "en", Languages: []string{"en", "da"},
		IsPublished: true, CreatedAt: at(n), UpdatedAt: at(n)}
	b.tx(func(tx openboards.Tx) error { return tx.CreateFaqInstance(b.ctx, in) })
	return in
}

// faqCategory stores c in the instance in, filling in what c leaves out.
func (b *bundle) faqCategory(in *openboards.FaqInstance, c *openboards.FaqCategory) *openboards.FaqCategory {
	b.t.Helper()
	n := b.next()
	c.CommunityID, c.InstanceID = in.CommunityID, in.ID
	if c.Title == "" {
		c.Title = fmt.Sprintf("Category %d", n)
	}
	if c.Language == "" {
		c.Language = "en"
	}
	if c.CreatorID == "" {
		c.CreatorID = "creator"
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt, c.UpdatedAt = at(n), at(n)
	}
	b.tx(func(tx openboards.Tx) error { return tx.CreateFaqCategory(b.ctx, c) })
	return c
}

// faqTopic stores t in the category c, filling in what t leaves out.
func (b *bundle) faqTopic(c *openboards.FaqCategory, t *openboards.FaqTopic) *openboards.FaqTopic {
	b.t.Helper()
	n := b.next()
	t.CommunityID, t.CategoryID = c.CommunityID, c.ID
	if t.Title == "" {
		t.Title = fmt.Sprintf("Topic %d", n)
	}
	if t.Text == "" {
		t.Text = "Some text."
	}
	if t.Content == "" {
		t.Content = "<p>" + t.Text + "</p>"
	}
	if t.Language == "" {
		t.Language = "en"
	}
	if t.TemplateType == "" {
		t.TemplateType = "default"
	}
	if t.CreatorID == "" {
		t.CreatorID = "creator"
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt, t.UpdatedAt = at(n), at(n)
	}
	b.tx(func(tx openboards.Tx) error { return tx.CreateFaqTopic(b.ctx, t) })
	return t
}

func (b *bundle) findFaqTopic(cm *openboards.Community, id int64) *openboards.FaqTopic {
	b.t.Helper()
	t, err := b.store.FindFaqTopic(b.ctx, cm.ID, id)
	if err != nil {
		b.t.Fatalf("FindFaqTopic(%d): %v", id, err)
	}
	return t
}

func (b *bundle) findFaqCategory(cm *openboards.Community, id int64) *openboards.FaqCategory {
	b.t.Helper()
	c, err := b.store.FindFaqCategory(b.ctx, cm.ID, id)
	if err != nil {
		b.t.Fatalf("FindFaqCategory(%d): %v", id, err)
	}
	return c
}

func (b *bundle) vote(t *openboards.FaqTopic, voter string, useful bool) {
	b.t.Helper()
	b.tx(func(tx openboards.Tx) error {
		return tx.PutFaqVote(b.ctx, &openboards.FaqVote{CommunityID: t.CommunityID, TopicID: t.ID, Voter: voter, IsUseful: useful, CreatedAt: at(b.next())})
	})
}

func (b *bundle) view(t *openboards.FaqTopic, n int) {
	b.t.Helper()
	for range n {
		b.tx(func(tx openboards.Tx) error { return tx.AddFaqView(b.ctx, t.CommunityID, t.ID) })
	}
}

func topicIDs(ts []*openboards.FaqTopic) []int64 {
	ids := make([]int64, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	return ids
}

func hitIDs(hs []openboards.FaqHit) []int64 {
	ids := make([]int64, len(hs))
	for i, h := range hs {
		ids[i] = h.Topic.ID
	}
	return ids
}

// counts are a category's counters.
type counts struct{ Active, Published, Usefulness, Views int }

func categoryCounts(c *openboards.FaqCategory) counts {
	return counts{c.ActiveTopicCount, c.PublishedTopicCount, c.TotalUsefulness, c.ViewCount}
}

func testFaq(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	ctx, cm := b.ctx, b.cm1.ID

	// Instances.
	in := b.faqInstance(b.cm1, "Help centre")
	other := b.faqInstance(b.cm1, "Other brand")
	got, err := b.store.FindFaqInstance(ctx, cm, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "instance", in, got)
	in.Name, in.Languages, in.IsPublished, in.UpdatedAt = "Help", []string{"en"}, false, at(90)
	b.tx(func(tx openboards.Tx) error { return tx.UpdateFaqInstance(ctx, in) })
	list, err := b.store.FindFaqInstances(ctx, cm)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "instances", []*openboards.FaqInstance{in, other}, list)
	_, err = b.store.FindFaqInstance(ctx, cm, other.ID+100)
	wantCode(t, err, openboards.CodeNotFound)

	// Categories, by position then id; filtered by language and
	// publication.
	second := b.faqCategory(in, &openboards.FaqCategory{Title: "Second", Position: 2, IsPublished: true, ImageLink: ptr("https://example.com/i.png")})
	first := b.faqCategory(in, &openboards.FaqCategory{Title: "First", Position: 1, IsPublished: true, IsSticky: true, Description: "d"})
	danish := b.faqCategory(in, &openboards.FaqCategory{Title: "Dansk", Position: 2, Language: "da"})
	cats, err := b.store.FindFaqCategories(ctx, cm, in.ID, "", false)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "categories", []*openboards.FaqCategory{first, second, danish}, cats)
	cats, err = b.store.FindFaqCategories(ctx, cm, in.ID, "da", false)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "Danish categories", []*openboards.FaqCategory{danish}, cats)
	cats, err = b.store.FindFaqCategories(ctx, cm, in.ID, "", true)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "published categories", []*openboards.FaqCategory{first, second}, cats)
	second.Title, second.ImageLink, second.Position, second.UpdatedAt = "Second!", nil, 0, at(91)
	b.tx(func(tx openboards.Tx) error { return tx.UpdateFaqCategory(ctx, second) })
	diff(t, "updated category", second, b.findFaqCategory(b.cm1, second.ID))
	// A category of an instance the community does not have.
	err = b.store.InTx(ctx, func(tx openboards.Tx) error {
		return tx.CreateFaqCategory(ctx, &openboards.FaqCategory{CommunityID: b.cm2.ID, InstanceID: in.ID, Title: "x", Language: "en"})
	})
	wantCode(t, err, openboards.CodeNotFound)

	// Tags, by name in any case; a name twice in one instance is a
	// conflict, in another instance not.
	var zeta, alpha, otherTag *openboards.FaqTag
	b.tx(func(tx openboards.Tx) error {
		zeta = &openboards.FaqTag{CommunityID: cm, InstanceID: in.ID, Name: "zeta"}
		alpha = &openboards.FaqTag{CommunityID: cm, InstanceID: in.ID, Name: "Alpha"}
		otherTag = &openboards.FaqTag{CommunityID: cm, InstanceID: other.ID, Name: "alpha"}
		for _, tag := range []*openboards.FaqTag{zeta, alpha, otherTag} {
			if err := tx.CreateFaqTag(ctx, tag); err != nil {
				return err
			}
		}
		return nil
	})
	tags, err := b.store.FindFaqTags(ctx, cm, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "tags", []*openboards.FaqTag{alpha, zeta}, tags)
	err = b.store.InTx(ctx, func(tx openboards.Tx) error {
		return tx.CreateFaqTag(ctx, &openboards.FaqTag{CommunityID: cm, InstanceID: in.ID, Name: "ZETA"})
	})
	wantCode(t, err, openboards.CodeConflict)

	// Topics.
	tp := b.faqTopic(first, &openboards.FaqTopic{Title: "Hello", Text: "World", BannerImageLink: ptr("https://example.com/b.png"),
		Attachments: []openboards.Attachment{{URL: "https://example.com/a.pdf", Name: "a.pdf"}}, IsPublished: true,
		TemplateType: "article", TagIDs: []int64{zeta.ID, alpha.ID}})
	if tp.InstanceID != in.ID {
		t.Fatalf("CreateFaqTopic set InstanceID %d, want %d", tp.InstanceID, in.ID)
	}
	want := *tp
	want.TagIDs = []int64{min(zeta.ID, alpha.ID), max(zeta.ID, alpha.ID)}
	diff(t, "topic", &want, b.findFaqTopic(b.cm1, tp.ID))

	tp.Title, tp.Text, tp.Content, tp.BannerImageLink, tp.Attachments = "Hi", "There", "<p>There</p>", nil, nil
	tp.IsSticky, tp.Language, tp.TagIDs, tp.UpdatedAt = true, "da", []int64{alpha.ID}, at(92)
	b.tx(func(tx openboards.Tx) error { return tx.UpdateFaqTopic(ctx, tp) })
	diff(t, "updated topic", tp, b.findFaqTopic(b.cm1, tp.ID))

	// A tag of another instance, a category of another instance: not
	// found, and nothing changes.
	for name, write := range map[string]func(tx openboards.Tx) error{
		"create with a tag of another instance": func(tx openboards.Tx) error {
			return tx.CreateFaqTopic(ctx, &openboards.FaqTopic{CommunityID: cm, CategoryID: first.ID, Title: "x", Text: "x", Language: "en",
				TemplateType: "default", TagIDs: []int64{otherTag.ID}, CreatedAt: at(1), UpdatedAt: at(1)})
		},
		"update with a tag of another instance": func(tx openboards.Tx) error {
			u := *tp
			u.TagIDs = []int64{otherTag.ID}
			return tx.UpdateFaqTopic(ctx, &u)
		},
		"move to a category of another instance": func(tx openboards.Tx) error {
			oc := &openboards.FaqCategory{CommunityID: cm, InstanceID: other.ID, Title: "o", Language: "en", CreatedAt: at(1), UpdatedAt: at(1)}
			if err := tx.CreateFaqCategory(ctx, oc); err != nil {
				return err
			}
			u := *tp
			u.CategoryID = oc.ID
			return tx.UpdateFaqTopic(ctx, &u)
		},
	} {
		if err := b.store.InTx(ctx, write); openboards.ErrorCode(err) != openboards.CodeNotFound {
			t.Errorf("%s: got %v, want code %q", name, err, openboards.CodeNotFound)
		}
	}
	diff(t, "topic after refused writes", tp, b.findFaqTopic(b.cm1, tp.ID))

	// Deleting a tag takes it off its topics.
	b.tx(func(tx openboards.Tx) error { return tx.DeleteFaqTag(ctx, cm, alpha.ID) })
	if got := b.findFaqTopic(b.cm1, tp.ID).TagIDs; len(got) != 0 {
		t.Fatalf("tags after deleting the tag: %v", got)
	}

	t.Run("Cascade", func(t *testing.T) {
		// Deleting a category deletes its topics (and their votes); the
		// other categories keep theirs.
		gone := b.faqTopic(second, &openboards.FaqTopic{Title: "Cascading", Text: "cascading words", IsPublished: true})
		kept := b.faqTopic(first, &openboards.FaqTopic{Title: "Staying", Text: "cascading words", IsPublished: true})
		b.vote(gone, "v1", true)
		b.tx(func(tx openboards.Tx) error { return tx.DeleteFaqCategory(ctx, cm, second.ID) })
		_, err := b.store.FindFaqTopic(ctx, cm, gone.ID)
		wantCode(t, err, openboards.CodeNotFound)
		_, err = b.store.FindFaqCategory(ctx, cm, second.ID)
		wantCode(t, err, openboards.CodeNotFound)
		hits, n, err := b.store.SearchFaqTopics(ctx, openboards.FaqSearch{FaqTopicFilter: openboards.FaqTopicFilter{CommunityID: cm, InstanceID: in.ID, Take: 10}, Text: "cascading"})
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 || !slices.Equal(hitIDs(hits), []int64{kept.ID}) {
			t.Fatalf("search after deleting a category: %v (total %d), want only %d", hitIDs(hits), n, kept.ID)
		}
		err = b.store.InTx(ctx, func(tx openboards.Tx) error { return tx.DeleteFaqCategory(ctx, cm, second.ID) })
		wantCode(t, err, openboards.CodeNotFound)

		// Deleting an instance deletes everything in it.
		b.tx(func(tx openboards.Tx) error { return tx.DeleteFaqInstance(ctx, cm, in.ID) })
		_, err = b.store.FindFaqInstance(ctx, cm, in.ID)
		wantCode(t, err, openboards.CodeNotFound)
		for _, id := range []int64{first.ID, danish.ID} {
			_, err = b.store.FindFaqCategory(ctx, cm, id)
			wantCode(t, err, openboards.CodeNotFound)
		}
		for _, id := range []int64{tp.ID, kept.ID} {
			_, err = b.store.FindFaqTopic(ctx, cm, id)
			wantCode(t, err, openboards.CodeNotFound)
		}
		if tags, err := b.store.FindFaqTags(ctx, cm, in.ID); err != nil || len(tags) != 0 {
			t.Fatalf("tags of a deleted instance: %v, %v", tags, err)
		}
		hits, n, err = b.store.SearchFaqTopics(ctx, openboards.FaqSearch{FaqTopicFilter: openboards.FaqTopicFilter{CommunityID: cm, InstanceID: in.ID, Take: 10}, Text: "cascading"})
		if err != nil || n != 0 || len(hits) != 0 {
			t.Fatalf("search of a deleted instance: %v (total %d), %v", hitIDs(hits), n, err)
		}
		// The other instance is whole.
		if tags, err := b.store.FindFaqTags(ctx, cm, other.ID); err != nil || len(tags) != 1 {
			t.Fatalf("tags of the other instance: %v, %v", tags, err)
		}
		err = b.store.InTx(ctx, func(tx openboards.Tx) error { return tx.DeleteFaqInstance(ctx, cm, in.ID) })
		wantCode(t, err, openboards.CodeNotFound)
	})
}

// testFaqCounters checks that every write keeps the counters of topics
// and categories exact.
func testFaqCounters(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	ctx, cm := b.ctx, b.cm1.ID
	in := b.faqInstance(b.cm1, "Help")
	one := b.faqCategory(in, &openboards.FaqCategory{Title: "One"})
	two := b.faqCategory(in, &openboards.FaqCategory{Title: "Two"})
	check := func(step string, c *openboards.FaqCategory, want counts) {
		t.Helper()
		if got := categoryCounts(b.findFaqCategory(b.cm1, c.ID)); got != want {
			t.Fatalf("%s: category %q counters %+v, want %+v", step, c.Title, got, want)
		}
	}
	checkTopic := func(step string, tp *openboards.FaqTopic, views, useful, notUseful int) {
		t.Helper()
		got := b.findFaqTopic(b.cm1, tp.ID)
		if got.ViewCount != views || got.UsefulCount != useful || got.NotUsefulCount != notUseful {
			t.Fatalf("%s: topic counters %d views, %d useful, %d not; want %d, %d, %d", step,
				got.ViewCount, got.UsefulCount, got.NotUsefulCount, views, useful, notUseful)
		}
	}

	a := b.faqTopic(one, &openboards.FaqTopic{IsPublished: true})
	d := b.faqTopic(one, &openboards.FaqTopic{})
	check("created", one, counts{Active: 2, Published: 1})

	b.vote(a, "ann", true)
	b.vote(a, "bob", true)
	b.vote(a, "cat", false)
	checkTopic("three votes", a, 0, 2, 1)
	check("three votes", one, counts{Active: 2, Published: 1, Usefulness: 1})
	b.vote(a, "bob", false) // replaces bob's vote
	b.vote(a, "ann", true)  // the same again: no change
	checkTopic("replaced votes", a, 0, 1, 2)
	check("replaced votes", one, counts{Active: 2, Published: 1, Usefulness: -1})

	b.view(a, 3)
	b.view(d, 1)
	checkTopic("views", a, 3, 1, 2)
	check("views", one, counts{Active: 2, Published: 1, Usefulness: -1, Views: 4})

	// Publishing counts; an update keeps the counters whatever t says.
	d.IsPublished, d.ViewCount, d.UsefulCount = true, 100, 100
	b.tx(func(tx openboards.Tx) error { return tx.UpdateFaqTopic(ctx, d) })
	checkTopic("published", d, 1, 0, 0)
	check("published", one, counts{Active: 2, Published: 2, Usefulness: -1, Views: 4})

	// A move takes the topic's counts along, publication changing on the
	// way.
	a.CategoryID, a.IsPublished = two.ID, false
	b.tx(func(tx openboards.Tx) error { return tx.UpdateFaqTopic(ctx, a) })
	check("moved: old", one, counts{Active: 1, Published: 1, Views: 1})
	check("moved: new", two, counts{Active: 1, Published: 0, Usefulness: -1, Views: 3})
	checkTopic("moved", a, 3, 1, 2)

	// Deleting takes them away.
	b.tx(func(tx openboards.Tx) error { return tx.DeleteFaqTopic(ctx, cm, a.ID) })
	check("deleted", two, counts{})
	b.tx(func(tx openboards.Tx) error { return tx.DeleteFaqTopic(ctx, cm, d.ID) })
	check("deleted", one, counts{})

	// Votes and views of a topic the community does not have.
	for name, write := range map[string]func(tx openboards.Tx) error{
		"PutFaqVote": func(tx openboards.Tx) error {
			return tx.PutFaqVote(ctx, &openboards.FaqVote{CommunityID: cm, TopicID: a.ID, Voter: "x", IsUseful: true, CreatedAt: at(1)})
		},
		"AddFaqView":     func(tx openboards.Tx) error { return tx.AddFaqView(ctx, cm, a.ID) },
		"DeleteFaqTopic": func(tx openboards.Tx) error { return tx.DeleteFaqTopic(ctx, cm, a.ID) },
	} {
		if err := b.try(write); openboards.ErrorCode(err) != openboards.CodeNotFound {
			t.Errorf("%s on a deleted topic: got %v, want code %q", name, err, openboards.CodeNotFound)
		}
	}
}

// testFaqConcurrentVotes votes and views from many goroutines at once, in
// transactions of their own: no update of a counter may be lost.
func testFaqConcurrentVotes(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	in := b.faqInstance(b.cm1, "Help")
	cat := b.faqCategory(in, &openboards.FaqCategory{})
	tp := b.faqTopic(cat, &openboards.FaqTopic{IsPublished: true})
	sibling := b.faqTopic(cat, &openboards.FaqTopic{})
	const voters = 24
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 5*voters)
	for i := range voters {
		wg.Go(func() {
			<-start
			// Voter i votes useful when i is even; each voter votes once on
			// each topic and views each once, and the last eight also change
			// their mind on tp (from not useful to useful, or back).
			for _, topic := range []*openboards.FaqTopic{tp, sibling} {
				errs <- b.store.InTx(b.ctx, func(tx openboards.Tx) error {
					return tx.PutFaqVote(b.ctx, &openboards.FaqVote{CommunityID: b.cm1.ID, TopicID: topic.ID, Voter: fmt.Sprintf("voter-%d", i),
						IsUseful: i%2 == 0, CreatedAt: at(i)})
				})
				errs <- b.store.InTx(b.ctx, func(tx openboards.Tx) error { return tx.AddFaqView(b.ctx, b.cm1.ID, topic.ID) })
			}
			if i >= voters-8 {
				errs <- b.store.InTx(b.ctx, func(tx openboards.Tx) error {
					return tx.PutFaqVote(b.ctx, &openboards.FaqVote{CommunityID: b.cm1.ID, TopicID: tp.ID, Voter: fmt.Sprintf("voter-%d", i),
						IsUseful: i%2 != 0, CreatedAt: at(100 + i)})
				})
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// tp: 12 useful and 12 not, then 4 of each changed sides: still 12
	// and 12. sibling: 12 and 12.
	for _, topic := range []*openboards.FaqTopic{tp, sibling} {
		got := b.findFaqTopic(b.cm1, topic.ID)
		if got.ViewCount != voters || got.UsefulCount != voters/2 || got.NotUsefulCount != voters/2 {
			t.Errorf("topic %d: %d views, %d useful, %d not; want %d, %d, %d", topic.ID, got.ViewCount, got.UsefulCount, got.NotUsefulCount,
				voters, voters/2, voters/2)
		}
	}
	if got, want := categoryCounts(b.findFaqCategory(b.cm1, cat.ID)), (counts{Active: 2, Published: 1, Usefulness: 0, Views: 2 * voters}); got != want {
		t.Errorf("category counters %+v, want %+v", got, want)
	}

	// One more round on tp only: every voter useful. 24 useful, 0 not.
	var wg2 sync.WaitGroup
	errs2 := make([]error, voters)
	for i := range voters {
		wg2.Go(func() {
			errs2[i] = b.store.InTx(b.ctx, func(tx openboards.Tx) error {
				return tx.PutFaqVote(b.ctx, &openboards.FaqVote{CommunityID: b.cm1.ID, TopicID: tp.ID, Voter: fmt.Sprintf("voter-%d", i),
					IsUseful: true, CreatedAt: at(200 + i)})
			})
		})
	}
	wg2.Wait()
	for _, err := range errs2 {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := b.findFaqTopic(b.cm1, tp.ID)
	if got.UsefulCount != voters || got.NotUsefulCount != 0 {
		t.Errorf("after all useful: %d useful, %d not", got.UsefulCount, got.NotUsefulCount)
	}
	if got := b.findFaqCategory(b.cm1, cat.ID).TotalUsefulness; got != voters {
		t.Errorf("category usefulness %d, want %d", got, voters)
	}

	// One visitor voting on sibling from many requests at once, changing
	// their mind each time: one vote counts, whichever came last.
	var wg3 sync.WaitGroup
	errs3 := make([]error, 16)
	for i := range errs3 {
		wg3.Go(func() {
			errs3[i] = b.store.InTx(b.ctx, func(tx openboards.Tx) error {
				return tx.PutFaqVote(b.ctx, &openboards.FaqVote{CommunityID: b.cm1.ID, TopicID: sibling.ID, Voter: "same",
					IsUseful: i%2 == 0, CreatedAt: at(300 + i)})
			})
		})
	}
	wg3.Wait()
	for _, err := range errs3 {
		if err != nil {
			t.Fatal(err)
		}
	}
	got = b.findFaqTopic(b.cm1, sibling.ID)
	if got.UsefulCount+got.NotUsefulCount != voters+1 || got.UsefulCount < voters/2 || got.NotUsefulCount < voters/2 {
		t.Errorf("sibling after one visitor's votes: %d useful, %d not; want %d votes, one of them the visitor's", got.UsefulCount, got.NotUsefulCount, voters+1)
	}
	if c := b.findFaqCategory(b.cm1, cat.ID); c.TotalUsefulness != voters+got.UsefulCount-got.NotUsefulCount {
		t.Errorf("category usefulness %d, want %d", c.TotalUsefulness, voters+got.UsefulCount-got.NotUsefulCount)
	}
}

func testFaqSorting(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	ctx, cm := b.ctx, b.cm1.ID
	in := b.faqInstance(b.cm1, "Help")
	cat := b.faqCategory(in, &openboards.FaqCategory{IsPublished: true})
	hidden := b.faqCategory(in, &openboards.FaqCategory{})
	var t1, t2 *openboards.FaqTag
	b.tx(func(tx openboards.Tx) error {
		t1 = &openboards.FaqTag{CommunityID: cm, InstanceID: in.ID, Name: "one"}
		t2 = &openboards.FaqTag{CommunityID: cm, InstanceID: in.ID, Name: "two"}
		if err := tx.CreateFaqTag(ctx, t1); err != nil {
			return err
		}
		return tx.CreateFaqTag(ctx, t2)
	})
	mk := func(title string, created, updated int, views, useful, notUseful int, o openboards.FaqTopic) *openboards.FaqTopic {
		o.Title, o.CreatedAt, o.UpdatedAt = title, at(created), at(updated)
		o.IsPublished = true
		tp := b.faqTopic(cat, &o)
		b.view(tp, views)
		for i := range useful {
			b.vote(tp, fmt.Sprintf("u%d", i), true)
		}
		for i := range notUseful {
			b.vote(tp, fmt.Sprintf("n%d", i), false)
		}
		return tp
	}
	a := mk("Banana", 1, 10, 5, 1, 0, openboards.FaqTopic{TagIDs: []int64{t1.ID}})
	bb := mk("apple", 2, 8, 9, 0, 1, openboards.FaqTopic{})
	c := mk("Cherry", 3, 6, 1, 3, 0, openboards.FaqTopic{TagIDs: []int64{t1.ID, t2.ID}})
	d := mk("date", 4, 12, 9, 0, 0, openboards.FaqTopic{Language: "da"})
	e := mk("Elder", 0, 0, 0, 0, 0, openboards.FaqTopic{IsSticky: true})
	u := b.faqTopic(hidden, &openboards.FaqTopic{Title: "In a hidden category", IsPublished: true})
	draft := b.faqTopic(cat, &openboards.FaqTopic{Title: "Draft", CreatedAt: at(-1), UpdatedAt: at(-1)})

	list := func(f openboards.FaqTopicFilter) ([]int64, int) {
		t.Helper()
		f.CommunityID, f.InstanceID = cm, in.ID
		got, n, err := b.store.FindFaqTopics(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return topicIDs(got), n
	}
	for _, tc := range []struct {
		sortBy string
		want   []int64
	}{
		{"", []int64{e.ID, bb.ID, d.ID, a.ID, c.ID}},
		{openboards.FaqSortMostPopular, []int64{e.ID, bb.ID, d.ID, a.ID, c.ID}},
		{openboards.FaqSortMostUseful, []int64{e.ID, c.ID, a.ID, d.ID, bb.ID}},
		{openboards.FaqSortNewest, []int64{e.ID, d.ID, c.ID, bb.ID, a.ID}},
		{openboards.FaqSortLastUpdated, []int64{e.ID, d.ID, a.ID, bb.ID, c.ID}},
		{openboards.FaqSortAlphabetical, []int64{e.ID, bb.ID, a.ID, c.ID, d.ID}},
	} {
		got, n := list(openboards.FaqTopicFilter{CategoryID: &cat.ID, PublishedOnly: true, SortBy: tc.sortBy, Take: 10})
		diff(t, "sort "+tc.sortBy, tc.want, got)
		if n != 5 {
			t.Errorf("sort %s: total %d, want 5", tc.sortBy, n)
		}
	}

	// Pages, and the total past the end.
	got, n := list(openboards.FaqTopicFilter{CategoryID: &cat.ID, PublishedOnly: true, Skip: 1, Take: 2})
	diff(t, "page", []int64{bb.ID, d.ID}, got)
	if n != 5 {
		t.Errorf("page: total %d, want 5", n)
	}
	got, n = list(openboards.FaqTopicFilter{CategoryID: &cat.ID, PublishedOnly: true, Skip: 10, Take: 2})
	if len(got) != 0 || n != 5 {
		t.Errorf("past the end: %v, total %d; want none, total 5", got, n)
	}

	// Filters.
	got, n = list(openboards.FaqTopicFilter{SortBy: openboards.FaqSortNewest})
	diff(t, "every topic", []int64{e.ID, u.ID, d.ID, c.ID, bb.ID, a.ID, draft.ID}, got)
	if n != 7 {
		t.Errorf("every topic: total %d, want 7", n)
	}
	got, _ = list(openboards.FaqTopicFilter{PublishedOnly: true, SortBy: openboards.FaqSortNewest})
	diff(t, "published", []int64{e.ID, d.ID, c.ID, bb.ID, a.ID}, got)
	got, _ = list(openboards.FaqTopicFilter{TagIDs: []int64{t1.ID}, SortBy: openboards.FaqSortNewest})
	diff(t, "tag one", []int64{c.ID, a.ID}, got)
	got, _ = list(openboards.FaqTopicFilter{TagIDs: []int64{t1.ID, t2.ID, t1.ID}})
	diff(t, "tags one and two", []int64{c.ID}, got)
	got, _ = list(openboards.FaqTopicFilter{Language: "da"})
	diff(t, "Danish", []int64{d.ID}, got)
	got, _ = list(openboards.FaqTopicFilter{CategoryID: &hidden.ID})
	diff(t, "hidden category", []int64{u.ID}, got)
}

// faqCorpus is the search corpus: title, text, and what else a topic of
// it is. Both backends must rank it alike.
var faqCorpus = []struct {
	key, title, text string
	sticky, draft    bool
	language         string
	category         string // "" for the main one
	tags             []string
}{
	{key: "password", title: "How do I reset my password?", text: "If you forgot your password, open the sign-in page and choose Forgot password. We send a link to your e-mail address; the link works for one hour."},
	{key: "email", title: "Changing your e-mail address", text: "Open your account settings and enter the new address. We send a confirmation message to both addresses."},
	{key: "refund", title: "Requesting a refund", text: "You can ask for a refund within 30 days of delivery. Refunds go back to the card you paid with and take five to ten working days."},
	{key: "return", title: "Returning an item", text: "Pack the item in its original box and attach the return label from your order page. Once the parcel reaches our warehouse we process your refund."},
	{key: "international", title: "International shipping rates", text: "We ship to more than forty countries. Shipping costs for international orders depend on the weight of the parcel and the destination.", tags: []string{"shipping"}},
	{key: "domestic", title: "Domestic shipping times", text: "Orders inside the country arrive in two to four working days. Shipping is free above fifty euros.", tags: []string{"shipping"}},
	{key: "tracking", title: "Tracking your order", text: "Every order gets a tracking number by e-mail once it leaves the warehouse. Follow the parcel on the carrier's site.", tags: []string{"shipping"}},
	{key: "invoice", title: "Downloading your invoice", text: "Each order has an invoice you can download as a PDF from the order page. Business customers find the VAT number on every invoice."},
	{key: "giftpay", title: "Paying with a gift card", text: "Enter the gift card code at checkout. Any balance left stays on the card for later orders."},
	{key: "balance", title: "Gift card balance", text: "Check the remaining value of a gift card on the balance page."},
	{key: "balance-sticky", title: "Gift card balance", text: "Check the remaining value of a gift card on the balance page.", sticky: true},
	{key: "cancel", title: "Cancelling an order", text: "An order can be cancelled until it is packed. Open the order page and choose Cancel."},
	{key: "address", title: "Changing the delivery address", text: "Write to us before the order is packed and we change the delivery address for you."},
	{key: "payment", title: "Payment methods", text: "We accept cards, bank transfer and invoice payment for business customers."},
	{key: "signup", title: "Creating an account", text: "Sign up with your e-mail address and choose a password of at least ten characters."},
	{key: "delete", title: "Deleting your account", text: "Ask us to delete your account and we remove your personal data within thirty days."},
	{key: "2fa", title: "Two-factor authentication", text: "Turn on two-factor authentication in the security settings to protect your account."},
	{key: "newsletter", title: "Newsletter subscription", text: "Unsubscribe from the newsletter with the link at the bottom of every message."},
	{key: "warranty", title: "Product warranty", text: "Every product has a two-year warranty against manufacturing faults.", draft: true},
	{key: "damaged", title: "Damaged goods", text: "If an item arrives damaged, send us a photo within seven days and we replace it."},
	{key: "size", title: "Size guide", text: "Our size guide lists the measurements of every garment."},
	{key: "hours", title: "Store opening hours", text: "Our shops are open from ten to six on weekdays.", category: "drafts"},
	{key: "price", title: "Price match promise", text: "Found the same product cheaper elsewhere? We match the price."},
	{key: "student", title: "Student discount", text: "Students get ten percent off with a valid student card."},
	{key: "loyalty", title: "Loyalty points", text: "Earn one point for every euro you spend and redeem points at checkout."},
	{key: "referral", title: "Referral programme", text: "Refer a friend and both of you get a voucher."},
	{key: "danish", title: "Returnering af varer", text: "Du kan returnere varer inden for 30 dage.", language: "da"},
	{key: "app", title: "Mobile app", text: "Get the app for iPhone and Android to follow your orders."},
	{key: "support", title: "Contacting support", text: "Write to us through the chat or by e-mail; we answer within one working day."},
	{key: "privacy", title: "Privacy policy", text: "We keep your personal data safe and never sell it.", category: "legal"},
}

func testFaqSearch(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	ctx, cm := b.ctx, b.cm1.ID
	in := b.faqInstance(b.cm1, "Help")
	cats := map[string]*openboards.FaqCategory{
		"":       b.faqCategory(in, &openboards.FaqCategory{Title: "Main", IsPublished: true}),
		"legal":  b.faqCategory(in, &openboards.FaqCategory{Title: "Legal", IsPublished: true}),
		"drafts": b.faqCategory(in, &openboards.FaqCategory{Title: "Drafts"}),
	}
	shipping := &openboards.FaqTag{CommunityID: cm, InstanceID: in.ID, Name: "shipping"}
	b.tx(func(tx openboards.Tx) error { return tx.CreateFaqTag(ctx, shipping) })
	topics := map[string]*openboards.FaqTopic{}
	keys := map[int64]string{}
	for _, c := range faqCorpus {
		tp := &openboards.FaqTopic{Title: c.title, Text: c.text, IsSticky: c.sticky, IsPublished: !c.draft, Language: c.language}
		if len(c.tags) > 0 {
			tp.TagIDs = []int64{shipping.ID}
		}
		b.faqTopic(cats[c.category], tp)
		topics[c.key], keys[tp.ID] = tp, c.key
	}
	// Another instance and another community with the same words.
	elsewhere := b.faqInstance(b.cm1, "Elsewhere")
	b.faqTopic(b.faqCategory(elsewhere, &openboards.FaqCategory{IsPublished: true}), &openboards.FaqTopic{Title: "Requesting a refund", Text: "refund", IsPublished: true})
	theirs := b.faqInstance(b.cm2, "Theirs")
	b.faqTopic(b.faqCategory(theirs, &openboards.FaqCategory{IsPublished: true}), &openboards.FaqTopic{Title: "Requesting a refund", Text: "refund", IsPublished: true})

	search := func(text string, f openboards.FaqTopicFilter) ([]string, []openboards.FaqHit, int) {
		t.Helper()
		f.CommunityID, f.InstanceID = cm, in.ID
		if f.Take == 0 {
			f.Take = 10
		}
		hits, n, err := b.store.SearchFaqTopics(ctx, openboards.FaqSearch{FaqTopicFilter: f, Text: text})
		if err != nil {
			t.Fatalf("search %q: %v", text, err)
		}
		out := make([]string, len(hits))
		for i, h := range hits {
			k, ok := keys[h.Topic.ID]
			if !ok {
				t.Fatalf("search %q found topic %d of another instance or community", text, h.Topic.ID)
			}
			out[i] = k
		}
		return out, hits, n
	}

	t.Run("Top", func(t *testing.T) {
		for _, tc := range []struct{ text, want string }{
			{"password", "password"},
			{"Password?", "password"},
			{"international shipping", "international"},
			{"shipping international", "international"},
			{"refun", "refund"},            // the last word as a prefix
			{"refunds", "refund"},          // stemmed
			{"refunding", "refund"},        // stemmed
			{"refnd", "refund"},            // a typo, found by the fallback
			{"trakcing order", "tracking"}, // a typo in the first of two words
			{"invoice", "invoice"},
			{"gift card balance", "balance-sticky"},
			{`"two-factor" -authentication*`, "2fa"}, // FTS and tsquery syntax is read as words
		} {
			got, _, n := search(tc.text, openboards.FaqTopicFilter{})
			if len(got) == 0 || got[0] != tc.want {
				t.Errorf("search %q: got %v, want %q first", tc.text, got, tc.want)
			}
			if n < len(got) {
				t.Errorf("search %q: total %d below the %d found", tc.text, n, len(got))
			}
		}
	})
	t.Run("Sticky", func(t *testing.T) {
		// Two topics alike in everything but stickiness: the sticky one
		// (created later, with the higher id) first.
		got, _, _ := search("balance", openboards.FaqTopicFilter{})
		if len(got) < 3 || got[0] != "balance-sticky" || got[1] != "balance" {
			t.Fatalf("search balance: got %v, want balance-sticky, balance, then the rest", got)
		}
	})
	t.Run("AllWords", func(t *testing.T) {
		if got, _, n := search("password parcel", openboards.FaqTopicFilter{}); len(got) != 0 || n != 0 {
			t.Fatalf("no topic has both words, got %v (total %d)", got, n)
		}
		if got, _, n := search("   ...  ", openboards.FaqTopicFilter{}); len(got) != 0 || n != 0 {
			t.Fatalf("no words: got %v (total %d)", got, n)
		}
	})
	t.Run("Pages", func(t *testing.T) {
		all, _, n := search("parcel", openboards.FaqTopicFilter{})
		slices.Sort(all)
		diff(t, "parcel", []string{"international", "return", "tracking"}, all)
		if n != 3 {
			t.Fatalf("parcel: total %d, want 3", n)
		}
		first, _, n1 := search("parcel", openboards.FaqTopicFilter{Take: 2})
		rest, _, n2 := search("parcel", openboards.FaqTopicFilter{Skip: 2, Take: 2})
		past, _, n3 := search("parcel", openboards.FaqTopicFilter{Skip: 5, Take: 2})
		if len(first) != 2 || len(rest) != 1 || len(past) != 0 || n1 != 3 || n2 != 3 || n3 != 3 {
			t.Fatalf("pages of parcel: %v (%d), %v (%d), %v (%d)", first, n1, rest, n2, past, n3)
		}
		if slices.Contains(first, rest[0]) {
			t.Fatalf("pages overlap: %v, %v", first, rest)
		}
	})
	t.Run("Filters", func(t *testing.T) {
		got, _, _ := search("data", openboards.FaqTopicFilter{})
		slices.Sort(got)
		diff(t, "data", []string{"delete", "privacy"}, got)
		got, _, _ = search("data", openboards.FaqTopicFilter{CategoryID: &cats["legal"].ID})
		diff(t, "data in legal", []string{"privacy"}, got)

		got, hits, _ := search("order", openboards.FaqTopicFilter{TagIDs: []int64{shipping.ID}})
		if len(got) == 0 {
			t.Fatal("order with tag shipping: nothing found")
		}
		for _, h := range hits {
			if !slices.Contains(h.Topic.TagIDs, shipping.ID) {
				t.Errorf("order with tag shipping found %q, which lacks the tag", keys[h.Topic.ID])
			}
		}

		got, _, _ = search("returnering", openboards.FaqTopicFilter{Language: "da"})
		diff(t, "returnering in Danish", []string{"danish"}, got)
		got, hits, _ = search("returnering", openboards.FaqTopicFilter{Language: "en"})
		for _, h := range hits {
			if h.Topic.Language != "en" {
				t.Errorf("returnering in English found %q", keys[h.Topic.ID])
			}
		}

		got, _, _ = search("warranty", openboards.FaqTopicFilter{})
		diff(t, "warranty", []string{"warranty"}, got)
		got, _, _ = search("warranty", openboards.FaqTopicFilter{PublishedOnly: true})
		if slices.Contains(got, "warranty") {
			t.Errorf("warranty, published only, found the draft: %v", got)
		}
		got, _, _ = search("opening hours", openboards.FaqTopicFilter{})
		if len(got) == 0 || got[0] != "hours" {
			t.Errorf("opening hours: got %v, want hours first", got)
		}
		got, _, _ = search("opening hours", openboards.FaqTopicFilter{PublishedOnly: true})
		if slices.Contains(got, "hours") {
			t.Errorf("opening hours, published only, found a topic of an unpublished category: %v", got)
		}
	})
	t.Run("Snippets", func(t *testing.T) {
		for _, tc := range []struct{ text, key, marked string }{
			{"invoice", "invoice", "invoice"},
			{"warehouse", "tracking", "warehouse"},
			{"refnd", "refund", "refund"},
		} {
			got, hits, _ := search(tc.text, openboards.FaqTopicFilter{})
			i := slices.Index(got, tc.key)
			if i < 0 {
				t.Fatalf("search %q: %q not found in %v", tc.text, tc.key, got)
			}
			s := hits[i].Snippet
			if !strings.Contains(strings.ToLower(s), openboards.SnippetStart+tc.marked+openboards.SnippetEnd) {
				t.Errorf("search %q: snippet %q does not mark %q", tc.text, s, tc.marked)
			}
			if strings.Count(s, openboards.SnippetStart) != strings.Count(s, openboards.SnippetEnd) {
				t.Errorf("search %q: snippet %q has unbalanced marks", tc.text, s)
			}
		}
	})
	t.Run("Edits", func(t *testing.T) {
		// The index follows edits and deletions.
		tp := topics["size"]
		tp.Title, tp.Text, tp.UpdatedAt = "Measurements", "Our zyxomma chart lists the measurements of every garment.", at(500)
		b.tx(func(tx openboards.Tx) error { return tx.UpdateFaqTopic(ctx, tp) })
		if got, _, _ := search("guide", openboards.FaqTopicFilter{}); slices.Contains(got, "size") {
			t.Errorf("guide after the edit: %v", got)
		}
		if got, _, _ := search("zyxomma", openboards.FaqTopicFilter{}); !slices.Equal(got, []string{"size"}) {
			t.Errorf("zyxomma after the edit: %v", got)
		}
		b.tx(func(tx openboards.Tx) error { return tx.DeleteFaqTopic(ctx, cm, tp.ID) })
		if got, _, _ := search("zyxomma", openboards.FaqTopicFilter{}); len(got) != 0 {
			t.Errorf("zyxomma after the deletion: %v", got)
		}
	})
}
