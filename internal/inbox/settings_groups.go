package inbox

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"openboards/internal/community"
)

// User groups: each with its members, renamed and given members through
// one form; creating and deleting groups.

type setupGroupsData struct {
	Action string
	CSRF   string
	Groups []setupGroupView
	New    setupGroupForm
	Open   bool // the create form failed
}

type setupGroupView struct {
	ID      int64
	Name    string
	Members []string
	Form    setupGroupForm
	Open    bool
	Action  string
}

type setupGroupForm struct {
	Name      string
	Teammates []setupOption // checked when a member
}

func (h *Handler) setupGroupsData(r *http.Request, in *community.SignedIn, kept *setupKept) (*setupGroupsData, error) {
	ctx, cid := r.Context(), in.Community.ID
	team, err := h.store.FindTeammates(ctx, cid, nil)
	if err != nil {
		return nil, err
	}
	groups, err := h.store.FindUserGroups(ctx, cid)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, u := range team {
		names[u.ID] = u.Name
	}
	choices := func(members []string) []setupOption {
		out := make([]setupOption, len(team))
		for i, u := range team {
			out[i] = setupOption{Value: u.ID, Label: u.Name, Selected: slices.ContainsFunc(members, func(m string) bool { return strings.EqualFold(m, u.ID) })}
		}
		return out
	}
	base := h.setupURL(in, setupGroups)
	d := &setupGroupsData{Action: base, CSRF: in.Session.CSRF, Open: kept.is("new")}
	d.New = setupGroupForm{Teammates: choices(nil)}
	if d.Open {
		d.New = setupGroupForm{Name: kept.values.Get("name"), Teammates: choices(kept.values["member"])}
	}
	for _, g := range groups {
		ids, err := h.store.FindUserGroupMemberIDs(ctx, cid, g.ID)
		if err != nil {
			return nil, err
		}
		id := strconv.FormatInt(g.ID, 10)
		v := setupGroupView{ID: g.ID, Name: g.Name, Action: base + "/" + id, Open: kept.is(id) || kept.is("delete-"+id)}
		for _, m := range ids {
			if n, ok := names[m]; ok {
				v.Members = append(v.Members, n)
			}
		}
		slices.Sort(v.Members)
		v.Form = setupGroupForm{Name: g.Name, Teammates: choices(ids)}
		if kept.is(id) {
			v.Form = setupGroupForm{Name: kept.values.Get("name"), Teammates: choices(kept.values["member"])}
		}
		d.Groups = append(d.Groups, v)
	}
	return d, nil
}

func (h *Handler) handleSetupGroupCreate(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	v := r.PostForm
	_, err := h.tickets.CreateUserGroup(r.Context(), setupActor(in), v.Get("name"), v["member"])
	return h.setupDone(w, r, in, setupGroups, err, "created", setupAgain(h.setupGroupsData, r, in, "new", v))
}

// handleSetupGroupUpdate renames a group and sets its members to exactly
// the teammates ticked.
func (h *Handler) handleSetupGroupUpdate(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	id, err := setupID(r)
	if err != nil {
		return err
	}
	v := r.PostForm
	name, members := v.Get("name"), v["member"]
	if members == nil {
		members = []string{}
	}
	err = h.tickets.UpdateUserGroup(r.Context(), setupActor(in), id, &name, &members)
	return h.setupDone(w, r, in, setupGroups, err, "updated", setupAgain(h.setupGroupsData, r, in, strconv.FormatInt(id, 10), v))
}

func (h *Handler) handleSetupGroupDelete(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	id, err := setupID(r)
	if err != nil {
		return err
	}
	err = h.tickets.DeleteUserGroup(r.Context(), setupActor(in), id)
	return h.setupDone(w, r, in, setupGroups, err, "deleted", setupAgain(h.setupGroupsData, r, in, "delete-"+strconv.FormatInt(id, 10), r.PostForm))
}
