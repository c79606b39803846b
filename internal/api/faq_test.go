package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// faqFixture is a knowledge base of the acme community: one published
// instance with a published and an unpublished category, tags, and
// topics.
type faqFixture struct {
	instance, ordering, drafts int64
	shipping, vip              int64 // tags
	tracking, returns, draft   int64 // topics: published, published, unpublished
}

func (b *bundle) seedFaq(t *testing.T) faqFixture {
	t.Helper()
	var f faqFixture
	id := func(data json.RawMessage) int64 { return decode[struct{ ID int64 }](t, data).ID }
	f.instance = id(b.ok(t, "POST", "/faq/instances", map[string]any{"name": "Palby help", "defaultLanguage": "en", "languages": []string{"en", "da"}, "isPublished": true}))
	in := fmt.Sprintf("/faq/instances/%d", f.instance)
	b.clock.Advance(time.Minute)
	f.ordering = id(b.ok(t, "POST", in+"/categories", map[string]any{"title": "Ordering & Services", "isPublished": true, "isSticky": true,
		"description": "Understand our ordering process, shipping options and the other services we offer."}))
	f.drafts = id(b.ok(t, "POST", in+"/categories", map[string]any{"title": "Drafts", "isPublished": false}))
	f.shipping = id(b.ok(t, "POST", in+"/tags", map[string]any{"name": "shipping"}))
	f.vip = id(b.ok(t, "POST", in+"/tags", map[string]any{"name": "vip"}))
	b.clock.Advance(time.Minute)
	f.tracking = id(b.ok(t, "POST", in+"/topics", map[string]any{"title": "Tracking your order", "categoryId": f.ordering, "isPublished": true,
		"content": `<p><strong>Ordering Process &amp; Tracking</strong></p><p>Every order gets a tracking link by e-mail.<script>alert(1)</script></p>`,
		"tagIds":  []int64{f.shipping}, "attachments": []map[string]any{{"url": "https://cdn.example.com/label.pdf", "name": "label.pdf"}}}))
	f.returns = id(b.ok(t, "POST", in+"/topics", map[string]any{"title": "Returns and refunds", "categoryId": f.ordering, "isPublished": true,
		"content": "<p>Send it back within 30 days for a refund.</p>", "tagIds": []int64{f.shipping, f.vip}, "isSticky": true}))
	f.draft = id(b.ok(t, "POST", in+"/topics", map[string]any{"title": "Internal: price list", "categoryId": f.ordering, "isPublished": false,
		"content": "<p>Not for customers.</p>"}))
	return f
}

func TestFaqGolden(t *testing.T) {
	b := setup(t)
	f := b.seedFaq(t)
	in := fmt.Sprintf("/faq/instances/%d", f.instance)
	b.ok(t, "POST", fmt.Sprintf("%s/topics/%d/votes", in, f.tracking), map[string]any{"isUseful": true, "visitorId": "v1"})
	b.ok(t, "POST", fmt.Sprintf("%s/topics/%d/views", in, f.tracking), map[string]any{"visitorId": "v1"})
	for name, path := range map[string]string{
		"faq_topic":      fmt.Sprintf("%s/topics/%d", in, f.tracking),
		"faq_categories": in + "/categories?includeUnpublished=true",
		"faq_instances":  "/faq/instances",
	} {
		resp, env := b.call(t, "GET", path, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, env.ErrorText)
		}
		t.Run(name, func(t *testing.T) { b.golden(t, name, env.Raw) })
	}
}

func TestFaqTopicShape(t *testing.T) {
	b := setup(t)
	f := b.seedFaq(t)
	in := fmt.Sprintf("/faq/instances/%d", f.instance)
	var topic map[string]json.RawMessage
	if err := json.Unmarshal(b.ok(t, "GET", fmt.Sprintf("%s/topics/%d", in, f.tracking), nil), &topic); err != nil {
		t.Fatal(err)
	}
	// The documented keys are there, with the documented Category inside.
	for _, k := range []string{"attachments", "bannerImageLink", "category", "content"} {
		if topic[k] == nil {
			t.Errorf("the topic lacks %q", k)
		}
	}
	var cat map[string]any
	json.Unmarshal(topic["category"], &cat)
	want := []string{"activeTopicCount", "creationTime", "creatorId", "description", "id", "imageLink", "isPublished", "isSticky",
		"lastUpdateTime", "publishedTopicCount", "title", "totalUsefulness", "viewCount"}
	if len(cat) != len(want) {
		t.Errorf("the category has keys %v, want exactly %v", keysOf(cat), want)
	}
	for _, k := range want {
		if _, ok := cat[k]; !ok {
			t.Errorf("the category lacks %q", k)
		}
	}
	if string(topic["bannerImageLink"]) != "null" || cat["imageLink"] != nil {
		t.Errorf("absent links are not null: %s, %v", topic["bannerImageLink"], cat["imageLink"])
	}
	// The content is made safe; the category counts its topics.
	var content string
	json.Unmarshal(topic["content"], &content)
	if strings.Contains(content, "<script") || !strings.Contains(content, "<strong>Ordering Process &amp; Tracking</strong>") {
		t.Errorf("content %q", content)
	}
	if cat["activeTopicCount"] != float64(3) || cat["publishedTopicCount"] != float64(2) {
		t.Errorf("category counters %v / %v, want 3 active, 2 published", cat["activeTopicCount"], cat["publishedTopicCount"])
	}
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestFaqBadInput(t *testing.T) {
	b := setup(t)
	f := b.seedFaq(t)
	in := fmt.Sprintf("/faq/instances/%d", f.instance)
	before := b.ok(t, "GET", in+"/topics?take=100", nil)
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		text         string
	}{
		{"POST", "/faq/instances", map[string]any{}, 400, "name: required"},
		{"POST", "/faq/instances", map[string]any{"name": "x", "defaultLanguage": "english"}, 400, "defaultLanguage"},
		{"POST", in + "/categories", map[string]any{"title": " "}, 400, "title: required"},
		{"POST", in + "/categories", map[string]any{"title": "x", "imageLink": "ftp://x"}, 400, "imageLink"},
		{"POST", in + "/topics", map[string]any{"title": "x", "content": "<p>x</p>"}, 400, "categoryId: required"},
		{"POST", in + "/topics", map[string]any{"title": "x", "content": "<p>x</p>", "categoryId": 999999}, 400, "categoryId"},
		{"POST", in + "/topics", map[string]any{"title": "x", "content": "<script>x</script>", "categoryId": f.ordering}, 400, "content: required"},
		{"POST", in + "/topics", map[string]any{"title": "x", "content": "<p>x</p>", "categoryId": f.ordering, "tagIds": []int64{424242}}, 400, "tagIds[0]"},
		{"POST", in + "/topics", map[string]any{"title": "x", "content": "<p>x</p>", "categoryId": f.ordering, "templateType": "poem"}, 400, "templateType"},
		{"POST", in + "/topics", map[string]any{"title": strings.Repeat("t", 201), "content": "<p>x</p>", "categoryId": f.ordering}, 400, "title"},
		{"POST", in + "/topics", map[string]any{"title": "x", "content": "<p>x</p>", "categoryId": f.ordering, "colour": "red"}, 400, "colour"},
		{"POST", in + "/tags", map[string]any{"name": "Shipping"}, 409, "name"},
		{"GET", in + "/topics?sortBy=random", nil, 400, "sortBy"},
		{"GET", in + "/topics?take=101", nil, 400, "take"},
		{"GET", in + "/topics/search", nil, 400, "searchText: required"},
		{"POST", fmt.Sprintf("%s/topics/%d/votes", in, f.tracking), map[string]any{}, 400, "isUseful: required"},
		{"POST", fmt.Sprintf("%s/topics/%d/votes", in, f.tracking), map[string]any{"isUseful": false, "downvoteReason": "boring"}, 400, "downvoteReason"},
		{"POST", fmt.Sprintf("%s/topics/%d/votes", in, f.tracking), map[string]any{"isUseful": true, "downvoteReason": "incorrect"}, 400, "downvoteReason"},
		{"GET", "/faq/instances/999999/topics", nil, 404, "not found"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) { b.fail(t, c.method, c.path, c.body, c.status, c.text) })
	}
	if after := b.ok(t, "GET", in+"/topics?take=100", nil); string(after) != string(before) {
		t.Errorf("refused requests changed the topics:\n%s\n%s", before, after)
	}
}

func TestFaqPublicAccess(t *testing.T) {
	b := setup(t)
	f := b.seedFaq(t)
	in := fmt.Sprintf("/faq/instances/%d", f.instance)
	pub := b.withHeaders("Community", "acme")

	// Published content only.
	var cats []struct{ ID int64 }
	json.Unmarshal(pub.ok(t, "GET", in+"/categories", nil), &cats)
	if len(cats) != 1 || cats[0].ID != f.ordering {
		t.Errorf("public categories %v, want only the published one", cats)
	}
	var topics []struct{ ID int64 }
	json.Unmarshal(pub.ok(t, "GET", in+"/topics", nil), &topics)
	if len(topics) != 2 {
		t.Errorf("public topics %v, want the two published", topics)
	}
	pub.fail(t, "GET", fmt.Sprintf("%s/topics/%d", in, f.draft), nil, 404, "not found")
	pub.fail(t, "GET", in+"/categories?includeUnpublished=true", nil, 401, "includeUnpublished")
	// No writes without a token; the query names the community as well.
	pub.fail(t, "POST", in+"/topics", map[string]any{"title": "x"}, 401, "")
	b.anonymous().ok(t, "GET", in+"/topics?community=acme", nil)
	b.anonymous().fail(t, "GET", in+"/topics", nil, 401, "name the community")
	// Another community's instance is not found, with or without a token.
	other := b.newTenant(t, "globex")
	other.client.fail(t, "GET", in+"/topics", nil, 404, "not found")
	b.withHeaders("Community", "globex").fail(t, "GET", in+"/topics", nil, 404, "not found")
	// An unpublished instance is not public.
	b.ok(t, "PATCH", in, map[string]any{"isPublished": false})
	pub.fail(t, "GET", in+"/topics", nil, 404, "not found")
	b.ok(t, "GET", in+"/topics", nil)
	b.ok(t, "PATCH", in, map[string]any{"isPublished": true})

	// An anonymous vote counts once per visitor; a second replaces it.
	vote := fmt.Sprintf("%s/topics/%d/votes", in, f.tracking)
	pub.ok(t, "POST", vote, map[string]any{"isUseful": true, "visitorId": "a"})
	pub.ok(t, "POST", vote, map[string]any{"isUseful": true, "visitorId": "a"})
	got := decode[struct{ UsefulCount, NotUsefulCount int }](t, pub.ok(t, "POST", vote, map[string]any{"isUseful": false, "visitorId": "b", "downvoteReason": "incomplete"}))
	if got.UsefulCount != 1 || got.NotUsefulCount != 1 {
		t.Errorf("after votes a, a again and b: %+v, want 1 and 1", got)
	}
	// A view counts once per visitor within the hour.
	view := fmt.Sprintf("%s/topics/%d/views", in, f.tracking)
	first := decode[struct{ ViewCount int }](t, pub.ok(t, "POST", view, map[string]any{"visitorId": "a"}))
	again := decode[struct{ ViewCount int }](t, pub.ok(t, "POST", view, map[string]any{"visitorId": "a"}))
	other2 := decode[struct{ ViewCount int }](t, pub.ok(t, "POST", view, map[string]any{"visitorId": "c"}))
	if first.ViewCount != 1 || again.ViewCount != 1 || other2.ViewCount != 2 {
		t.Errorf("views %d, %d, %d, want 1, 1, 2", first.ViewCount, again.ViewCount, other2.ViewCount)
	}
	// Votes on an unpublished topic are refused to the public.
	pub.fail(t, "POST", fmt.Sprintf("%s/topics/%d/votes", in, f.draft), map[string]any{"isUseful": true}, 404, "not found")
	// Any page may read public content.
	resp, _ := pub.call(t, "GET", in+"/topics", nil)
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("public answer without CORS: %v", resp.Header)
	}
}

func TestFaqVotesUnderLoad(t *testing.T) {
	b := setup(t)
	f := b.seedFaq(t)
	vote := fmt.Sprintf("/faq/instances/%d/topics/%d/votes", f.instance, f.returns)
	const voters = 40
	var wg sync.WaitGroup
	errs := make(chan string, voters)
	for i := range voters {
		wg.Go(func() {
			req := map[string]any{"isUseful": i%4 != 0, "visitorId": fmt.Sprintf("voter-%d", i)}
			if status, env := b.do(t, "POST", vote, req); status != http.StatusOK {
				errs <- fmt.Sprintf("vote %d: %d %s", i, status, env.ErrorText)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	topic := decode[struct {
		UsefulCount, NotUsefulCount int
		Category                    struct{ TotalUsefulness int }
	}](t, b.ok(t, "GET", fmt.Sprintf("/faq/instances/%d/topics/%d", f.instance, f.returns), nil))
	if topic.UsefulCount != 30 || topic.NotUsefulCount != 10 || topic.Category.TotalUsefulness != 20 {
		t.Errorf("after %d concurrent votes: %+v, want 30 useful, 10 not, category usefulness 20", voters, topic)
	}
}

func TestFaqListAndSearch(t *testing.T) {
	b := setup(t)
	f := b.seedFaq(t)
	in := fmt.Sprintf("/faq/instances/%d", f.instance)
	titles := func(path string) []string {
		t.Helper()
		var list []struct{ Title string }
		json.Unmarshal(b.ok(t, "GET", in+path, nil), &list)
		var out []string
		for _, x := range list {
			out = append(out, x.Title)
		}
		return out
	}
	if got := strings.Join(titles("/topics?sortBy=alphabetical"), "|"); got != "Returns and refunds|Internal: price list|Tracking your order" {
		t.Errorf("alphabetical, sticky first: %s", got)
	}
	if got := strings.Join(titles(fmt.Sprintf("/topics?tagIds=%d&tagIds=%d", f.shipping, f.vip)), "|"); got != "Returns and refunds" {
		t.Errorf("both tags: %s", got)
	}
	if got := titles(fmt.Sprintf("/topics?categoryId=%d", f.drafts)); len(got) != 0 {
		t.Errorf("the empty category lists %v", got)
	}
	res := decode[struct {
		TotalCount int
		Topics     []struct{ Title, Snippet string }
	}](t, b.ok(t, "GET", in+"/topics/search?searchText=refun", nil))
	if res.TotalCount != 1 || len(res.Topics) != 1 || res.Topics[0].Title != "Returns and refunds" || !strings.Contains(res.Topics[0].Snippet, "<mark>") {
		t.Errorf("search refun: %+v", res)
	}
	post := decode[struct{ TotalCount int }](t, b.ok(t, "POST", in+"/topics/search", map[string]any{"searchText": "tracking link"}))
	if post.TotalCount != 1 {
		t.Errorf("POST search: %+v", post)
	}
	// The public does not find unpublished topics.
	pub := decode[struct{ TotalCount int }](t, b.withHeaders("Community", "acme").ok(t, "GET", in+"/topics/search?searchText=price", nil))
	if pub.TotalCount != 0 {
		t.Errorf("the public found the unpublished topic: %+v", pub)
	}
	if mine := decode[struct{ TotalCount int }](t, b.ok(t, "GET", in+"/topics/search?searchText=price", nil)); mine.TotalCount != 1 {
		t.Errorf("the token did not find the unpublished topic: %+v", mine)
	}
}

func TestFaqDelete(t *testing.T) {
	b := setup(t)
	f := b.seedFaq(t)
	in := fmt.Sprintf("/faq/instances/%d", f.instance)
	b.ok(t, "DELETE", fmt.Sprintf("%s/topics/%d", in, f.draft), nil)
	cat := decode[struct{ ActiveTopicCount int }](t, b.ok(t, "GET", fmt.Sprintf("%s/categories/%d", in, f.ordering), nil))
	if cat.ActiveTopicCount != 2 {
		t.Errorf("after a delete the category counts %d topics", cat.ActiveTopicCount)
	}
	b.ok(t, "DELETE", fmt.Sprintf("%s/tags/%d", in, f.vip), nil)
	tp := decode[struct{ Tags []struct{ Name string } }](t, b.ok(t, "GET", fmt.Sprintf("%s/topics/%d", in, f.returns), nil))
	if len(tp.Tags) != 1 || tp.Tags[0].Name != "shipping" {
		t.Errorf("tags after deleting vip: %+v", tp.Tags)
	}
	b.ok(t, "DELETE", fmt.Sprintf("%s/categories/%d", in, f.ordering), nil)
	b.fail(t, "GET", fmt.Sprintf("%s/topics/%d", in, f.returns), nil, 404, "not found")
	b.ok(t, "DELETE", in, nil)
	b.fail(t, "GET", in+"/topics", nil, 404, "not found")
}
