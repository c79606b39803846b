package openboards

import (
	"context"
	"regexp"
	"strings"
	"time"
)

// The knowledge base (FAQ): a community has instances (help centres), an
// instance has categories, a category has topics (articles), and topics
// carry tags of their instance. Published instances, categories and
// topics are public: the help centre and the widget show them to anyone.

// FaqInstance is one help centre of a community.
type FaqInstance struct {
	ID          int64
	CommunityID int64
	Name        string
	// DefaultLanguage and Languages are ISO 639-1 codes ("en", "da");
	// Languages holds DefaultLanguage.
	DefaultLanguage string
	Languages       []string
	IsPublished     bool
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// FaqCategory groups topics of an instance. Its counters are kept by the
// store with every change of its topics, votes and views.
type FaqCategory struct {
	ID          int64
	CommunityID int64
	InstanceID  int64
	Title       string
	Description string
	ImageLink   *string
	IsPublished bool
	IsSticky    bool
	// Position orders the categories of an instance (then ID).
	Position  int
	Language  string
	CreatorID string
	CreatedAt time.Time
	UpdatedAt time.Time

	// ActiveTopicCount counts its topics, PublishedTopicCount its
	// published ones; TotalUsefulness is its topics' useful votes minus
	// their not-useful ones; ViewCount the views of its topics.
	ActiveTopicCount    int
	PublishedTopicCount int
	TotalUsefulness     int
	ViewCount           int
}

// FaqTopic is one article of a category.
type FaqTopic struct {
	ID          int64
	CommunityID int64
	InstanceID  int64
	CategoryID  int64
	Title       string
	// Content is sanitised HTML; Text is its plain text, what search reads.
	Content         string
	Text            string
	BannerImageLink *string
	Attachments     []Attachment
	IsPublished     bool
	IsSticky        bool
	Language        string
	TemplateType    string
	TagIDs          []int64
	CreatorID       string
	CreatedAt       time.Time
	UpdatedAt       time.Time

	ViewCount      int
	UsefulCount    int
	NotUsefulCount int
}

// FaqTag labels topics of an instance.
type FaqTag struct {
	ID          int64
	CommunityID int64
	InstanceID  int64
	Name        string
}

// FaqVote is one visitor's verdict on a topic; a visitor has one vote per
// topic, which a later vote replaces.
type FaqVote struct {
	CommunityID int64
	TopicID     int64
	// Voter identifies the visitor: a teammate's id, or a key the help
	// centre gives an anonymous visitor.
	Voter          string
	IsUseful       bool
	DownvoteReason *string
	Comment        *string
	CreatedAt      time.Time
}

// Topic sort orders.
const (
	FaqSortMostPopular  = "most_popular"
	FaqSortMostUseful   = "most_useful"
	FaqSortNewest       = "newest"
	FaqSortLastUpdated  = "last_updated"
	FaqSortAlphabetical = "alphabetical"
)

// FaqSortOrders are the topic sort orders, the default first.
var FaqSortOrders = []string{FaqSortMostPopular, FaqSortMostUseful, FaqSortNewest, FaqSortLastUpdated, FaqSortAlphabetical}

// Downvote reasons.
var FaqDownvoteReasons = []string{"not_relevant", "incorrect", "incomplete", "hard_to_understand", "other"}

// Template types.
var FaqTemplateTypes = []string{"default", "article", "video", "step_by_step"}

// FaqTopicFilter selects topics of one instance.
type FaqTopicFilter struct {
	CommunityID int64
	InstanceID  int64
	CategoryID  *int64
	// TagIDs keeps topics that carry every one of them.
	TagIDs   []int64
	Language string // "" for any
	// PublishedOnly keeps published topics of published categories.
	PublishedOnly bool
	SortBy        string // one of FaqSortOrders; "" for the first
	// Skip and Take page the list; Take 0 takes every one.
	Skip, Take int
}

// FaqSearch is a full-text search over an instance's topics.
type FaqSearch struct {
	FaqTopicFilter
	Text string
}

// FaqHit is a topic found by a search, with a snippet of its text in
// which the matched words are marked (between SnippetStart and SnippetEnd).
type FaqHit struct {
	Topic   *FaqTopic
	Snippet string
}

// Snippet marks: the search's marked words, as the store returns them.
const (
	SnippetStart = "\x02"
	SnippetEnd   = "\x03"
)

// FaqReader reads the knowledge base.
type FaqReader interface {
	FindFaqInstances(ctx context.Context, communityID int64) ([]*FaqInstance, error)
	// FindFaqInstance returns one instance; CodeNotFound when the
	// community has none with the id.
	FindFaqInstance(ctx context.Context, communityID, id int64) (*FaqInstance, error)
	// FindFaqCategories lists an instance's categories by Position, then
	// ID; language "" for every language.
	FindFaqCategories(ctx context.Context, communityID, instanceID int64, language string, publishedOnly bool) ([]*FaqCategory, error)
	FindFaqCategory(ctx context.Context, communityID, id int64) (*FaqCategory, error)
	FindFaqTags(ctx context.Context, communityID, instanceID int64) ([]*FaqTag, error)
	FindFaqTopic(ctx context.Context, communityID, id int64) (*FaqTopic, error)
	// FindFaqTopics lists the topics f selects, sticky ones first, and
	// how many it selects without Skip and Take.
	FindFaqTopics(ctx context.Context, f FaqTopicFilter) ([]*FaqTopic, int, error)
	// SearchFaqTopics ranks the topics f selects by how well their title
	// (weighted most) and text match f.Text: words in any order, the last
	// one a prefix, stemmed in the instance's language where the backend
	// can; sticky topics first among equals. When nothing matches it
	// falls back to similar spellings. It returns the total found.
	SearchFaqTopics(ctx context.Context, f FaqSearch) ([]FaqHit, int, error)
}

// FaqStore writes the knowledge base. Deleting an instance deletes its
// categories, topics, tags and votes; deleting a category its topics.
// Every write keeps the category counters exact.
type FaqStore interface {
	FaqReader
	CreateFaqInstance(ctx context.Context, in *FaqInstance) error
	UpdateFaqInstance(ctx context.Context, in *FaqInstance) error
	DeleteFaqInstance(ctx context.Context, communityID, id int64) error
	CreateFaqCategory(ctx context.Context, c *FaqCategory) error
	UpdateFaqCategory(ctx context.Context, c *FaqCategory) error
	DeleteFaqCategory(ctx context.Context, communityID, id int64) error
	CreateFaqTag(ctx context.Context, t *FaqTag) error
	DeleteFaqTag(ctx context.Context, communityID, id int64) error
	CreateFaqTopic(ctx context.Context, t *FaqTopic) error
	// UpdateFaqTopic stores t's editable fields (not its counters); a
	// topic moved to another category moves its counts with it.
	UpdateFaqTopic(ctx context.Context, t *FaqTopic) error
	DeleteFaqTopic(ctx context.Context, communityID, id int64) error
	// PutFaqVote records v, replacing the voter's earlier vote on the
	// topic, and updates the topic's and its category's counters.
	PutFaqVote(ctx context.Context, v *FaqVote) error
	// AddFaqView counts one view of a topic in it and its category.
	AddFaqView(ctx context.Context, communityID, topicID int64) error
}

// Limits of the knowledge base's inputs.
const (
	MaxFaqTitleLen       = 200
	MaxFaqDescriptionLen = 2000
	MaxFaqContentLen     = 200 << 10
	MaxFaqTagLen         = 50
	MaxFaqTags           = 20
	MaxFaqCommentLen     = 2000
	MaxFaqLanguages      = 20
)

var languageCode = regexp.MustCompile(`^[a-z]{2}$`)

// ParseLanguage checks an ISO 639-1 code, in lower case.
func ParseLanguage(field, code string) (string, error) {
	c := strings.ToLower(strings.TrimSpace(code))
	if !languageCode.MatchString(c) {
		return "", Errorf(CodeInvalid, "%s: %q is not an ISO 639-1 language code like en or da", field, code)
	}
	return c, nil
}

// ParseFaqEnum checks v against the allowed values of field.
func ParseFaqEnum(field, v string, allowed []string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	for _, a := range allowed {
		if s == a {
			return s, nil
		}
	}
	return "", Errorf(CodeInvalid, "%s: %q is none of %s", field, v, strings.Join(allowed, ", "))
}
