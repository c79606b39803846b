// Package faq is the knowledge base's use cases: instances (help
// centres), their categories, topics and tags, and the votes and views
// that visitors add. Every write is one transaction; input that is not
// accepted names its field and writes nothing.
package faq

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"openboards/internal/openboards"
	"openboards/internal/richtext"
)

// Service runs the knowledge base's use cases.
type Service struct {
	store openboards.Store
	now   func() time.Time
}

// NewService returns a Service on store; now is the clock (nil: time.Now).
func NewService(store openboards.Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, now: now}
}

// Access says what a caller may read: a community's own token sees
// everything; the public sees published instances, and in them published
// categories and topics only.
type Access struct {
	Public bool
}

// Instances lists the community's instances (the published ones for the
// public).
func (s *Service) Instances(ctx context.Context, cm *openboards.Community, a Access) ([]*openboards.FaqInstance, error) {
	list, err := s.store.FindFaqInstances(ctx, cm.ID)
	if err != nil || !a.Public {
		return list, err
	}
	return slices.DeleteFunc(list, func(in *openboards.FaqInstance) bool { return !in.IsPublished }), nil
}

// Instance returns one instance; the public gets CodeNotFound for one not
// published.
func (s *Service) Instance(ctx context.Context, cm *openboards.Community, id int64, a Access) (*openboards.FaqInstance, error) {
	in, err := s.store.FindFaqInstance(ctx, cm.ID, id)
	if err == nil && a.Public && !in.IsPublished {
		err = openboards.Errorf(openboards.CodeNotFound, "FAQ instance %d not found", id)
	}
	return in, err
}

// InstanceInput is a new instance, or the fields of a change (nil: keep).
type InstanceInput struct {
	Name            *string
	DefaultLanguage *string
	Languages       *[]string
	IsPublished     *bool
}

// CreateInstance makes an instance; its name is required, its language
// defaults to English.
func (s *Service) CreateInstance(ctx context.Context, cm *openboards.Community, in InstanceInput) (*openboards.FaqInstance, error) {
	now := s.now().UTC()
	inst := &openboards.FaqInstance{CommunityID: cm.ID, DefaultLanguage: "en", CreatedAt: now, UpdatedAt: now}
	if in.Name == nil {
		return nil, openboards.Errorf(openboards.CodeInvalid, "name: required")
	}
	if err := applyInstance(inst, in); err != nil {
		return nil, err
	}
	return inst, s.store.InTx(ctx, func(tx openboards.Tx) error { return tx.CreateFaqInstance(ctx, inst) })
}

// UpdateInstance changes the fields in gives.
func (s *Service) UpdateInstance(ctx context.Context, cm *openboards.Community, id int64, in InstanceInput) (*openboards.FaqInstance, error) {
	var out *openboards.FaqInstance
	err := s.store.InTx(ctx, func(tx openboards.Tx) error {
		inst, err := tx.FindFaqInstance(ctx, cm.ID, id)
		if err != nil {
			return err
		}
		if err := applyInstance(inst, in); err != nil {
			return err
		}
		inst.UpdatedAt = s.now().UTC()
		out = inst
		return tx.UpdateFaqInstance(ctx, inst)
	})
	return out, err
}

func applyInstance(inst *openboards.FaqInstance, in InstanceInput) error {
	if in.Name != nil {
		name, err := requiredLine("name", *in.Name, openboards.MaxFaqTitleLen)
		if err != nil {
			return err
		}
		inst.Name = name
	}
	if in.DefaultLanguage != nil {
		l, err := openboards.ParseLanguage("defaultLanguage", *in.DefaultLanguage)
		if err != nil {
			return err
		}
		inst.DefaultLanguage = l
	}
	if in.Languages != nil {
		if len(*in.Languages) > openboards.MaxFaqLanguages {
			return openboards.Errorf(openboards.CodeInvalid, "languages: at most %d", openboards.MaxFaqLanguages)
		}
		inst.Languages = nil
		for i, code := range *in.Languages {
			l, err := openboards.ParseLanguage(indexed("languages", i), code)
			if err != nil {
				return err
			}
			if !slices.Contains(inst.Languages, l) {
				inst.Languages = append(inst.Languages, l)
			}
		}
	}
	if !slices.Contains(inst.Languages, inst.DefaultLanguage) {
		inst.Languages = append([]string{inst.DefaultLanguage}, inst.Languages...)
	}
	if in.IsPublished != nil {
		inst.IsPublished = *in.IsPublished
	}
	return nil
}

// DeleteInstance deletes an instance with everything in it.
func (s *Service) DeleteInstance(ctx context.Context, cm *openboards.Community, id int64) error {
	return s.store.InTx(ctx, func(tx openboards.Tx) error {
		if _, err := tx.FindFaqInstance(ctx, cm.ID, id); err != nil {
			return err
		}
		return tx.DeleteFaqInstance(ctx, cm.ID, id)
	})
}

// Categories lists an instance's categories in their order; language ""
// for all. includeUnpublished is refused to the public.
func (s *Service) Categories(ctx context.Context, cm *openboards.Community, instanceID int64, language string, includeUnpublished bool, a Access) ([]*openboards.FaqCategory, error) {
	if a.Public && includeUnpublished {
		return nil, openboards.Errorf(openboards.CodeUnauthorized, "includeUnpublished: needs the community's access token")
	}
	if _, err := s.Instance(ctx, cm, instanceID, a); err != nil {
		return nil, err
	}
	lang, err := optionalLanguage("language", language)
	if err != nil {
		return nil, err
	}
	return s.store.FindFaqCategories(ctx, cm.ID, instanceID, lang, !includeUnpublished)
}

// Category returns one category of an instance; the public only a
// published one.
func (s *Service) Category(ctx context.Context, cm *openboards.Community, instanceID, id int64, a Access) (*openboards.FaqCategory, error) {
	if _, err := s.Instance(ctx, cm, instanceID, a); err != nil {
		return nil, err
	}
	c, err := s.store.FindFaqCategory(ctx, cm.ID, id)
	if err == nil && (c.InstanceID != instanceID || (a.Public && !c.IsPublished)) {
		err = openboards.Errorf(openboards.CodeNotFound, "FAQ category %d not found", id)
	}
	return c, err
}

// CategoryInput is a new category, or the fields of a change (nil: keep).
type CategoryInput struct {
	Title       *string
	Description *string
	ImageLink   *string // "" clears it
	IsPublished *bool
	IsSticky    *bool
	Position    *int
	Language    *string
}

// CreateCategory adds a category to an instance.
func (s *Service) CreateCategory(ctx context.Context, cm *openboards.Community, instanceID int64, creatorID string, in CategoryInput) (*openboards.FaqCategory, error) {
	if in.Title == nil {
		return nil, openboards.Errorf(openboards.CodeInvalid, "title: required")
	}
	var out *openboards.FaqCategory
	err := s.store.InTx(ctx, func(tx openboards.Tx) error {
		inst, err := tx.FindFaqInstance(ctx, cm.ID, instanceID)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		c := &openboards.FaqCategory{CommunityID: cm.ID, InstanceID: instanceID, Language: inst.DefaultLanguage, CreatorID: creatorID, CreatedAt: now, UpdatedAt: now}
		if err := applyCategory(c, in); err != nil {
			return err
		}
		out = c
		return tx.CreateFaqCategory(ctx, c)
	})
	return out, err
}

// UpdateCategory changes the fields in gives.
func (s *Service) UpdateCategory(ctx context.Context, cm *openboards.Community, instanceID, id int64, in CategoryInput) (*openboards.FaqCategory, error) {
	var out *openboards.FaqCategory
	err := s.store.InTx(ctx, func(tx openboards.Tx) error {
		c, err := tx.FindFaqCategory(ctx, cm.ID, id)
		if err == nil && c.InstanceID != instanceID {
			err = openboards.Errorf(openboards.CodeNotFound, "FAQ category %d not found", id)
		}
		if err != nil {
			return err
		}
		if err := applyCategory(c, in); err != nil {
			return err
		}
		c.UpdatedAt = s.now().UTC()
		if err := tx.UpdateFaqCategory(ctx, c); err != nil {
			return err
		}
		out, err = tx.FindFaqCategory(ctx, cm.ID, id)
		return err
	})
	return out, err
}

func applyCategory(c *openboards.FaqCategory, in CategoryInput) error {
	if in.Title != nil {
		title, err := requiredLine("title", *in.Title, openboards.MaxFaqTitleLen)
		if err != nil {
			return err
		}
		c.Title = title
	}
	if in.Description != nil {
		d := strings.TrimSpace(*in.Description)
		if err := openboards.CheckLen("description", d, openboards.MaxFaqDescriptionLen); err != nil {
			return err
		}
		if err := openboards.CheckText("description", d); err != nil {
			return err
		}
		c.Description = d
	}
	if in.ImageLink != nil {
		link, err := optionalLink("imageLink", *in.ImageLink)
		if err != nil {
			return err
		}
		c.ImageLink = link
	}
	if in.IsPublished != nil {
		c.IsPublished = *in.IsPublished
	}
	if in.IsSticky != nil {
		c.IsSticky = *in.IsSticky
	}
	if in.Position != nil {
		if *in.Position < 0 || *in.Position > 1_000_000 {
			return openboards.Errorf(openboards.CodeInvalid, "position: from 0 to 1000000")
		}
		c.Position = *in.Position
	}
	if in.Language != nil {
		l, err := openboards.ParseLanguage("language", *in.Language)
		if err != nil {
			return err
		}
		c.Language = l
	}
	return nil
}

// DeleteCategory deletes a category and its topics.
func (s *Service) DeleteCategory(ctx context.Context, cm *openboards.Community, instanceID, id int64) error {
	return s.store.InTx(ctx, func(tx openboards.Tx) error {
		c, err := tx.FindFaqCategory(ctx, cm.ID, id)
		if err == nil && c.InstanceID != instanceID {
			err = openboards.Errorf(openboards.CodeNotFound, "FAQ category %d not found", id)
		}
		if err != nil {
			return err
		}
		return tx.DeleteFaqCategory(ctx, cm.ID, id)
	})
}

// Tags lists an instance's tags by name.
func (s *Service) Tags(ctx context.Context, cm *openboards.Community, instanceID int64, a Access) ([]*openboards.FaqTag, error) {
	if _, err := s.Instance(ctx, cm, instanceID, a); err != nil {
		return nil, err
	}
	return s.store.FindFaqTags(ctx, cm.ID, instanceID)
}

// CreateTag adds a tag to an instance; a name it already has is refused.
func (s *Service) CreateTag(ctx context.Context, cm *openboards.Community, instanceID int64, name string) (*openboards.FaqTag, error) {
	name, err := requiredLine("name", name, openboards.MaxFaqTagLen)
	if err != nil {
		return nil, err
	}
	var out *openboards.FaqTag
	err = s.store.InTx(ctx, func(tx openboards.Tx) error {
		if _, err := tx.FindFaqInstance(ctx, cm.ID, instanceID); err != nil {
			return err
		}
		tags, err := tx.FindFaqTags(ctx, cm.ID, instanceID)
		if err != nil {
			return err
		}
		for _, t := range tags {
			if strings.EqualFold(t.Name, name) {
				return openboards.Errorf(openboards.CodeConflict, "name: the instance has a tag %q (id %d)", t.Name, t.ID)
			}
		}
		out = &openboards.FaqTag{CommunityID: cm.ID, InstanceID: instanceID, Name: name}
		return tx.CreateFaqTag(ctx, out)
	})
	return out, err
}

// DeleteTag removes a tag from an instance and its topics.
func (s *Service) DeleteTag(ctx context.Context, cm *openboards.Community, instanceID, id int64) error {
	return s.store.InTx(ctx, func(tx openboards.Tx) error {
		tags, err := tx.FindFaqTags(ctx, cm.ID, instanceID)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(tags, func(t *openboards.FaqTag) bool { return t.ID == id }) {
			return openboards.Errorf(openboards.CodeNotFound, "FAQ tag %d not found", id)
		}
		return tx.DeleteFaqTag(ctx, cm.ID, id)
	})
}

// helpers

func indexed(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }

// requiredLine trims s and checks it as checkLine does, refusing it
// empty.
func requiredLine(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", openboards.Errorf(openboards.CodeInvalid, "%s: required", field)
	}
	return s, checkLine(field, s, max)
}

// checkLine bounds a one-line text and refuses control characters.
func checkLine(field, s string, max int) error {
	if err := openboards.CheckLen(field, s, max); err != nil {
		return err
	}
	if strings.ContainsAny(s, "\r\n") {
		return openboards.Errorf(openboards.CodeInvalid, "%s: one line only", field)
	}
	return openboards.CheckText(field, s)
}

// optionalLink checks an absolute http(s) URL; "" is none.
func optionalLink(field, s string) (*string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if err := openboards.CheckLen(field, s, openboards.MaxURLLen); err != nil {
		return nil, err
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, openboards.Errorf(openboards.CodeInvalid, "%s: must be an absolute http or https URL", field)
	}
	return &s, nil
}

// optionalLanguage checks a language filter; "" is any.
func optionalLanguage(field, s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	return openboards.ParseLanguage(field, s)
}

// sanitize returns the stored form of a topic's HTML and its plain text.
func sanitize(content string) (html, text string) {
	html = richtext.Sanitize(content)
	return html, richtext.Text(html)
}
