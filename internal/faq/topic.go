package faq

import (
	"context"
	"slices"
	"strings"

	"openboards/internal/openboards"
)

// TopicQuery selects topics of an instance: the list and search
// parameters of the API.
type TopicQuery struct {
	CategoryID *int64
	TagIDs     []int64
	SortBy     string
	Language   string
	Skip, Take int
}

// maxTake bounds a page of topics.
const maxTake = 100

// maxSearchText bounds a search's text.
const maxSearchText = 200

func (s *Service) filter(ctx context.Context, cm *openboards.Community, instanceID int64, q TopicQuery, a Access) (openboards.FaqTopicFilter, error) {
	f := openboards.FaqTopicFilter{CommunityID: cm.ID, InstanceID: instanceID, CategoryID: q.CategoryID, PublishedOnly: a.Public, Skip: q.Skip, Take: q.Take}
	if _, err := s.Instance(ctx, cm, instanceID, a); err != nil {
		return f, err
	}
	if q.Skip < 0 {
		return f, openboards.Errorf(openboards.CodeInvalid, "skip: at least 0")
	}
	switch {
	case q.Take == 0:
		f.Take = 25
	case q.Take < 0 || q.Take > maxTake:
		return f, openboards.Errorf(openboards.CodeInvalid, "take: from 1 to %d", maxTake)
	}
	if q.SortBy != "" {
		v, err := openboards.ParseFaqEnum("sortBy", q.SortBy, openboards.FaqSortOrders)
		if err != nil {
			return f, err
		}
		f.SortBy = v
	}
	var err error
	if f.Language, err = optionalLanguage("language", q.Language); err != nil {
		return f, err
	}
	if len(q.TagIDs) > openboards.MaxFaqTags {
		return f, openboards.Errorf(openboards.CodeInvalid, "tagIds: at most %d", openboards.MaxFaqTags)
	}
	for i, id := range q.TagIDs {
		if id <= 0 {
			return f, openboards.Errorf(openboards.CodeInvalid, "%s: %d is not a tag id", indexed("tagIds", i), id)
		}
	}
	f.TagIDs = q.TagIDs
	return f, nil
}

// Topics lists the topics q selects and how many it selects in all.
func (s *Service) Topics(ctx context.Context, cm *openboards.Community, instanceID int64, q TopicQuery, a Access) ([]*openboards.FaqTopic, int, error) {
	f, err := s.filter(ctx, cm, instanceID, q, a)
	if err != nil {
		return nil, 0, err
	}
	return s.store.FindFaqTopics(ctx, f)
}

// Search ranks the topics q selects by how well they match text.
func (s *Service) Search(ctx context.Context, cm *openboards.Community, instanceID int64, text string, q TopicQuery, a Access) ([]openboards.FaqHit, int, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, 0, openboards.Errorf(openboards.CodeInvalid, "searchText: required")
	}
	if err := openboards.CheckLen("searchText", text, maxSearchText); err != nil {
		return nil, 0, err
	}
	if err := openboards.CheckText("searchText", text); err != nil {
		return nil, 0, err
	}
	f, err := s.filter(ctx, cm, instanceID, q, a)
	if err != nil {
		return nil, 0, err
	}
	return s.store.SearchFaqTopics(ctx, openboards.FaqSearch{FaqTopicFilter: f, Text: text})
}

// Topic returns one topic of an instance; the public only a published one
// in a published category.
func (s *Service) Topic(ctx context.Context, cm *openboards.Community, instanceID, id int64, a Access) (*openboards.FaqTopic, *openboards.FaqCategory, error) {
	if _, err := s.Instance(ctx, cm, instanceID, a); err != nil {
		return nil, nil, err
	}
	return s.topic(ctx, s.store, cm, instanceID, id, a)
}

func (s *Service) topic(ctx context.Context, r openboards.Reader, cm *openboards.Community, instanceID, id int64, a Access) (*openboards.FaqTopic, *openboards.FaqCategory, error) {
	t, err := r.FindFaqTopic(ctx, cm.ID, id)
	if err != nil {
		return nil, nil, err
	}
	c, err := r.FindFaqCategory(ctx, cm.ID, t.CategoryID)
	if err != nil {
		return nil, nil, err
	}
	if t.InstanceID != instanceID || (a.Public && (!t.IsPublished || !c.IsPublished)) {
		return nil, nil, openboards.Errorf(openboards.CodeNotFound, "FAQ topic %d not found", id)
	}
	return t, c, nil
}

// TopicInput is a new topic, or the fields of a change (nil: keep).
type TopicInput struct {
	Title           *string
	Content         *string
	CategoryID      *int64
	TagIDs          *[]int64
	IsPublished     *bool
	IsSticky        *bool
	Language        *string
	TemplateType    *string
	Attachments     *[]openboards.Attachment
	BannerImageLink *string // "" clears it
}

// CreateTopic adds a topic; title, content and categoryId are required.
func (s *Service) CreateTopic(ctx context.Context, cm *openboards.Community, instanceID int64, creatorID string, in TopicInput) (*openboards.FaqTopic, *openboards.FaqCategory, error) {
	for _, req := range []struct {
		name string
		set  bool
	}{{"title", in.Title != nil}, {"content", in.Content != nil}, {"categoryId", in.CategoryID != nil}} {
		if !req.set {
			return nil, nil, openboards.Errorf(openboards.CodeInvalid, "%s: required", req.name)
		}
	}
	var id int64
	err := s.store.InTx(ctx, func(tx openboards.Tx) error {
		inst, err := tx.FindFaqInstance(ctx, cm.ID, instanceID)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		t := &openboards.FaqTopic{CommunityID: cm.ID, InstanceID: instanceID, Language: inst.DefaultLanguage, TemplateType: "default",
			CreatorID: creatorID, CreatedAt: now, UpdatedAt: now, Attachments: []openboards.Attachment{}}
		if err := s.applyTopic(ctx, tx, t, in); err != nil {
			return err
		}
		if err := tx.CreateFaqTopic(ctx, t); err != nil {
			return err
		}
		id = t.ID
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return s.Topic(ctx, cm, instanceID, id, Access{})
}

// UpdateTopic changes the fields in gives.
func (s *Service) UpdateTopic(ctx context.Context, cm *openboards.Community, instanceID, id int64, in TopicInput) (*openboards.FaqTopic, *openboards.FaqCategory, error) {
	err := s.store.InTx(ctx, func(tx openboards.Tx) error {
		t, _, err := s.topic(ctx, tx, cm, instanceID, id, Access{})
		if err != nil {
			return err
		}
		if err := s.applyTopic(ctx, tx, t, in); err != nil {
			return err
		}
		t.UpdatedAt = s.now().UTC()
		return tx.UpdateFaqTopic(ctx, t)
	})
	if err != nil {
		return nil, nil, err
	}
	return s.Topic(ctx, cm, instanceID, id, Access{})
}

func (s *Service) applyTopic(ctx context.Context, tx openboards.Tx, t *openboards.FaqTopic, in TopicInput) error {
	if in.Title != nil {
		title, err := requiredLine("title", *in.Title, openboards.MaxFaqTitleLen)
		if err != nil {
			return err
		}
		t.Title = title
	}
	if in.Content != nil {
		if len(*in.Content) > openboards.MaxFaqContentLen {
			return openboards.Errorf(openboards.CodeInvalid, "content: at most %d bytes", openboards.MaxFaqContentLen)
		}
		html, text := sanitize(*in.Content)
		if strings.TrimSpace(text) == "" && !strings.Contains(html, "<img") {
			return openboards.Errorf(openboards.CodeInvalid, "content: required (no text is left once it is made safe)")
		}
		t.Content, t.Text = html, text
	}
	if in.CategoryID != nil {
		c, err := tx.FindFaqCategory(ctx, t.CommunityID, *in.CategoryID)
		if openboards.ErrorCode(err) == openboards.CodeNotFound || (err == nil && c.InstanceID != t.InstanceID) {
			return openboards.Errorf(openboards.CodeInvalid, "categoryId: the instance has no category %d", *in.CategoryID)
		}
		if err != nil {
			return err
		}
		t.CategoryID = c.ID
	}
	if in.TagIDs != nil {
		if len(*in.TagIDs) > openboards.MaxFaqTags {
			return openboards.Errorf(openboards.CodeInvalid, "tagIds: at most %d", openboards.MaxFaqTags)
		}
		tags, err := tx.FindFaqTags(ctx, t.CommunityID, t.InstanceID)
		if err != nil {
			return err
		}
		t.TagIDs = nil
		for i, id := range *in.TagIDs {
			if !slices.ContainsFunc(tags, func(tag *openboards.FaqTag) bool { return tag.ID == id }) {
				return openboards.Errorf(openboards.CodeInvalid, "%s: the instance has no tag %d", indexed("tagIds", i), id)
			}
			if !slices.Contains(t.TagIDs, id) {
				t.TagIDs = append(t.TagIDs, id)
			}
		}
	}
	if in.IsPublished != nil {
		t.IsPublished = *in.IsPublished
	}
	if in.IsSticky != nil {
		t.IsSticky = *in.IsSticky
	}
	if in.Language != nil {
		l, err := openboards.ParseLanguage("language", *in.Language)
		if err != nil {
			return err
		}
		t.Language = l
	}
	if in.TemplateType != nil {
		v, err := openboards.ParseFaqEnum("templateType", *in.TemplateType, openboards.FaqTemplateTypes)
		if err != nil {
			return err
		}
		t.TemplateType = v
	}
	if in.Attachments != nil {
		clean, err := openboards.CleanAttachments("attachments", *in.Attachments)
		if err != nil {
			return err
		}
		t.Attachments = clean
	}
	if in.BannerImageLink != nil {
		link, err := optionalLink("bannerImageLink", *in.BannerImageLink)
		if err != nil {
			return err
		}
		t.BannerImageLink = link
	}
	if t.CategoryID == 0 {
		return openboards.Errorf(openboards.CodeInvalid, "categoryId: required")
	}
	return nil
}

// DeleteTopic deletes a topic with its votes.
func (s *Service) DeleteTopic(ctx context.Context, cm *openboards.Community, instanceID, id int64) error {
	return s.store.InTx(ctx, func(tx openboards.Tx) error {
		if _, _, err := s.topic(ctx, tx, cm, instanceID, id, Access{}); err != nil {
			return err
		}
		return tx.DeleteFaqTopic(ctx, cm.ID, id)
	})
}

// VoteInput is a visitor's verdict on a topic.
type VoteInput struct {
	IsUseful       *bool
	DownvoteReason *string
	Comment        *string
}

// Vote records voter's verdict on a topic, replacing their earlier one,
// and returns the topic with its counters.
func (s *Service) Vote(ctx context.Context, cm *openboards.Community, instanceID, id int64, voter string, in VoteInput, a Access) (*openboards.FaqTopic, *openboards.FaqCategory, error) {
	if in.IsUseful == nil {
		return nil, nil, openboards.Errorf(openboards.CodeInvalid, "isUseful: required")
	}
	v := &openboards.FaqVote{CommunityID: cm.ID, TopicID: id, Voter: voter, IsUseful: *in.IsUseful, CreatedAt: s.now().UTC()}
	if in.DownvoteReason != nil && strings.TrimSpace(*in.DownvoteReason) != "" {
		if v.IsUseful {
			return nil, nil, openboards.Errorf(openboards.CodeInvalid, "downvoteReason: only with isUseful false")
		}
		r, err := openboards.ParseFaqEnum("downvoteReason", *in.DownvoteReason, openboards.FaqDownvoteReasons)
		if err != nil {
			return nil, nil, err
		}
		v.DownvoteReason = &r
	}
	if in.Comment != nil {
		c := strings.TrimSpace(*in.Comment)
		if err := openboards.CheckLen("comment", c, openboards.MaxFaqCommentLen); err != nil {
			return nil, nil, err
		}
		if err := openboards.CheckText("comment", c); err != nil {
			return nil, nil, err
		}
		if c != "" {
			v.Comment = &c
		}
	}
	if _, err := s.Instance(ctx, cm, instanceID, a); err != nil {
		return nil, nil, err
	}
	err := s.store.InTx(ctx, func(tx openboards.Tx) error {
		if _, _, err := s.topic(ctx, tx, cm, instanceID, id, a); err != nil {
			return err
		}
		return tx.PutFaqVote(ctx, v)
	})
	if err != nil {
		return nil, nil, err
	}
	return s.Topic(ctx, cm, instanceID, id, Access{})
}

// View counts one view of a topic and returns its view count.
func (s *Service) View(ctx context.Context, cm *openboards.Community, instanceID, id int64, a Access) (int, error) {
	if _, err := s.Instance(ctx, cm, instanceID, a); err != nil {
		return 0, err
	}
	err := s.store.InTx(ctx, func(tx openboards.Tx) error {
		if _, _, err := s.topic(ctx, tx, cm, instanceID, id, a); err != nil {
			return err
		}
		return tx.AddFaqView(ctx, cm.ID, id)
	})
	if err != nil {
		return 0, err
	}
	t, err := s.store.FindFaqTopic(ctx, cm.ID, id)
	if err != nil {
		return 0, err
	}
	return t.ViewCount, nil
}
