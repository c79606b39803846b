package ticket

import (
	"context"
	"math"
	"regexp"
	"strconv"
	"strings"

	"openboards/internal/live"
	"openboards/internal/openboards"
)

// CategoryInput describes a category to create, or the changes to one (nil
// fields stay as they are).
type CategoryInput struct {
	Name        *string
	ParentID    **int64 // set to a nil *int64 for a root category
	AutoArchive *bool
	CanBeChosen *bool
	IsHidden    *bool
	IsMuted     *bool
}

func (in CategoryInput) apply(c *openboards.Category) error {
	if in.Name != nil {
		c.Name = strings.TrimSpace(*in.Name)
	}
	if c.Name == "" {
		return openboards.Errorf(openboards.CodeInvalid, "name: required")
	}
	if err := openboards.CheckLen("name", c.Name, maxNameLen); err != nil {
		return err
	}
	if in.ParentID != nil {
		c.ParentID = *in.ParentID
	}
	for _, p := range []struct {
		in  *bool
		out *bool
	}{{in.AutoArchive, &c.AutoArchive}, {in.CanBeChosen, &c.CanBeChosen}, {in.IsHidden, &c.IsHidden}, {in.IsMuted, &c.IsMuted}} {
		if p.in != nil {
			*p.out = *p.in
		}
	}
	return nil
}

// checkParent verifies that c may hang below its parent: the parent exists
// and c is not among its ancestors.
func checkParent(ctx context.Context, tx openboards.Reader, c *openboards.Category) error {
	seen := map[int64]bool{}
	for id := c.ParentID; id != nil; {
		if c.ID != 0 && *id == c.ID {
			return openboards.Errorf(openboards.CodeInvalid, "parentId: a category cannot be placed below itself or its subcategories")
		}
		if seen[*id] {
			break
		}
		seen[*id] = true
		p, err := tx.FindCategoryByID(ctx, c.CommunityID, *id)
		if openboards.ErrorCode(err) == openboards.CodeNotFound {
			return openboards.Errorf(openboards.CodeInvalid, "parentId: category %d not found", *id)
		}
		if err != nil {
			return err
		}
		id = p.ParentID
	}
	return nil
}

// CreateCategory adds a category; new categories can be chosen unless the
// input says otherwise.
func (s *Service) CreateCategory(ctx context.Context, cm *openboards.Community, in CategoryInput) (*openboards.Category, error) {
	c := &openboards.Category{CommunityID: cm.ID, CanBeChosen: true, Children: []*openboards.Category{}}
	if err := in.apply(c); err != nil {
		return nil, err
	}
	err := s.store.InTx(ctx, func(tx openboards.Tx) error {
		if err := tx.LockCategoryTree(ctx, cm.ID); err != nil {
			return err
		}
		if err := checkParent(ctx, tx, c); err != nil {
			return err
		}
		return tx.CreateCategory(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// UpdateCategory changes a category.
func (s *Service) UpdateCategory(ctx context.Context, cm *openboards.Community, id int64, in CategoryInput) (*openboards.Category, error) {
	var c *openboards.Category
	err := s.store.InTx(ctx, func(tx openboards.Tx) error {
		if err := tx.LockCategoryTree(ctx, cm.ID); err != nil {
			return err
		}
		var err error
		if c, err = tx.FindCategoryByID(ctx, cm.ID, id); err != nil {
			return err
		}
		if err := in.apply(c); err != nil {
			return err
		}
		if err := checkParent(ctx, tx, c); err != nil {
			return err
		}
		return tx.UpdateCategory(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	c.Children = []*openboards.Category{}
	return c, nil
}

// DeleteCategory removes a category that has no subcategories; its tickets
// become uncategorised.
func (s *Service) DeleteCategory(ctx context.Context, cm *openboards.Community, id int64) error {
	return s.InTx(ctx, cm, func(w *Writer) error {
		tx := w.Tx()
		if err := tx.LockCategoryTree(ctx, cm.ID); err != nil {
			return err
		}
		n, err := tx.CountCategoryChildren(ctx, cm.ID, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return openboards.Errorf(openboards.CodeConflict, "category %d has %d subcategories; move or delete them first", id, n)
		}
		// Its tickets become uncategorised: each raises a category change.
		ticketIDs, err := tx.FindTicketIDs(ctx, openboards.TicketFilter{
			CommunityID: cm.ID, CategorySet: true, CategoryID: &id, OrderBy: openboards.OrderCreationAsc, Take: math.MaxInt32,
		})
		if err != nil {
			return err
		}
		if err := tx.DeleteCategory(ctx, cm.ID, id); err != nil {
			return err
		}
		for _, tid := range ticketIDs {
			if err := w.Record(ctx, openboards.Change{Type: openboards.EventTicketCategoryChange, TicketID: tid, PreviousCategoryID: &id}); err != nil {
				return err
			}
			w.queue(live.TicketChanged, tid, cm.APIUserID, nil)
		}
		// Custom fields assigned to the category forget it.
		fields, err := tx.FindCustomFields(ctx, cm.ID)
		if err != nil {
			return err
		}
		for _, f := range fields {
			kept := f.AssignedCategoryIDs[:0:0]
			for _, c := range f.AssignedCategoryIDs {
				if c != id {
					kept = append(kept, c)
				}
			}
			if len(kept) != len(f.AssignedCategoryIDs) {
				f.AssignedCategoryIDs = kept
				if err := tx.UpdateCustomField(ctx, f); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// CreateCustomField validates and adds a custom field definition.
func (s *Service) CreateCustomField(ctx context.Context, cm *openboards.Community, f *openboards.CustomField) error {
	f.CommunityID = cm.ID
	if err := f.Validate(); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx openboards.Tx) error {
		if err := checkCategoryIDs(ctx, tx, cm.ID, f.AssignedCategoryIDs); err != nil {
			return err
		}
		return tx.CreateCustomField(ctx, f)
	})
}

// UpdateCustomField replaces a custom field definition. Values already on
// tickets are kept even if the new definition would reject them.
func (s *Service) UpdateCustomField(ctx context.Context, cm *openboards.Community, f *openboards.CustomField) error {
	f.CommunityID = cm.ID
	if err := f.Validate(); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx openboards.Tx) error {
		if _, err := tx.FindCustomFieldByID(ctx, cm.ID, f.ID); err != nil {
			return err
		}
		if err := checkCategoryIDs(ctx, tx, cm.ID, f.AssignedCategoryIDs); err != nil {
			return err
		}
		return tx.UpdateCustomField(ctx, f)
	})
}

func checkCategoryIDs(ctx context.Context, tx openboards.Reader, communityID int64, ids []int64) error {
	for i, id := range ids {
		if _, err := tx.FindCategoryByID(ctx, communityID, id); err != nil {
			if openboards.ErrorCode(err) == openboards.CodeNotFound {
				return openboards.Errorf(openboards.CodeInvalid, "assignedCategoryIds[%d]: category %d not found", i, id)
			}
			return err
		}
	}
	return nil
}

// DeleteCustomField removes a custom field and its values on every ticket.
func (s *Service) DeleteCustomField(ctx context.Context, cm *openboards.Community, id int64) error {
	return s.store.InTx(ctx, func(tx openboards.Tx) error {
		return tx.DeleteCustomField(ctx, cm.ID, id)
	})
}

func groupName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", openboards.Errorf(openboards.CodeInvalid, "name: required")
	}
	if err := openboards.CheckLen("name", name, maxNameLen); err != nil {
		return "", err
	}
	return name, nil
}

// CreateUserGroup adds a user group with the given teammates.
func (s *Service) CreateUserGroup(ctx context.Context, cm *openboards.Community, name string, members []string) (*openboards.UserGroup, error) {
	name, err := groupName(name)
	if err != nil {
		return nil, err
	}
	g := &openboards.UserGroup{CommunityID: cm.ID, Name: name, CreatedAt: s.clock()}
	err = s.store.InTx(ctx, func(tx openboards.Tx) error {
		if err := tx.CreateUserGroup(ctx, g); err != nil {
			return err
		}
		return addMembers(ctx, tx, cm.ID, g.ID, "teammateIds", members)
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// UpdateUserGroup renames a user group (name not nil) and replaces its
// members with exactly the given teammates (members not nil).
func (s *Service) UpdateUserGroup(ctx context.Context, cm *openboards.Community, id int64, name *string, members *[]string) error {
	if name != nil {
		n, err := groupName(*name)
		if err != nil {
			return err
		}
		name = &n
	}
	return s.store.InTx(ctx, func(tx openboards.Tx) error {
		g, err := tx.FindUserGroupByID(ctx, cm.ID, id)
		if err != nil {
			return err
		}
		if name != nil && *name != g.Name {
			g.Name = *name
			if err := tx.UpdateUserGroup(ctx, g); err != nil {
				return err
			}
		}
		if members == nil {
			return nil
		}
		if err := addMembers(ctx, tx, cm.ID, id, "teammateIds", *members); err != nil {
			return err
		}
		keep := map[string]bool{}
		for _, m := range *members {
			keep[strings.ToLower(m)] = true
		}
		current, err := tx.FindUserGroupMemberIDs(ctx, cm.ID, id)
		if err != nil {
			return err
		}
		for _, m := range current {
			if !keep[m] {
				if err := tx.RemoveUserGroupMember(ctx, cm.ID, id, m); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// DeleteUserGroup removes a user group; its teammates stay.
func (s *Service) DeleteUserGroup(ctx context.Context, cm *openboards.Community, id int64) error {
	return s.store.InTx(ctx, func(tx openboards.Tx) error {
		return tx.DeleteUserGroup(ctx, cm.ID, id)
	})
}

// AddUserGroupMembers adds teammates to a user group.
func (s *Service) AddUserGroupMembers(ctx context.Context, cm *openboards.Community, groupID int64, ids []string) error {
	if len(ids) == 0 {
		return openboards.Errorf(openboards.CodeInvalid, "teammateIds: give at least one teammate id")
	}
	return s.store.InTx(ctx, func(tx openboards.Tx) error {
		if _, err := tx.FindUserGroupByID(ctx, cm.ID, groupID); err != nil {
			return err
		}
		return addMembers(ctx, tx, cm.ID, groupID, "teammateIds", ids)
	})
}

func addMembers(ctx context.Context, tx openboards.Tx, communityID, groupID int64, field string, ids []string) error {
	if len(ids) > 1000 {
		return openboards.Errorf(openboards.CodeInvalid, "%s: more than 1000 teammates", field)
	}
	out := make([]string, 0, len(ids))
	for i, id := range ids {
		u, err := teammate(ctx, tx, communityID, field+"["+strconv.Itoa(i)+"]", openboards.UserRef{ID: id})
		if err != nil {
			return err
		}
		out = append(out, u.ID)
	}
	return tx.AddUserGroupMembers(ctx, communityID, groupID, out)
}

// RemoveUserGroupMember takes a teammate out of a user group.
func (s *Service) RemoveUserGroupMember(ctx context.Context, cm *openboards.Community, groupID int64, userID string) error {
	return s.store.InTx(ctx, func(tx openboards.Tx) error {
		return tx.RemoveUserGroupMember(ctx, cm.ID, groupID, strings.ToLower(userID))
	})
}

var timeOfDay = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$`)

func checkTimes(field string, times []openboards.ScheduleTime) error {
	if len(times) > 48 {
		return openboards.Errorf(openboards.CodeInvalid, "%s: more than 48 ranges", field)
	}
	for i, t := range times {
		if !timeOfDay.MatchString(t.StartAt) {
			return openboards.Errorf(openboards.CodeInvalid, "%s[%d].startAt: %q is not a time of day hh:mm:ss", field, i, t.StartAt)
		}
		if !timeOfDay.MatchString(t.EndAt) {
			return openboards.Errorf(openboards.CodeInvalid, "%s[%d].endAt: %q is not a time of day hh:mm:ss", field, i, t.EndAt)
		}
		if t.EndAt <= t.StartAt {
			return openboards.Errorf(openboards.CodeInvalid, "%s[%d].endAt: must be after startAt", field, i)
		}
	}
	return nil
}

// PutWidgetSchedule validates a schedule and stores it: on a new widget
// when WidgetID is 0, else replacing the widget's schedule. Period 1 (every
// day) and 2 (weekdays) use Times; period 3 uses CustomTimes.
func (s *Service) PutWidgetSchedule(ctx context.Context, cm *openboards.Community, ws *openboards.WidgetSchedule) error {
	ws.CommunityID = cm.ID
	switch ws.TimePeriod {
	case openboards.PeriodEveryDay, openboards.PeriodWeekdays:
		if len(ws.Times) == 0 {
			return openboards.Errorf(openboards.CodeInvalid, "times: required when timePeriod is %d", ws.TimePeriod)
		}
		if err := checkTimes("times", ws.Times); err != nil {
			return err
		}
		ws.CustomTimes = nil
	case openboards.PeriodCustom:
		if ws.CustomTimes == nil {
			return openboards.Errorf(openboards.CodeInvalid, "customTimes: required when timePeriod is 3")
		}
		for _, d := range ws.CustomTimes.Days() {
			if err := checkTimes("customTimes."+d.Name, d.Times); err != nil {
				return err
			}
		}
		ws.Times = nil
	default:
		return openboards.Errorf(openboards.CodeInvalid, "timePeriod: must be 1 (every day), 2 (weekdays) or 3 (custom)")
	}
	return s.store.InTx(ctx, func(tx openboards.Tx) error {
		return tx.PutWidgetSchedule(ctx, ws)
	})
}

// DeleteWidgetSchedule removes a widget and its schedule.
func (s *Service) DeleteWidgetSchedule(ctx context.Context, cm *openboards.Community, widgetID int64) error {
	return s.store.InTx(ctx, func(tx openboards.Tx) error {
		return tx.DeleteWidgetSchedule(ctx, cm.ID, widgetID)
	})
}
