package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"openboards/internal/openboards"
)

const userColumns = `id, name, email, custom_identifier, image, phone_number, is_bot, status, role, created_at`

// userCols returns userColumns qualified with a table alias, for joins.
func userCols(alias string) string {
	return alias + ".id, " + alias + ".name, " + alias + ".email, " + alias + ".custom_identifier, " + alias + ".image, " +
		alias + ".phone_number, " + alias + ".is_bot, " + alias + ".status, " + alias + ".role, " + alias + ".created_at"
}

// userScan holds the scan targets of one user, nullable throughout so that
// it also serves LEFT JOINs.
type userScan struct {
	id, name, email, ci, image, phone, status, role sql.NullString
	isBot                                           sql.NullBool
	created                                         sql.NullInt64
}

func (u *userScan) dest() []any {
	return []any{&u.id, &u.name, &u.email, &u.ci, &u.image, &u.phone, &u.isBot, &u.status, &u.role, &u.created}
}

// user returns the scanned user, nil when the join found none.
func (u *userScan) user(communityID int64) *openboards.User {
	if !u.id.Valid {
		return nil
	}
	return &openboards.User{
		ID:               u.id.String,
		CommunityID:      communityID,
		Name:             u.name.String,
		Email:            nullString(u.email),
		CustomIdentifier: nullString(u.ci),
		Image:            nullString(u.image),
		PhoneNumber:      nullString(u.phone),
		IsBot:            u.isBot.Bool,
		Status:           openboards.UserStatus(u.status.String),
		Role:             openboards.Role(u.role.String),
		CreatedAt:        fromNanos(u.created.Int64),
	}
}

func (c *Conn) findUser(ctx context.Context, communityID int64, where string, arg any, notFound string, args ...any) (*openboards.User, error) {
	var s userScan
	err := c.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE community_id = ? AND `+where, communityID, arg).Scan(s.dest()...)
	if err != nil {
		return nil, c.interpret(err, "find user", notFound, args...)
	}
	return s.user(communityID), nil
}

// FindUserByID returns the user with the given GUID.
func (c *Conn) FindUserByID(ctx context.Context, communityID int64, id string) (*openboards.User, error) {
	return c.findUser(ctx, communityID, "id = ?", id, "user %q not found", id)
}

// FindUserByEmail returns the user with the given e-mail, matched without
// regard to case.
func (c *Conn) FindUserByEmail(ctx context.Context, communityID int64, email string) (*openboards.User, error) {
	if u, ok := c.aheadUser(communityID, "email", openboards.NormalizeEmail(email)); ok {
		return aheadFound(u, "no user has e-mail %q", email)
	}
	return c.findUser(ctx, communityID, "email_key = ?", openboards.NormalizeEmail(email), "no user has e-mail %q", email)
}

// FindUserByCustomIdentifier returns the user with the given custom identifier.
func (c *Conn) FindUserByCustomIdentifier(ctx context.Context, communityID int64, ci string) (*openboards.User, error) {
	ci = openboards.NormalizeCustomIdentifier(ci)
	if u, ok := c.aheadUser(communityID, "ci", ci); ok {
		return aheadFound(u, "no user has custom identifier %q", ci)
	}
	return c.findUser(ctx, communityID, "custom_identifier = ?", ci, "no user has custom identifier %q", ci)
}

// FindUsersByIDs returns the users with the given ids, in input order,
// skipping ids that are not users of the community.
func (c *Conn) FindUsersByIDs(ctx context.Context, communityID int64, ids []string) ([]openboards.User, error) {
	if len(ids) == 0 {
		return []openboards.User{}, nil
	}
	list, _ := json.Marshal(ids)
	rows, err := c.query(ctx, `SELECT `+userColumns+` FROM users WHERE community_id = ? AND id IN (`+c.d.TextList+`)`, communityID, string(list))
	if err != nil {
		return nil, c.interpret(err, "find users", "")
	}
	defer rows.Close()
	byID := make(map[string]*openboards.User, len(ids))
	for rows.Next() {
		var s userScan
		if err := rows.Scan(s.dest()...); err != nil {
			return nil, c.interpret(err, "find users", "")
		}
		byID[s.id.String] = s.user(communityID)
	}
	if err := rows.Err(); err != nil {
		return nil, c.interpret(err, "find users", "")
	}
	out := make([]openboards.User, 0, len(ids))
	for _, id := range ids {
		if u, ok := byID[id]; ok {
			out = append(out, *u)
		}
	}
	return out, nil
}

// FindTeammates lists a community's teammates ordered by name.
func (c *Conn) FindTeammates(ctx context.Context, communityID int64, groupID *int64) ([]*openboards.User, error) {
	var rows *sql.Rows
	var err error
	if groupID == nil {
		rows, err = c.query(ctx, `SELECT `+userColumns+` FROM users WHERE community_id = ? AND status = 'team' ORDER BY name, id`, communityID)
	} else {
		rows, err = c.query(ctx, `SELECT `+userCols("u")+` FROM users u JOIN user_group_members m ON m.user_id = u.id
			WHERE u.community_id = ? AND u.status = 'team' AND m.group_id = ? ORDER BY u.name, u.id`, communityID, *groupID)
	}
	if err != nil {
		return nil, c.interpret(err, "find teammates", "")
	}
	defer rows.Close()
	out := []*openboards.User{}
	for rows.Next() {
		var s userScan
		if err := rows.Scan(s.dest()...); err != nil {
			return nil, c.interpret(err, "find teammates", "")
		}
		out = append(out, s.user(communityID))
	}
	return out, c.interpret(rows.Err(), "find teammates", "")
}

func emailKey(email *string) any {
	if email == nil || *email == "" {
		return nil
	}
	return openboards.NormalizeEmail(*email)
}

// userConflict names the key a unique violation on users is about: the
// drivers name the violated index (users_email) or its columns
// (users.email_key) in the message.
func userConflict(err, cause error, u *openboards.User) error {
	if openboards.ErrorCode(err) != openboards.CodeConflict || cause == nil {
		return err
	}
	switch msg := cause.Error(); {
	case strings.Contains(msg, "email") && u.Email != nil:
		return openboards.Errorf(openboards.CodeConflict, "email: a user with e-mail %q already exists", *u.Email)
	case strings.Contains(msg, "custom_identifier"):
		return openboards.Errorf(openboards.CodeConflict, "customIdentifier: a user with this custom identifier already exists")
	}
	return openboards.Errorf(openboards.CodeConflict, "id: a user with id %s already exists", u.ID)
}

// CreateUser stores a new user; u.ID must be set.
func (c *Tx) CreateUser(ctx context.Context, u *openboards.User) error {
	_, err := c.exec(ctx, `INSERT INTO users (id, community_id, name, email, email_key, custom_identifier, image, phone_number, is_bot, status, role, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.CommunityID, u.Name, u.Email, emailKey(u.Email), u.CustomIdentifier, u.Image, u.PhoneNumber,
		u.IsBot, string(u.Status), nullRole(u.Role), nanos(u.CreatedAt))
	return userConflict(c.interpret(err, "create user", ""), err, u)
}

// CreateUserUnlessTaken stores u unless its e-mail address or custom
// identifier is already taken in its community, and reports whether it
// did. A concurrent transaction that took either is waited for, and no
// error leaves the transaction unusable.
func (c *Tx) CreateUserUnlessTaken(ctx context.Context, u *openboards.User) (bool, error) {
	res, err := c.exec(ctx, `INSERT INTO users (id, community_id, name, email, email_key, custom_identifier, image, phone_number, is_bot, status, role, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		u.ID, u.CommunityID, u.Name, u.Email, emailKey(u.Email), u.CustomIdentifier, u.Image, u.PhoneNumber,
		u.IsBot, string(u.Status), nullRole(u.Role), nanos(u.CreatedAt))
	if err != nil {
		return false, c.interpret(err, "create user", "")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, c.interpret(err, "create user", "")
	}
	return n == 1, nil
}

// UpdateUser stores every field of u.
func (c *Tx) UpdateUser(ctx context.Context, u *openboards.User) error {
	res, err := c.exec(ctx, `UPDATE users SET name = ?, email = ?, email_key = ?, custom_identifier = ?, image = ?, phone_number = ?,
		is_bot = ?, status = ?, role = ? WHERE community_id = ? AND id = ?`,
		u.Name, u.Email, emailKey(u.Email), u.CustomIdentifier, u.Image, u.PhoneNumber, u.IsBot, string(u.Status), nullRole(u.Role),
		u.CommunityID, u.ID)
	return userConflict(c.interpret(affected(res, err, "user %q not found", u.ID), "update user", ""), err, u)
}

// RemoveTeammate demotes teammate id to a user without access. The user
// row stays: tickets, replies, notes and log entries refer to it.
func (c *Tx) RemoveTeammate(ctx context.Context, communityID int64, id string) error {
	res, err := c.exec(ctx, `UPDATE users SET status = 'client', role = NULL WHERE community_id = ? AND id = ? AND status = 'team'`, communityID, id)
	if err := affected(res, err, "teammate %q not found", id); err != nil {
		return c.interpret(err, "remove teammate", "")
	}
	for _, q := range []string{
		`DELETE FROM sessions WHERE user_id = ?`,
		`DELETE FROM user_passwords WHERE user_id = ?`,
		`DELETE FROM user_group_members WHERE user_id = ?`,
	} {
		if _, err := c.exec(ctx, q, id); err != nil {
			return c.interpret(err, "remove teammate", "")
		}
	}
	return nil
}

func nullRole(r openboards.Role) any {
	if r == "" {
		return nil
	}
	return string(r)
}

// FindUserGroupByID returns the user group with the given id.
func (c *Conn) FindUserGroupByID(ctx context.Context, communityID, id int64) (*openboards.UserGroup, error) {
	g := openboards.UserGroup{CommunityID: communityID}
	var created int64
	err := c.queryRow(ctx, `SELECT id, name, created_at FROM user_groups WHERE community_id = ? AND id = ?`, communityID, id).Scan(&g.ID, &g.Name, &created)
	if err != nil {
		return nil, c.interpret(err, "find user group", "user group %d not found", id)
	}
	g.CreatedAt = fromNanos(created)
	return &g, nil
}

// FindUserGroups lists a community's user groups by name.
func (c *Conn) FindUserGroups(ctx context.Context, communityID int64) ([]*openboards.UserGroup, error) {
	rows, err := c.query(ctx, `SELECT id, name, created_at FROM user_groups WHERE community_id = ? ORDER BY name_key, id`, communityID)
	if err != nil {
		return nil, c.interpret(err, "find user groups", "")
	}
	defer rows.Close()
	out := []*openboards.UserGroup{}
	for rows.Next() {
		g := openboards.UserGroup{CommunityID: communityID}
		var created int64
		if err := rows.Scan(&g.ID, &g.Name, &created); err != nil {
			return nil, c.interpret(err, "find user groups", "")
		}
		g.CreatedAt = fromNanos(created)
		out = append(out, &g)
	}
	return out, c.interpret(rows.Err(), "find user groups", "")
}

// FindUserGroupMemberIDs lists the ids of a group's members.
func (c *Conn) FindUserGroupMemberIDs(ctx context.Context, communityID, groupID int64) ([]string, error) {
	rows, err := c.query(ctx, `SELECT m.user_id FROM user_group_members m JOIN user_groups g ON g.id = m.group_id
		WHERE g.community_id = ? AND g.id = ? ORDER BY m.user_id`, communityID, groupID)
	if err != nil {
		return nil, c.interpret(err, "find group members", "")
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, c.interpret(err, "find group members", "")
		}
		out = append(out, id)
	}
	return out, c.interpret(rows.Err(), "find group members", "")
}

func groupConflict(err error, name string) error {
	if openboards.ErrorCode(err) == openboards.CodeConflict {
		return openboards.Errorf(openboards.CodeConflict, "name: a user group named %q already exists", name)
	}
	return err
}

// CreateUserGroup stores a new group and sets its ID.
func (c *Tx) CreateUserGroup(ctx context.Context, g *openboards.UserGroup) error {
	err := c.queryRow(ctx, `INSERT INTO user_groups (community_id, name, name_key, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		g.CommunityID, g.Name, openboards.NormalizeEmail(g.Name), nanos(g.CreatedAt)).Scan(&g.ID)
	return groupConflict(c.interpret(err, "create user group", ""), g.Name)
}

// UpdateUserGroup renames a group.
func (c *Tx) UpdateUserGroup(ctx context.Context, g *openboards.UserGroup) error {
	res, err := c.exec(ctx, `UPDATE user_groups SET name = ?, name_key = ? WHERE community_id = ? AND id = ?`,
		g.Name, openboards.NormalizeEmail(g.Name), g.CommunityID, g.ID)
	return groupConflict(c.interpret(affected(res, err, "user group %d not found", g.ID), "update user group", ""), g.Name)
}

// DeleteUserGroup removes a group and its memberships.
func (c *Tx) DeleteUserGroup(ctx context.Context, communityID, id int64) error {
	res, err := c.exec(ctx, `DELETE FROM user_groups WHERE community_id = ? AND id = ?`, communityID, id)
	return c.interpret(affected(res, err, "user group %d not found", id), "delete user group", "")
}

// AddUserGroupMembers adds users to a group; existing members stay.
func (c *Tx) AddUserGroupMembers(ctx context.Context, communityID, groupID int64, userIDs []string) error {
	if _, err := c.FindUserGroupByID(ctx, communityID, groupID); err != nil {
		return err
	}
	for _, id := range userIDs {
		// Only users of the group's own community can join it.
		res, err := c.exec(ctx, `INSERT INTO user_group_members (group_id, user_id)
			SELECT g.id, u.id FROM user_groups g JOIN users u ON u.community_id = g.community_id
			WHERE g.community_id = ? AND g.id = ? AND u.id = ? ON CONFLICT DO NOTHING`, communityID, groupID, id)
		if err != nil {
			return c.interpret(err, "add group member", "")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := c.FindUserByID(ctx, communityID, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// RemoveUserGroupMember removes one user from a group.
func (c *Tx) RemoveUserGroupMember(ctx context.Context, communityID, groupID int64, userID string) error {
	res, err := c.exec(ctx, `DELETE FROM user_group_members WHERE group_id = (SELECT id FROM user_groups WHERE community_id = ? AND id = ?) AND user_id = ?`,
		communityID, groupID, userID)
	return c.interpret(affected(res, err, "user %q is not a member of user group %d", userID, groupID), "remove group member", "")
}
