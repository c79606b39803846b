package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"openboards/internal/openboards"
)

const categoryColumns = `id, parent_id, name, auto_archive, can_be_chosen, is_hidden, is_muted`

func scanCategory(r interface{ Scan(...any) error }, communityID int64) (*openboards.Category, error) {
	cat := openboards.Category{CommunityID: communityID}
	var parent sql.NullInt64
	if err := r.Scan(&cat.ID, &parent, &cat.Name, &cat.AutoArchive, &cat.CanBeChosen, &cat.IsHidden, &cat.IsMuted); err != nil {
		return nil, err
	}
	cat.ParentID = nullInt(parent)
	return &cat, nil
}

// FindCategoryByID returns one category without its children.
func (c *Conn) FindCategoryByID(ctx context.Context, communityID, id int64) (*openboards.Category, error) {
	cat, err := scanCategory(c.queryRow(ctx, `SELECT `+categoryColumns+` FROM categories WHERE community_id = ? AND id = ?`, communityID, id), communityID)
	return cat, c.interpret(err, "find category", "category %d not found", id)
}

// FindCategories lists every category of a community by id.
func (c *Conn) FindCategories(ctx context.Context, communityID int64) ([]*openboards.Category, error) {
	rows, err := c.query(ctx, `SELECT `+categoryColumns+` FROM categories WHERE community_id = ? ORDER BY id`, communityID)
	if err != nil {
		return nil, c.interpret(err, "find categories", "")
	}
	defer rows.Close()
	out := []*openboards.Category{}
	for rows.Next() {
		cat, err := scanCategory(rows, communityID)
		if err != nil {
			return nil, c.interpret(err, "find categories", "")
		}
		out = append(out, cat)
	}
	return out, c.interpret(rows.Err(), "find categories", "")
}

// CountCategoryChildren counts a category's direct subcategories.
func (c *Conn) CountCategoryChildren(ctx context.Context, communityID, id int64) (int, error) {
	var n int
	err := c.queryRow(ctx, `SELECT COUNT(*) FROM categories WHERE community_id = ? AND parent_id = ?`, communityID, id).Scan(&n)
	return n, c.interpret(err, "count subcategories", "")
}

// LockCategoryTree does nothing: where writers are serialised (SQLite's
// single writer) category-tree changes take turns anyway. A backend with
// concurrent writers replaces it with a lock of the community's row.
func (c *Tx) LockCategoryTree(ctx context.Context, communityID int64) error {
	return nil
}

// CreateCategory stores a new category and sets its ID.
func (c *Tx) CreateCategory(ctx context.Context, cat *openboards.Category) error {
	err := c.queryRow(ctx, `INSERT INTO categories (community_id, parent_id, name, auto_archive, can_be_chosen, is_hidden, is_muted)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		cat.CommunityID, cat.ParentID, cat.Name, cat.AutoArchive, cat.CanBeChosen, cat.IsHidden, cat.IsMuted).Scan(&cat.ID)
	return c.interpret(err, "create category", "")
}

// UpdateCategory stores every field of cat.
func (c *Tx) UpdateCategory(ctx context.Context, cat *openboards.Category) error {
	res, err := c.exec(ctx, `UPDATE categories SET parent_id = ?, name = ?, auto_archive = ?, can_be_chosen = ?, is_hidden = ?, is_muted = ?
		WHERE community_id = ? AND id = ?`,
		cat.ParentID, cat.Name, cat.AutoArchive, cat.CanBeChosen, cat.IsHidden, cat.IsMuted, cat.CommunityID, cat.ID)
	return c.interpret(affected(res, err, "category %d not found", cat.ID), "update category", "")
}

// DeleteCategory removes a category; its tickets become uncategorised.
func (c *Tx) DeleteCategory(ctx context.Context, communityID, id int64) error {
	if _, err := c.exec(ctx, `UPDATE tickets SET category_id = NULL WHERE community_id = ? AND category_id = ?`, communityID, id); err != nil {
		return c.interpret(err, "delete category", "")
	}
	res, err := c.exec(ctx, `DELETE FROM categories WHERE community_id = ? AND id = ?`, communityID, id)
	return c.interpret(affected(res, err, "category %d not found", id), "delete category", "")
}

const customFieldColumns = `id, name, type, sort_order, placeholder, default_value, is_hidden, is_required, is_sensitive_data, possible_values, assigned_category_ids`

func scanCustomField(r interface{ Scan(...any) error }, communityID int64) (*openboards.CustomField, error) {
	f := openboards.CustomField{CommunityID: communityID}
	var placeholder, def sql.NullString
	var pv, cats string
	if err := r.Scan(&f.ID, &f.Name, &f.Type, &f.Order, &placeholder, &def, &f.IsHidden, &f.IsRequired, &f.IsSensitiveData, &pv, &cats); err != nil {
		return nil, err
	}
	f.Placeholder, f.DefaultValue = nullString(placeholder), nullString(def)
	f.PossibleValues = []openboards.PossibleValue{}
	f.AssignedCategoryIDs = []int64{}
	if err := fromJSON(pv, &f.PossibleValues); err != nil {
		return nil, err
	}
	if err := fromJSON(cats, &f.AssignedCategoryIDs); err != nil {
		return nil, err
	}
	return &f, nil
}

// FindCustomFieldByID returns one custom field.
func (c *Conn) FindCustomFieldByID(ctx context.Context, communityID, id int64) (*openboards.CustomField, error) {
	f, err := scanCustomField(c.queryRow(ctx, `SELECT `+customFieldColumns+` FROM custom_fields WHERE community_id = ? AND id = ?`, communityID, id), communityID)
	return f, c.interpret(err, "find custom field", "custom field %d not found", id)
}

// FindCustomFields lists a community's custom fields by order, then id.
func (c *Conn) FindCustomFields(ctx context.Context, communityID int64) ([]*openboards.CustomField, error) {
	if f, ok := c.aheadFields(communityID); ok {
		return f, nil
	}
	rows, err := c.query(ctx, `SELECT `+customFieldColumns+` FROM custom_fields WHERE community_id = ? ORDER BY sort_order, id`, communityID)
	if err != nil {
		return nil, c.interpret(err, "find custom fields", "")
	}
	defer rows.Close()
	out := []*openboards.CustomField{}
	for rows.Next() {
		f, err := scanCustomField(rows, communityID)
		if err != nil {
			return nil, c.interpret(err, "find custom fields", "")
		}
		out = append(out, f)
	}
	return out, c.interpret(rows.Err(), "find custom fields", "")
}

// CreateCustomField stores a new custom field and sets its ID.
func (c *Tx) CreateCustomField(ctx context.Context, f *openboards.CustomField) error {
	err := c.queryRow(ctx, `INSERT INTO custom_fields (community_id, name, type, sort_order, placeholder, default_value, is_hidden, is_required,
		is_sensitive_data, possible_values, assigned_category_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		f.CommunityID, f.Name, f.Type, f.Order, f.Placeholder, f.DefaultValue, f.IsHidden, f.IsRequired, f.IsSensitiveData,
		jsonText(f.PossibleValues), jsonText(f.AssignedCategoryIDs)).Scan(&f.ID)
	return c.interpret(err, "create custom field", "")
}

// UpdateCustomField stores every field of f.
func (c *Tx) UpdateCustomField(ctx context.Context, f *openboards.CustomField) error {
	res, err := c.exec(ctx, `UPDATE custom_fields SET name = ?, type = ?, sort_order = ?, placeholder = ?, default_value = ?, is_hidden = ?,
		is_required = ?, is_sensitive_data = ?, possible_values = ?, assigned_category_ids = ? WHERE community_id = ? AND id = ?`,
		f.Name, f.Type, f.Order, f.Placeholder, f.DefaultValue, f.IsHidden, f.IsRequired, f.IsSensitiveData,
		jsonText(f.PossibleValues), jsonText(f.AssignedCategoryIDs), f.CommunityID, f.ID)
	return c.interpret(affected(res, err, "custom field %d not found", f.ID), "update custom field", "")
}

// DeleteCustomField removes a custom field and its values on tickets.
func (c *Tx) DeleteCustomField(ctx context.Context, communityID, id int64) error {
	res, err := c.exec(ctx, `DELETE FROM custom_fields WHERE community_id = ? AND id = ?`, communityID, id)
	return c.interpret(affected(res, err, "custom field %d not found", id), "delete custom field", "")
}

// FindTags lists a community's tags by name.
func (c *Conn) FindTags(ctx context.Context, communityID int64) ([]*openboards.Tag, error) {
	rows, err := c.query(ctx, `SELECT id, name FROM tags WHERE community_id = ? ORDER BY name_key, id`, communityID)
	if err != nil {
		return nil, c.interpret(err, "find tags", "")
	}
	defer rows.Close()
	out := []*openboards.Tag{}
	for rows.Next() {
		t := openboards.Tag{CommunityID: communityID}
		if err := rows.Scan(&t.ID, &t.Name); err != nil {
			return nil, c.interpret(err, "find tags", "")
		}
		out = append(out, &t)
	}
	return out, c.interpret(rows.Err(), "find tags", "")
}

// UpsertTags returns the tags with the given names, creating missing ones.
// Existing tags are only read, so reusing a tag writes nothing.
func (c *Tx) UpsertTags(ctx context.Context, communityID int64, names []string) ([]openboards.Tag, error) {
	if tags, ok := c.aheadTags(communityID, names); ok {
		return tags, nil
	}
	out := make([]openboards.Tag, 0, len(names))
	for _, name := range names {
		t := openboards.Tag{CommunityID: communityID}
		key := openboards.NormalizeEmail(name)
		err := c.queryRow(ctx, `SELECT id, name FROM tags WHERE community_id = ? AND name_key = ?`, communityID, key).Scan(&t.ID, &t.Name)
		if errors.Is(err, sql.ErrNoRows) {
			err = c.queryRow(ctx, `INSERT INTO tags (community_id, name, name_key) VALUES (?, ?, ?) RETURNING id, name`,
				communityID, name, key).Scan(&t.ID, &t.Name)
		}
		if err != nil {
			return nil, c.interpret(err, "upsert tag", "")
		}
		out = append(out, t)
	}
	return out, nil
}

// FindWidgetSchedules lists a community's widget schedules by widget id.
func (c *Conn) FindWidgetSchedules(ctx context.Context, communityID int64, widgetID *int64) ([]*openboards.WidgetSchedule, error) {
	var rows *sql.Rows
	var err error
	if widgetID == nil {
		rows, err = c.query(ctx, `SELECT id, time_period, times, custom_times FROM widgets WHERE community_id = ? ORDER BY id`, communityID)
	} else {
		rows, err = c.query(ctx, `SELECT id, time_period, times, custom_times FROM widgets WHERE community_id = ? AND id = ?`, communityID, *widgetID)
	}
	if err != nil {
		return nil, c.interpret(err, "find widget schedules", "")
	}
	defer rows.Close()
	out := []*openboards.WidgetSchedule{}
	for rows.Next() {
		s := openboards.WidgetSchedule{CommunityID: communityID}
		var times, custom sql.NullString
		if err := rows.Scan(&s.WidgetID, &s.TimePeriod, &times, &custom); err != nil {
			return nil, c.interpret(err, "find widget schedules", "")
		}
		if times.Valid {
			if err := json.Unmarshal([]byte(times.String), &s.Times); err != nil {
				return nil, c.interpret(err, "find widget schedules", "")
			}
		}
		if custom.Valid {
			s.CustomTimes = &openboards.CustomTimes{}
			if err := json.Unmarshal([]byte(custom.String), s.CustomTimes); err != nil {
				return nil, c.interpret(err, "find widget schedules", "")
			}
		}
		out = append(out, &s)
	}
	return out, c.interpret(rows.Err(), "find widget schedules", "")
}

// PutWidgetSchedule creates a widget (WidgetID 0) or replaces its schedule.
func (c *Tx) PutWidgetSchedule(ctx context.Context, s *openboards.WidgetSchedule) error {
	var times, custom any
	if s.Times != nil {
		times = jsonText(s.Times)
	}
	if s.CustomTimes != nil {
		b, err := json.Marshal(s.CustomTimes)
		if err != nil {
			return err
		}
		custom = string(b)
	}
	if s.WidgetID == 0 {
		err := c.queryRow(ctx, `INSERT INTO widgets (community_id, time_period, times, custom_times) VALUES (?, ?, ?, ?) RETURNING id`,
			s.CommunityID, s.TimePeriod, times, custom).Scan(&s.WidgetID)
		return c.interpret(err, "create widget", "")
	}
	res, err := c.exec(ctx, `UPDATE widgets SET time_period = ?, times = ?, custom_times = ? WHERE community_id = ? AND id = ?`,
		s.TimePeriod, times, custom, s.CommunityID, s.WidgetID)
	return c.interpret(affected(res, err, "widget %d not found", s.WidgetID), "update widget schedule", "")
}

// DeleteWidgetSchedule removes a widget and its schedule.
func (c *Tx) DeleteWidgetSchedule(ctx context.Context, communityID, widgetID int64) error {
	res, err := c.exec(ctx, `DELETE FROM widgets WHERE community_id = ? AND id = ?`, communityID, widgetID)
	return c.interpret(affected(res, err, "widget %d not found", widgetID), "delete widget", "")
}

// FindWidgetSettings returns a widget's settings, or its defaults.
func (c *Conn) FindWidgetSettings(ctx context.Context, communityID, widgetID int64) (*openboards.WidgetSettings, error) {
	var name, greeting, color, offline, origins, secret, zone sql.NullString
	var askName, askEmail, require sql.NullBool
	var updated sql.NullInt64
	err := c.queryRow(ctx, `SELECT s.name, s.greeting, s.color, s.offline_text, s.ask_name, s.ask_email, s.allowed_origins,
			s.identity_secret, s.require_verification, s.updated_at, s.time_zone
		FROM widgets w LEFT JOIN widget_settings s ON s.widget_id = w.id
		WHERE w.community_id = ? AND w.id = ?`, communityID, widgetID).
		Scan(&name, &greeting, &color, &offline, &askName, &askEmail, &origins, &secret, &require, &updated, &zone)
	if err != nil {
		return nil, c.interpret(err, "find widget settings", "widget %d not found", widgetID)
	}
	s := openboards.DefaultWidgetSettings(communityID, widgetID)
	if !name.Valid {
		return s, nil
	}
	s.Name, s.Greeting, s.Color, s.OfflineText = name.String, greeting.String, color.String, offline.String
	s.AskName, s.AskEmail, s.RequireVerification = askName.Bool, askEmail.Bool, require.Bool
	s.IdentitySecret, s.UpdatedAt, s.TimeZone = secret.String, fromNanos(updated.Int64), zone.String
	if err := json.Unmarshal([]byte(origins.String), &s.AllowedOrigins); err != nil {
		return nil, c.interpret(err, "find widget settings", "")
	}
	return s, nil
}

// PutWidgetSettings stores a widget's settings.
func (c *Tx) PutWidgetSettings(ctx context.Context, s *openboards.WidgetSettings) error {
	var exists int64
	err := c.queryRow(ctx, `SELECT id FROM widgets WHERE community_id = ? AND id = ?`, s.CommunityID, s.WidgetID).Scan(&exists)
	if err != nil {
		return c.interpret(err, "put widget settings", "widget %d not found", s.WidgetID)
	}
	origins := s.AllowedOrigins
	if origins == nil {
		origins = []string{}
	}
	_, err = c.exec(ctx, `INSERT INTO widget_settings (widget_id, community_id, name, greeting, color, offline_text, ask_name, ask_email,
			allowed_origins, identity_secret, require_verification, updated_at, time_zone) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (widget_id) DO UPDATE SET name = excluded.name, greeting = excluded.greeting, color = excluded.color,
			offline_text = excluded.offline_text, ask_name = excluded.ask_name, ask_email = excluded.ask_email,
			allowed_origins = excluded.allowed_origins, identity_secret = excluded.identity_secret,
			require_verification = excluded.require_verification, updated_at = excluded.updated_at, time_zone = excluded.time_zone`,
		s.WidgetID, s.CommunityID, s.Name, s.Greeting, s.Color, s.OfflineText, s.AskName, s.AskEmail,
		jsonText(origins), s.IdentitySecret, s.RequireVerification, nanos(s.UpdatedAt), s.TimeZone)
	return c.interpret(err, "put widget settings", "")
}

// FindVisitorToken returns the visitor token of hash.
func (c *Conn) FindVisitorToken(ctx context.Context, hash string) (*openboards.VisitorToken, error) {
	t := openboards.VisitorToken{Hash: hash}
	var created int64
	err := c.queryRow(ctx, `SELECT community_id, widget_id, ticket_id, created_at FROM visitor_tokens WHERE token_hash = ?`, hash).
		Scan(&t.CommunityID, &t.WidgetID, &t.TicketID, &created)
	if err != nil {
		return nil, c.interpret(err, "find visitor token", "unknown visitor token")
	}
	t.CreatedAt = fromNanos(created)
	return &t, nil
}

// CreateVisitorToken stores a visitor token.
func (c *Tx) CreateVisitorToken(ctx context.Context, t *openboards.VisitorToken) error {
	_, err := c.exec(ctx, `INSERT INTO visitor_tokens (token_hash, community_id, widget_id, ticket_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		t.Hash, t.CommunityID, t.WidgetID, t.TicketID, nanos(t.CreatedAt))
	return c.interpret(err, "create visitor token", "")
}
