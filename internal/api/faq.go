package api

import (
	"html"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"openboards/internal/clientip"
	"openboards/internal/faq"
	"openboards/internal/httpapi"
	"openboards/internal/limit"
	"openboards/internal/obs"
	"openboards/internal/openboards"
)

// The FAQ API: a community's knowledge base under /faq/instances. Reads,
// votes and views of a published instance also answer without a token, to
// anyone who names the community (the Community header or ?community=):
// published categories and topics only.

// Limits on the anonymous callers of the FAQ API, per client address.
var (
	faqVotesPerClient = limit.Rule{Max: 30, Window: time.Hour}
	faqViewsPerClient = limit.Rule{Max: 600, Window: time.Hour}
)

// faqViewEvery is how often one visitor's views of a topic count.
const faqViewEvery = time.Hour

func (h *Handler) faqRoutes() {
	h.faqVotes = limit.NewCounter("FAQ votes", faqVotesPerClient, 100_000, nil)
	h.faqViews = limit.NewCounter("FAQ views", faqViewsPerClient, 100_000, nil)
	h.faqSeen = newSeenViews(100_000)
	m := h.mux
	const in = "/faq/instances/{instanceId}"
	m.Handle("GET /faq/instances", h.faqRead(h.handleFaqInstances))
	m.Handle("POST /faq/instances", h.auth(h.handleFaqInstanceCreate))
	m.Handle("GET "+in, h.faqRead(h.handleFaqInstance))
	m.Handle("PATCH "+in, h.auth(h.handleFaqInstanceUpdate))
	m.Handle("DELETE "+in, h.auth(h.handleFaqInstanceDelete))
	m.Handle("GET "+in+"/tags", h.faqRead(h.handleFaqTags))
	m.Handle("POST "+in+"/tags", h.auth(h.handleFaqTagCreate))
	m.Handle("DELETE "+in+"/tags/{id}", h.auth(h.handleFaqTagDelete))
	m.Handle("GET "+in+"/categories", h.faqRead(h.handleFaqCategories))
	m.Handle("POST "+in+"/categories", h.auth(h.handleFaqCategoryCreate))
	m.Handle("GET "+in+"/categories/{id}", h.faqRead(h.handleFaqCategory))
	m.Handle("PATCH "+in+"/categories/{id}", h.auth(h.handleFaqCategoryUpdate))
	m.Handle("DELETE "+in+"/categories/{id}", h.auth(h.handleFaqCategoryDelete))
	m.Handle("GET "+in+"/topics", h.faqRead(h.handleFaqTopics))
	m.Handle("POST "+in+"/topics", h.auth(h.handleFaqTopicCreate))
	m.Handle("GET "+in+"/topics/search", h.faqRead(h.handleFaqSearch))
	m.Handle("POST "+in+"/topics/search", h.faqRead(h.handleFaqSearch))
	m.Handle("GET "+in+"/topics/{id}", h.faqRead(h.handleFaqTopic))
	m.Handle("PATCH "+in+"/topics/{id}", h.auth(h.handleFaqTopicUpdate))
	m.Handle("DELETE "+in+"/topics/{id}", h.auth(h.handleFaqTopicDelete))
	m.Handle("POST "+in+"/topics/{id}/votes", h.faqRead(h.handleFaqVote))
	m.Handle("POST "+in+"/topics/{id}/views", h.faqRead(h.handleFaqView))
	m.HandleFunc("OPTIONS /faq/{rest...}", h.handleFaqPreflight)
}

// faqRead serves next to a community's token, or, without credentials, to
// the public of the community the request names.
func (h *Handler) faqRead(next func(http.ResponseWriter, *http.Request, *openboards.Community, faq.Access) error) http.Handler {
	authed := h.auth(func(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
		return next(w, r, cm, faq.Access{})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || r.Header.Get("X-Token") != "" {
			authed.ServeHTTP(w, r)
			return
		}
		// Public content: any page may read it.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		name := strings.TrimSpace(r.Header.Get("Community"))
		if name == "" {
			name, _ = httpapi.QueryValue(r, "community")
		}
		if name == "" || len(name) > 100 {
			err := openboards.Errorf(openboards.CodeUnauthorized, "give a bearer access token, or name the community (the Community header or ?community=) to read its published FAQ")
			httpapi.Challenge(w, err)
			h.writeError(w, r, err)
			return
		}
		cm, err := h.store.FindCommunityByName(r.Context(), name)
		if openboards.ErrorCode(err) == openboards.CodeNotFound {
			err = openboards.Errorf(openboards.CodeNotFound, "community %q has no published FAQ", name)
		}
		if err == nil {
			obs.SetCommunity(r.Context(), cm.Name)
			err = next(w, r, cm, faq.Access{Public: true})
		}
		if err != nil {
			h.writeError(w, r, err)
		}
	})
}

func (h *Handler) handleFaqPreflight(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Access-Control-Allow-Origin", "*")
	hdr.Set("Access-Control-Allow-Methods", "GET, POST")
	hdr.Set("Access-Control-Allow-Headers", "Content-Type, Community")
	hdr.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// JSON shapes

type faqInstanceJSON struct {
	DefaultLanguage string   `json:"defaultLanguage"`
	ID              int64    `json:"id"`
	IsPublished     bool     `json:"isPublished"`
	Languages       []string `json:"languages"`
	Name            string   `json:"name"`
}

func faqInstanceOut(in *openboards.FaqInstance) faqInstanceJSON {
	langs := in.Languages
	if langs == nil {
		langs = []string{}
	}
	return faqInstanceJSON{DefaultLanguage: in.DefaultLanguage, ID: in.ID, IsPublished: in.IsPublished, Languages: langs, Name: in.Name}
}

// faqCategoryJSON is the documented Category.
type faqCategoryJSON struct {
	ActiveTopicCount    int     `json:"activeTopicCount"`
	CreationTime        string  `json:"creationTime"`
	CreatorID           string  `json:"creatorId"`
	Description         string  `json:"description"`
	ID                  int64   `json:"id"`
	ImageLink           *string `json:"imageLink"`
	IsPublished         bool    `json:"isPublished"`
	IsSticky            bool    `json:"isSticky"`
	LastUpdateTime      string  `json:"lastUpdateTime"`
	PublishedTopicCount int     `json:"publishedTopicCount"`
	Title               string  `json:"title"`
	TotalUsefulness     int     `json:"totalUsefulness"`
	ViewCount           int     `json:"viewCount"`
}

func faqCategoryOut(c *openboards.FaqCategory) faqCategoryJSON {
	return faqCategoryJSON{ActiveTopicCount: c.ActiveTopicCount, CreationTime: httpapi.FormatTime(c.CreatedAt), CreatorID: c.CreatorID,
		Description: c.Description, ID: c.ID, ImageLink: c.ImageLink, IsPublished: c.IsPublished, IsSticky: c.IsSticky,
		LastUpdateTime: httpapi.FormatTime(c.UpdatedAt), PublishedTopicCount: c.PublishedTopicCount, Title: c.Title,
		TotalUsefulness: c.TotalUsefulness, ViewCount: c.ViewCount}
}

type faqTagJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type faqAttachmentJSON struct {
	IsContentPart bool   `json:"isContentPart"`
	Name          string `json:"name"`
	URL           string `json:"url"`
}

// faqTopicJSON is the Topic: the documented keys, and the inferred ones.
type faqTopicJSON struct {
	Attachments     []faqAttachmentJSON `json:"attachments"`
	BannerImageLink *string             `json:"bannerImageLink"`
	Category        faqCategoryJSON     `json:"category"`
	Content         string              `json:"content"`
	CreationTime    string              `json:"creationTime"`
	CreatorID       string              `json:"creatorId"`
	ID              int64               `json:"id"`
	IsPublished     bool                `json:"isPublished"`
	IsSticky        bool                `json:"isSticky"`
	Language        string              `json:"language"`
	LastUpdateTime  string              `json:"lastUpdateTime"`
	NotUsefulCount  int                 `json:"notUsefulCount"`
	Tags            []faqTagJSON        `json:"tags"`
	TemplateType    string              `json:"templateType"`
	Title           string              `json:"title"`
	TotalUsefulness int                 `json:"totalUsefulness"`
	UsefulCount     int                 `json:"usefulCount"`
	ViewCount       int                 `json:"viewCount"`
}

// faqHitJSON is a search result: a Topic and its snippet, HTML with the
// matched words in <mark>.
type faqHitJSON struct {
	faqTopicJSON
	Snippet string `json:"snippet"`
}

type faqSearchJSON struct {
	TotalCount int          `json:"totalCount"`
	Topics     []faqHitJSON `json:"topics"`
}

// faqOut renders topics with their categories and tags, read once per
// request.
type faqOut struct {
	tags map[int64]string
	cats map[int64]*openboards.FaqCategory
}

// withCategories reads the instance's categories too: a list's topics
// need them, one topic comes with its own.
func (h *Handler) faqOutFor(r *http.Request, cm *openboards.Community, instanceID int64, withCategories bool) (*faqOut, error) {
	tags, err := h.store.FindFaqTags(r.Context(), cm.ID, instanceID)
	if err != nil {
		return nil, err
	}
	var cats []*openboards.FaqCategory
	if withCategories {
		if cats, err = h.store.FindFaqCategories(r.Context(), cm.ID, instanceID, "", false); err != nil {
			return nil, err
		}
	}
	o := &faqOut{tags: map[int64]string{}, cats: map[int64]*openboards.FaqCategory{}}
	for _, t := range tags {
		o.tags[t.ID] = t.Name
	}
	for _, c := range cats {
		o.cats[c.ID] = c
	}
	return o, nil
}

func (o *faqOut) topic(t *openboards.FaqTopic, c *openboards.FaqCategory) faqTopicJSON {
	if c == nil {
		c = o.cats[t.CategoryID]
	}
	out := faqTopicJSON{Attachments: []faqAttachmentJSON{}, BannerImageLink: t.BannerImageLink, Content: t.Content,
		CreationTime: httpapi.FormatTime(t.CreatedAt), CreatorID: t.CreatorID, ID: t.ID, IsPublished: t.IsPublished, IsSticky: t.IsSticky,
		Language: t.Language, LastUpdateTime: httpapi.FormatTime(t.UpdatedAt), NotUsefulCount: t.NotUsefulCount, Tags: []faqTagJSON{},
		TemplateType: t.TemplateType, Title: t.Title, TotalUsefulness: t.UsefulCount - t.NotUsefulCount, UsefulCount: t.UsefulCount, ViewCount: t.ViewCount}
	if c != nil {
		out.Category = faqCategoryOut(c)
	}
	for _, a := range t.Attachments {
		out.Attachments = append(out.Attachments, faqAttachmentJSON{IsContentPart: a.IsContentPart, Name: a.Name, URL: a.URL})
	}
	for _, id := range t.TagIDs {
		out.Tags = append(out.Tags, faqTagJSON{ID: id, Name: o.tags[id]})
	}
	return out
}

// snippetHTML escapes a snippet and marks its matched words.
func snippetHTML(s string) string {
	s = html.EscapeString(s)
	return strings.NewReplacer(openboards.SnippetStart, "<mark>", openboards.SnippetEnd, "</mark>").Replace(s)
}

// instances

type faqInstanceRequest struct {
	DefaultLanguage *string   `json:"defaultLanguage"`
	IsPublished     *bool     `json:"isPublished"`
	Languages       *[]string `json:"languages"`
	Name            *string   `json:"name"`
	// Read-only members of the Instance shape.
	ID httpapi.Ignored `json:"id"`
}

func (q faqInstanceRequest) input() faq.InstanceInput {
	return faq.InstanceInput{Name: q.Name, DefaultLanguage: q.DefaultLanguage, Languages: q.Languages, IsPublished: q.IsPublished}
}

func instanceID(r *http.Request) (int64, error) { return httpapi.PathID(r, "instanceId") }

// instanceAndID reads the instance's id and the id of the item in it.
func instanceAndID(r *http.Request) (instance, item int64, err error) {
	if instance, err = instanceID(r); err != nil {
		return 0, 0, err
	}
	item, err = httpapi.PathID(r, "id")
	return instance, item, err
}

func (h *Handler) handleFaqInstances(w http.ResponseWriter, r *http.Request, cm *openboards.Community, a faq.Access) error {
	list, err := h.faq.Instances(r.Context(), cm, a)
	if err != nil {
		return err
	}
	out := make([]faqInstanceJSON, len(list))
	for i, in := range list {
		out[i] = faqInstanceOut(in)
	}
	return h.ok(w, out)
}

func (h *Handler) handleFaqInstance(w http.ResponseWriter, r *http.Request, cm *openboards.Community, a faq.Access) error {
	id, err := instanceID(r)
	if err != nil {
		return err
	}
	in, err := h.faq.Instance(r.Context(), cm, id, a)
	if err != nil {
		return err
	}
	return h.ok(w, faqInstanceOut(in))
}

func (h *Handler) handleFaqInstanceCreate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	var req faqInstanceRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	in, err := h.faq.CreateInstance(r.Context(), cm, req.input())
	if err != nil {
		return err
	}
	return h.ok(w, faqInstanceOut(in))
}

func (h *Handler) handleFaqInstanceUpdate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := instanceID(r)
	if err != nil {
		return err
	}
	var req faqInstanceRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	in, err := h.faq.UpdateInstance(r.Context(), cm, id, req.input())
	if err != nil {
		return err
	}
	return h.ok(w, faqInstanceOut(in))
}

func (h *Handler) handleFaqInstanceDelete(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := instanceID(r)
	if err != nil {
		return err
	}
	if err := h.faq.DeleteInstance(r.Context(), cm, id); err != nil {
		return err
	}
	return h.ok(w, nil)
}

// tags

func (h *Handler) handleFaqTags(w http.ResponseWriter, r *http.Request, cm *openboards.Community, a faq.Access) error {
	id, err := instanceID(r)
	if err != nil {
		return err
	}
	tags, err := h.faq.Tags(r.Context(), cm, id, a)
	if err != nil {
		return err
	}
	out := make([]faqTagJSON, len(tags))
	for i, t := range tags {
		out[i] = faqTagJSON{ID: t.ID, Name: t.Name}
	}
	return h.ok(w, out)
}

func (h *Handler) handleFaqTagCreate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := instanceID(r)
	if err != nil {
		return err
	}
	var req struct {
		Name string          `json:"name"`
		ID   httpapi.Ignored `json:"id"`
	}
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	t, err := h.faq.CreateTag(r.Context(), cm, id, req.Name)
	if err != nil {
		return err
	}
	return h.ok(w, faqTagJSON{ID: t.ID, Name: t.Name})
}

func (h *Handler) handleFaqTagDelete(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, tagID, err := instanceAndID(r)
	if err != nil {
		return err
	}
	if err := h.faq.DeleteTag(r.Context(), cm, id, tagID); err != nil {
		return err
	}
	return h.ok(w, nil)
}

// categories

type faqCategoryRequest struct {
	Description *string `json:"description"`
	ImageLink   *string `json:"imageLink"`
	IsPublished *bool   `json:"isPublished"`
	IsSticky    *bool   `json:"isSticky"`
	Language    *string `json:"language"`
	Position    *int    `json:"position"`
	Title       *string `json:"title"`
	// Read-only members of the Category shape.
	ActiveTopicCount    httpapi.Ignored `json:"activeTopicCount"`
	CreationTime        httpapi.Ignored `json:"creationTime"`
	CreatorID           httpapi.Ignored `json:"creatorId"`
	ID                  httpapi.Ignored `json:"id"`
	LastUpdateTime      httpapi.Ignored `json:"lastUpdateTime"`
	PublishedTopicCount httpapi.Ignored `json:"publishedTopicCount"`
	TotalUsefulness     httpapi.Ignored `json:"totalUsefulness"`
	ViewCount           httpapi.Ignored `json:"viewCount"`
}

func (q faqCategoryRequest) input() faq.CategoryInput {
	return faq.CategoryInput{Title: q.Title, Description: q.Description, ImageLink: q.ImageLink, IsPublished: q.IsPublished,
		IsSticky: q.IsSticky, Position: q.Position, Language: q.Language}
}

func (h *Handler) handleFaqCategories(w http.ResponseWriter, r *http.Request, cm *openboards.Community, a faq.Access) error {
	id, err := instanceID(r)
	if err != nil {
		return err
	}
	all, err := httpapi.QueryBool(r, "includeUnpublished")
	if err != nil {
		return err
	}
	lang, _ := httpapi.QueryValue(r, "language")
	list, err := h.faq.Categories(r.Context(), cm, id, lang, all, a)
	if err != nil {
		return err
	}
	out := make([]faqCategoryJSON, len(list))
	for i, c := range list {
		out[i] = faqCategoryOut(c)
	}
	return h.ok(w, out)
}

func (h *Handler) handleFaqCategory(w http.ResponseWriter, r *http.Request, cm *openboards.Community, a faq.Access) error {
	id, catID, err := instanceAndID(r)
	if err != nil {
		return err
	}
	c, err := h.faq.Category(r.Context(), cm, id, catID, a)
	if err != nil {
		return err
	}
	return h.ok(w, faqCategoryOut(c))
}

func (h *Handler) handleFaqCategoryCreate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := instanceID(r)
	if err != nil {
		return err
	}
	var req faqCategoryRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	c, err := h.faq.CreateCategory(r.Context(), cm, id, cm.APIUserID, req.input())
	if err != nil {
		return err
	}
	return h.ok(w, faqCategoryOut(c))
}

func (h *Handler) handleFaqCategoryUpdate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, catID, err := instanceAndID(r)
	if err != nil {
		return err
	}
	var req faqCategoryRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	c, err := h.faq.UpdateCategory(r.Context(), cm, id, catID, req.input())
	if err != nil {
		return err
	}
	return h.ok(w, faqCategoryOut(c))
}

func (h *Handler) handleFaqCategoryDelete(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, catID, err := instanceAndID(r)
	if err != nil {
		return err
	}
	if err := h.faq.DeleteCategory(r.Context(), cm, id, catID); err != nil {
		return err
	}
	return h.ok(w, nil)
}

// topics

// faqTopicQuery reads the list and search parameters from the query, or,
// for a POST search, from its JSON body.
type faqTopicQuery struct {
	CategoryID *int64  `json:"categoryId"`
	Language   string  `json:"language"`
	SearchText string  `json:"searchText"`
	Skip       int     `json:"skip"`
	SortBy     string  `json:"sortBy"`
	TagIDs     []int64 `json:"tagIds"`
	Take       int     `json:"take"`
}

func readTopicQuery(r *http.Request) (faqTopicQuery, error) {
	var q faqTopicQuery
	if r.Method == http.MethodPost {
		return q, httpapi.Decode(r, &q, true)
	}
	var err error
	if v, ok := httpapi.QueryValue(r, "categoryId"); ok && v != "" {
		id, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil || id <= 0 {
			return q, openboards.Errorf(openboards.CodeInvalid, "categoryId: %q is not a category id", v)
		}
		q.CategoryID = &id
	}
	for _, v := range r.URL.Query()["tagIds"] {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			id, perr := strconv.ParseInt(part, 10, 64)
			if perr != nil {
				return q, openboards.Errorf(openboards.CodeInvalid, "tagIds: %q is not a tag id", part)
			}
			q.TagIDs = append(q.TagIDs, id)
		}
	}
	q.Language, _ = httpapi.QueryValue(r, "language")
	q.SortBy, _ = httpapi.QueryValue(r, "sortBy")
	q.SearchText, _ = httpapi.QueryValue(r, "searchText")
	if q.Skip, _, err = httpapi.QueryInt(r, "skip"); err != nil {
		return q, err
	}
	q.Take, _, err = httpapi.QueryInt(r, "take")
	return q, err
}

func (q faqTopicQuery) query() faq.TopicQuery {
	return faq.TopicQuery{CategoryID: q.CategoryID, TagIDs: q.TagIDs, SortBy: q.SortBy, Language: q.Language, Skip: q.Skip, Take: q.Take}
}

func (h *Handler) handleFaqTopics(w http.ResponseWriter, r *http.Request, cm *openboards.Community, a faq.Access) error {
	id, err := instanceID(r)
	if err != nil {
		return err
	}
	q, err := readTopicQuery(r)
	if err != nil {
		return err
	}
	list, _, err := h.faq.Topics(r.Context(), cm, id, q.query(), a)
	if err != nil {
		return err
	}
	o, err := h.faqOutFor(r, cm, id, true)
	if err != nil {
		return err
	}
	out := make([]faqTopicJSON, len(list))
	for i, t := range list {
		out[i] = o.topic(t, nil)
	}
	return h.ok(w, out)
}

func (h *Handler) handleFaqSearch(w http.ResponseWriter, r *http.Request, cm *openboards.Community, a faq.Access) error {
	id, err := instanceID(r)
	if err != nil {
		return err
	}
	q, err := readTopicQuery(r)
	if err != nil {
		return err
	}
	hits, total, err := h.faq.Search(r.Context(), cm, id, q.SearchText, q.query(), a)
	if err != nil {
		return err
	}
	o, err := h.faqOutFor(r, cm, id, true)
	if err != nil {
		return err
	}
	out := faqSearchJSON{TotalCount: total, Topics: make([]faqHitJSON, len(hits))}
	for i, hit := range hits {
		out.Topics[i] = faqHitJSON{faqTopicJSON: o.topic(hit.Topic, nil), Snippet: snippetHTML(hit.Snippet)}
	}
	return h.ok(w, out)
}

func (h *Handler) handleFaqTopic(w http.ResponseWriter, r *http.Request, cm *openboards.Community, a faq.Access) error {
	id, topicID, err := instanceAndID(r)
	if err != nil {
		return err
	}
	t, c, err := h.faq.Topic(r.Context(), cm, id, topicID, a)
	if err != nil {
		return err
	}
	return h.topicOK(w, r, cm, id, t, c)
}

func (h *Handler) topicOK(w http.ResponseWriter, r *http.Request, cm *openboards.Community, instanceID int64, t *openboards.FaqTopic, c *openboards.FaqCategory) error {
	o, err := h.faqOutFor(r, cm, instanceID, false)
	if err != nil {
		return err
	}
	return h.ok(w, o.topic(t, c))
}

type faqTopicRequest struct {
	Attachments     *[]faqAttachmentJSON `json:"attachments"`
	BannerImageLink *string              `json:"bannerImageLink"`
	CategoryID      *int64               `json:"categoryId"`
	Content         *string              `json:"content"`
	IsPublished     *bool                `json:"isPublished"`
	IsSticky        *bool                `json:"isSticky"`
	Language        *string              `json:"language"`
	TagIDs          *[]int64             `json:"tagIds"`
	TemplateType    *string              `json:"templateType"`
	Title           *string              `json:"title"`
	// Read-only members of the Topic shape.
	Category        httpapi.Ignored `json:"category"`
	CreationTime    httpapi.Ignored `json:"creationTime"`
	CreatorID       httpapi.Ignored `json:"creatorId"`
	ID              httpapi.Ignored `json:"id"`
	LastUpdateTime  httpapi.Ignored `json:"lastUpdateTime"`
	NotUsefulCount  httpapi.Ignored `json:"notUsefulCount"`
	Tags            httpapi.Ignored `json:"tags"`
	TotalUsefulness httpapi.Ignored `json:"totalUsefulness"`
	UsefulCount     httpapi.Ignored `json:"usefulCount"`
	ViewCount       httpapi.Ignored `json:"viewCount"`
}

func (q faqTopicRequest) input() faq.TopicInput {
	in := faq.TopicInput{Title: q.Title, Content: q.Content, CategoryID: q.CategoryID, TagIDs: q.TagIDs, IsPublished: q.IsPublished,
		IsSticky: q.IsSticky, Language: q.Language, TemplateType: q.TemplateType, BannerImageLink: q.BannerImageLink}
	if q.Attachments != nil {
		list := make([]openboards.Attachment, len(*q.Attachments))
		for i, a := range *q.Attachments {
			list[i] = openboards.Attachment{URL: a.URL, Name: a.Name, IsContentPart: a.IsContentPart}
		}
		in.Attachments = &list
	}
	return in
}

func (h *Handler) handleFaqTopicCreate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := instanceID(r)
	if err != nil {
		return err
	}
	var req faqTopicRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	t, c, err := h.faq.CreateTopic(r.Context(), cm, id, cm.APIUserID, req.input())
	if err != nil {
		return err
	}
	return h.topicOK(w, r, cm, id, t, c)
}

func (h *Handler) handleFaqTopicUpdate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, topicID, err := instanceAndID(r)
	if err != nil {
		return err
	}
	var req faqTopicRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	t, c, err := h.faq.UpdateTopic(r.Context(), cm, id, topicID, req.input())
	if err != nil {
		return err
	}
	return h.topicOK(w, r, cm, id, t, c)
}

func (h *Handler) handleFaqTopicDelete(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, topicID, err := instanceAndID(r)
	if err != nil {
		return err
	}
	if err := h.faq.DeleteTopic(r.Context(), cm, id, topicID); err != nil {
		return err
	}
	return h.ok(w, nil)
}

// votes and views

// maxVisitorID bounds the id a page gives its visitor.
const maxVisitorID = 100

// voter names who votes or views: the visitorId the page gives (the help
// centre and the widget keep one per browser), else the client address.
func voter(r *http.Request, visitorID string) (string, error) {
	visitorID = strings.TrimSpace(visitorID)
	if visitorID == "" {
		return "ip:" + clientip.FromRequest(r).String(), nil
	}
	if err := openboards.CheckLen("visitorId", visitorID, maxVisitorID); err != nil {
		return "", err
	}
	if err := openboards.CheckText("visitorId", visitorID); err != nil {
		return "", err
	}
	return "visitor:" + visitorID, nil
}

type faqVoteRequest struct {
	Comment        *string `json:"comment"`
	DownvoteReason *string `json:"downvoteReason"`
	IsUseful       *bool   `json:"isUseful"`
	VisitorID      string  `json:"visitorId"`
}

func (h *Handler) handleFaqVote(w http.ResponseWriter, r *http.Request, cm *openboards.Community, a faq.Access) error {
	id, topicID, err := instanceAndID(r)
	if err != nil {
		return err
	}
	var req faqVoteRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	who, err := voter(r, req.VisitorID)
	if err != nil {
		return err
	}
	if a.Public {
		if err := h.faqVotes.Take(clientip.FromRequest(r)); err != nil {
			return err
		}
	}
	t, c, err := h.faq.Vote(r.Context(), cm, id, topicID, who, faq.VoteInput{IsUseful: req.IsUseful, DownvoteReason: req.DownvoteReason, Comment: req.Comment}, a)
	if err != nil {
		return err
	}
	return h.topicOK(w, r, cm, id, t, c)
}

type faqViewJSON struct {
	ViewCount int `json:"viewCount"`
}

func (h *Handler) handleFaqView(w http.ResponseWriter, r *http.Request, cm *openboards.Community, a faq.Access) error {
	id, topicID, err := instanceAndID(r)
	if err != nil {
		return err
	}
	var req struct {
		VisitorID string `json:"visitorId"`
	}
	if err := httpapi.Decode(r, &req, false); err != nil {
		return err
	}
	who, err := voter(r, req.VisitorID)
	if err != nil {
		return err
	}
	if a.Public {
		if err := h.faqViews.Take(clientip.FromRequest(r)); err != nil {
			return err
		}
	}
	if !h.faqSeen.first(cm.ID, topicID, who, time.Now()) {
		// Seen within the hour: answered, not counted again.
		t, _, err := h.faq.Topic(r.Context(), cm, id, topicID, a)
		if err != nil {
			return err
		}
		return h.ok(w, faqViewJSON{ViewCount: t.ViewCount})
	}
	n, err := h.faq.View(r.Context(), cm, id, topicID, a)
	if err != nil {
		return err
	}
	return h.ok(w, faqViewJSON{ViewCount: n})
}

// seenViews remembers who viewed which topic when, so that one visitor's
// views of a topic count once an hour. It is per server; at most max
// entries, the expired ones dropped when it fills, all of them if none is.
type seenViews struct {
	mu   sync.Mutex
	max  int
	seen map[seenKey]time.Time
}

type seenKey struct {
	community, topic int64
	who              string
}

func newSeenViews(max int) *seenViews { return &seenViews{max: max, seen: map[seenKey]time.Time{}} }

// first reports whether who's view of topic at now is the first in
// faqViewEvery, and notes it.
func (s *seenViews) first(community, topic int64, who string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := seenKey{community, topic, who}
	if at, ok := s.seen[k]; ok && now.Sub(at) < faqViewEvery {
		return false
	}
	if len(s.seen) >= s.max {
		for k, at := range s.seen {
			if now.Sub(at) >= faqViewEvery {
				delete(s.seen, k)
			}
		}
		if len(s.seen) >= s.max {
			clear(s.seen)
		}
	}
	s.seen[k] = now
	return true
}
