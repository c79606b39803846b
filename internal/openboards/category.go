package openboards

import "context"

// Category groups tickets; categories form a tree.
type Category struct {
	ID          int64
	CommunityID int64
	ParentID    *int64
	Name        string
	AutoArchive bool
	CanBeChosen bool
	IsHidden    bool
	IsMuted     bool
	Children    []*Category // filled by BuildCategoryTree
}

// BuildCategoryTree links flat categories into trees and returns the roots,
// keeping the input order among siblings. Categories whose parent is not in
// the list become roots.
func BuildCategoryTree(all []*Category) []*Category {
	byID := make(map[int64]*Category, len(all))
	for _, c := range all {
		c.Children = []*Category{}
		byID[c.ID] = c
	}
	var roots []*Category
	for _, c := range all {
		if c.ParentID != nil {
			if p, ok := byID[*c.ParentID]; ok {
				p.Children = append(p.Children, c)
				continue
			}
		}
		roots = append(roots, c)
	}
	return roots
}

// CategoryReader reads a community's category tree.
type CategoryReader interface {
	FindCategoryByID(ctx context.Context, communityID, id int64) (*Category, error)
	// FindCategories lists every category of a community, parents before
	// children is not promised; use BuildCategoryTree.
	FindCategories(ctx context.Context, communityID int64) ([]*Category, error)
	CountCategoryChildren(ctx context.Context, communityID, id int64) (int, error)
}

// CategoryStore writes categories.
type CategoryStore interface {
	CategoryReader
	// LockCategoryTree makes category-tree changes of a community take
	// turns until the transaction ends, so that two concurrent moves cannot
	// together form a cycle that each alone would not.
	LockCategoryTree(ctx context.Context, communityID int64) error
	CreateCategory(ctx context.Context, c *Category) error
	UpdateCategory(ctx context.Context, c *Category) error
	// DeleteCategory removes a category and leaves its tickets uncategorised.
	DeleteCategory(ctx context.Context, communityID, id int64) error
}
