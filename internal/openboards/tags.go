package openboards

import (
	"context"
	"fmt"
	"strings"
)

// Limits on the tags of a ticket or reply.
const (
	// MaxTags is the most tags one ticket or reply carries.
	MaxTags = 100
	// MaxTagLen is the longest tag name, in bytes.
	MaxTagLen = 100
)

// CleanTags validates submitted tag names, naming them under field
// (field[i]): it collapses runs of white space, rejects empty and long
// names, and drops names repeated without regard to letter case, keeping
// the first spelling.
func CleanTags(field string, in []string) ([]string, error) {
	if len(in) > MaxTags {
		return nil, Errorf(CodeInvalid, "%s: more than %d tags", field, MaxTags)
	}
	seen := make(map[string]bool, len(in))
	out := make([]string, 0, len(in))
	for i, t := range in {
		if err := CheckText(fmt.Sprintf("%s[%d]", field, i), t); err != nil {
			return nil, err
		}
		t = strings.Join(strings.Fields(t), " ")
		if t == "" {
			return nil, Errorf(CodeInvalid, "%s[%d]: empty tag name", field, i)
		}
		if len(t) > MaxTagLen {
			return nil, Errorf(CodeInvalid, "%s[%d]: longer than %d characters", field, i, MaxTagLen)
		}
		if k := strings.ToLower(t); !seen[k] {
			seen[k] = true
			out = append(out, t)
		}
	}
	return out, nil
}

// Tag is a label known to a community.
type Tag struct {
	ID          int64
	CommunityID int64
	Name        string
}

// TagReader reads a community's tags.
type TagReader interface {
	FindTags(ctx context.Context, communityID int64) ([]*Tag, error)
}

// TagStore writes tags.
type TagStore interface {
	TagReader
	// UpsertTags returns the community's tags with the given names (matched
	// without regard to case), creating the missing ones, in input order.
	UpsertTags(ctx context.Context, communityID int64, names []string) ([]Tag, error)
}
