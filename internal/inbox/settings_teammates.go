package inbox

import (
	"net/http"
	"strings"

	"openboards/internal/community"
	"openboards/internal/openboards"
)

// Teammates: the list with roles and groups, adding a teammate, and
// changing a teammate's name and role. Passwords are set with the command
// line and changed on the account page, never here.

type setupTeammatesData struct {
	Action string
	CSRF   string
	Rows   []setupTeammateRow
	New    setupTeammateForm
	Open   bool     // the add form failed
	Groups []string // existing group names, offered in the add form
}

type setupTeammateRow struct {
	ID, Name, Email, Role, Groups string
	Self                          bool
	Editable                      bool // has an e-mail address, the key the service saves by
	Form                          setupTeammateForm
	Open                          bool
	Action                        string
}

type setupTeammateForm struct {
	Email, Name, Group string
	Roles              []setupOption
}

var setupRoleLabels = map[openboards.Role]string{
	openboards.RoleAdmin: "Admin", openboards.RoleTeamMember: "Team member",
	openboards.RoleVendor: "Vendor", openboards.RoleReadOnlyUser: "Read-only",
}

func setupRoleLabel(r openboards.Role) string {
	if l, ok := setupRoleLabels[r]; ok {
		return l
	}
	return string(r)
}

func setupRoleOptions(selected string) []setupOption {
	var out []setupOption
	for _, r := range openboards.Roles {
		out = append(out, setupOption{Value: string(r), Label: setupRoleLabel(r), Selected: strings.EqualFold(string(r), selected)})
	}
	return out
}

func (h *Handler) setupTeammatesData(r *http.Request, in *community.SignedIn, kept *setupKept) (*setupTeammatesData, error) {
	ctx, cid := r.Context(), in.Community.ID
	team, err := h.store.FindTeammates(ctx, cid, nil)
	if err != nil {
		return nil, err
	}
	groups, err := h.store.FindUserGroups(ctx, cid)
	if err != nil {
		return nil, err
	}
	base := h.setupURL(in, setupTeammates)
	d := &setupTeammatesData{Action: base, CSRF: in.Session.CSRF, Open: kept.is("new")}
	memberOf := map[string][]string{}
	for _, g := range groups {
		d.Groups = append(d.Groups, g.Name)
		ids, err := h.store.FindUserGroupMemberIDs(ctx, cid, g.ID)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			memberOf[id] = append(memberOf[id], g.Name)
		}
	}
	for _, u := range team {
		row := setupTeammateRow{ID: u.ID, Name: u.Name, Role: setupRoleLabel(u.Role), Groups: strings.Join(memberOf[u.ID], ", "),
			Self: u.ID == in.User.ID, Editable: u.Email != nil, Open: kept.is(u.ID), Action: base + "/" + u.ID}
		if u.Email != nil {
			row.Email = *u.Email
		}
		row.Form = setupTeammateForm{Name: u.Name, Roles: setupRoleOptions(string(u.Role))}
		if row.Open {
			row.Form = setupTeammateForm{Name: kept.values.Get("name"), Roles: setupRoleOptions(kept.values.Get("role"))}
		}
		d.Rows = append(d.Rows, row)
	}
	d.New.Roles = setupRoleOptions(string(openboards.RoleTeamMember))
	if d.Open {
		d.New = setupTeammateForm{Email: kept.values.Get("email"), Name: kept.values.Get("name"), Group: kept.values.Get("group"),
			Roles: setupRoleOptions(kept.values.Get("role"))}
	}
	return d, nil
}

// handleSetupTeammateAdd adds a teammate, or updates the one with that
// e-mail address, as the service does.
func (h *Handler) handleSetupTeammateAdd(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	v := r.PostForm
	_, err := h.communities.AddTeammate(r.Context(), setupActor(in), community.TeammateInput{
		Email: v.Get("email"), Name: v.Get("name"), Role: v.Get("role"), Group: v.Get("group"),
	})
	return h.setupDone(w, r, in, setupTeammates, err, "added", setupAgain(h.setupTeammatesData, r, in, "new", v))
}

// handleSetupTeammateUpdate changes a teammate's name and role: the
// service saves teammates by e-mail address, so the stored address is used.
func (h *Handler) handleSetupTeammateUpdate(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	id := r.PathValue("id")
	if !openboards.IsGUID(id) {
		return openboards.Errorf(openboards.CodeNotFound, "no teammate %q", id)
	}
	u, err := h.store.FindUserByID(r.Context(), in.Community.ID, strings.ToLower(id))
	if err == nil && u.Status != openboards.StatusTeam {
		err = openboards.Errorf(openboards.CodeNotFound, "no teammate %q", id)
	}
	if err != nil {
		return err
	}
	v := r.PostForm
	switch {
	case u.Email == nil:
		err = openboards.Errorf(openboards.CodeInvalid, "email: %s has no e-mail address, so they cannot be changed here", u.Name)
	case u.ID == in.User.ID && !strings.EqualFold(v.Get("role"), string(openboards.RoleAdmin)):
		// Settings are for admins only: an admin who took away their own
		// role would lock themselves out of this page.
		err = openboards.Errorf(openboards.CodeInvalid, "role: you cannot take away your own admin role; another admin can")
	default:
		_, err = h.communities.AddTeammate(r.Context(), setupActor(in), community.TeammateInput{Email: *u.Email, Name: v.Get("name"), Role: v.Get("role")})
	}
	return h.setupDone(w, r, in, setupTeammates, err, "updated", setupAgain(h.setupTeammatesData, r, in, u.ID, v))
}
