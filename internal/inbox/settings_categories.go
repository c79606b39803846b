package inbox

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"openboards/internal/community"
	"openboards/internal/openboards"
	"openboards/internal/ticket"
)

// The category tree: rename, move, flags and delete each category, and add
// new ones under a chosen parent.

type setupCategoriesData struct {
	Action string
	CSRF   string
	Tree   []*setupCategoryNode
	New    setupCategoryForm
	Open   bool // the add form failed
}

// setupCategoryForm holds the values of a category's form.
type setupCategoryForm struct {
	Name                                        string
	Parent                                      int64 // 0 for none
	CanBeChosen, IsHidden, IsMuted, AutoArchive bool
	Parents                                     []setupOption
}

type setupCategoryNode struct {
	ID       int64
	Name     string
	Badges   []string
	Form     setupCategoryForm
	Open     bool // its edit or delete form failed
	Action   string
	CSRF     string
	Children []*setupCategoryNode
}

// setupCategoryLabels lists the categories of a tree in tree order, each
// labelled with its name indented by its depth.
func setupCategoryLabels(roots []*openboards.Category) []categoryOption {
	var out []categoryOption
	var walk func(cs []*openboards.Category, depth int)
	walk = func(cs []*openboards.Category, depth int) {
		for _, c := range cs {
			out = append(out, categoryOption{ID: c.ID, Label: strings.Repeat("— ", depth) + c.Name})
			walk(c.Children, depth+1)
		}
	}
	walk(roots, 0)
	return out
}

func setupCategoryFormFrom(v url.Values) setupCategoryForm {
	f := setupCategoryForm{Name: v.Get("name"), CanBeChosen: setupChecked(v, "canBeChosen"), IsHidden: setupChecked(v, "isHidden"),
		IsMuted: setupChecked(v, "isMuted"), AutoArchive: setupChecked(v, "autoArchive")}
	f.Parent, _ = strconv.ParseInt(v.Get("parent"), 10, 64)
	return f
}

func (h *Handler) setupCategoriesData(r *http.Request, in *community.SignedIn, kept *setupKept) (*setupCategoriesData, error) {
	all, err := h.store.FindCategories(r.Context(), in.Community.ID)
	if err != nil {
		return nil, err
	}
	roots := openboards.BuildCategoryTree(all)
	flat := setupCategoryLabels(roots)
	parents := func(selected int64, skip map[int64]bool) []setupOption {
		var out []setupOption
		for _, c := range flat {
			if !skip[c.ID] {
				out = append(out, setupOption{Value: strconv.FormatInt(c.ID, 10), Label: c.Label, Selected: c.ID == selected})
			}
		}
		return out
	}
	base := h.setupURL(in, setupCategories)
	d := &setupCategoriesData{Action: base, CSRF: in.Session.CSRF, Open: kept.is("new")}
	if d.Open {
		d.New = setupCategoryFormFrom(kept.values)
	}
	d.New.Parents = parents(d.New.Parent, nil)

	var build func(cs []*openboards.Category) []*setupCategoryNode
	build = func(cs []*openboards.Category) []*setupCategoryNode {
		var out []*setupCategoryNode
		for _, c := range cs {
			id := strconv.FormatInt(c.ID, 10)
			n := &setupCategoryNode{ID: c.ID, Name: c.Name, Action: base + "/" + id, CSRF: in.Session.CSRF,
				Open: kept.is(id) || kept.is("delete-"+id)}
			if !c.CanBeChosen {
				n.Badges = append(n.Badges, "cannot be chosen")
			}
			if c.IsHidden {
				n.Badges = append(n.Badges, "hidden")
			}
			if c.IsMuted {
				n.Badges = append(n.Badges, "muted")
			}
			if c.AutoArchive {
				n.Badges = append(n.Badges, "auto-archive")
			}
			n.Form = setupCategoryForm{Name: c.Name, CanBeChosen: c.CanBeChosen, IsHidden: c.IsHidden, IsMuted: c.IsMuted, AutoArchive: c.AutoArchive}
			if c.ParentID != nil {
				n.Form.Parent = *c.ParentID
			}
			if kept.is(id) {
				n.Form = setupCategoryFormFrom(kept.values)
			}
			// A category cannot move below itself or its subcategories.
			subtree := map[int64]bool{}
			var mark func(c *openboards.Category)
			mark = func(c *openboards.Category) {
				subtree[c.ID] = true
				for _, ch := range c.Children {
					mark(ch)
				}
			}
			mark(c)
			n.Form.Parents = parents(n.Form.Parent, subtree)
			n.Children = build(c.Children)
			out = append(out, n)
		}
		return out
	}
	d.Tree = build(roots)
	return d, nil
}

// setupCategoryInput reads a category form. The flags are read only when
// withFlags: the add form has none, so a new category gets the service's
// defaults.
func setupCategoryInput(v url.Values, withFlags bool) (ticket.CategoryInput, error) {
	name := v.Get("name")
	in := ticket.CategoryInput{Name: &name}
	var parent *int64
	if s := strings.TrimSpace(v.Get("parent")); s != "" && s != "0" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id < 0 {
			return in, openboards.Errorf(openboards.CodeInvalid, "parentId: %q is not a category id", s)
		}
		parent = &id
	}
	in.ParentID = &parent
	if withFlags {
		flags := []bool{setupChecked(v, "canBeChosen"), setupChecked(v, "isHidden"), setupChecked(v, "isMuted"), setupChecked(v, "autoArchive")}
		in.CanBeChosen, in.IsHidden, in.IsMuted, in.AutoArchive = &flags[0], &flags[1], &flags[2], &flags[3]
	}
	return in, nil
}

func (h *Handler) handleSetupCategoryCreate(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	input, err := setupCategoryInput(r.PostForm, false)
	if err == nil {
		_, err = h.tickets.CreateCategory(r.Context(), setupActor(in), input)
	}
	return h.setupDone(w, r, in, setupCategories, err, "created", setupAgain(h.setupCategoriesData, r, in, "new", r.PostForm))
}

func (h *Handler) handleSetupCategoryUpdate(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	id, err := setupID(r)
	if err != nil {
		return err
	}
	input, err := setupCategoryInput(r.PostForm, true)
	if err == nil {
		_, err = h.tickets.UpdateCategory(r.Context(), setupActor(in), id, input)
	}
	return h.setupDone(w, r, in, setupCategories, err, "updated", setupAgain(h.setupCategoriesData, r, in, strconv.FormatInt(id, 10), r.PostForm))
}

func (h *Handler) handleSetupCategoryDelete(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	id, err := setupID(r)
	if err != nil {
		return err
	}
	err = h.tickets.DeleteCategory(r.Context(), setupActor(in), id)
	return h.setupDone(w, r, in, setupCategories, err, "deleted", setupAgain(h.setupCategoriesData, r, in, "delete-"+strconv.FormatInt(id, 10), r.PostForm))
}
