package ticket_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"openboards/internal/live"
	"openboards/internal/openboards"
	"openboards/internal/store/postgres"
	"openboards/internal/store/postgres/pgtest"
	"openboards/internal/store/sqlite"
	"openboards/internal/ticket"
)

// start is the fixed clock's first reading. It has nanoseconds below the
// 100 ns the service keeps, so tests see the truncation.
var start = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)

// clock is a fixed clock that tests move forward by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// stored returns the clock's time as the service stores it.
func (c *clock) stored() time.Time { return c.now().Truncate(100 * time.Nanosecond) }

// bundle is one test's world: a real SQLite store, the service on a fixed
// clock, a community with teammates of every role and a customer, and a
// second community.
type bundle struct {
	ctx   context.Context
	store openboards.Store
	clock *clock
	svc   *ticket.Service
	cm    *openboards.Community
	other *openboards.Community

	admin, member, reader, vendor *openboards.User // teammates
	customer                      *openboards.User // a client
	outsider                      *openboards.User // an admin of the other community
}

// openStore opens an empty store of the selected backend, closed when t
// ends.
func openStore(t *testing.T) openboards.Store {
	t.Helper()
	ctx := context.Background()
	var store openboards.Store
	var err error
	if pgtest.OnPostgres() {
		store, err = postgres.Open(ctx, pgtest.NewSchema(t), postgres.Options{MaxConns: 4})
	} else {
		store, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "openboards.db"), sqlite.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := store.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return store
}

// TestOnPostgres runs every test of the package again on PostgreSQL, in a
// child process of the test binary, when a test server is configured.
func TestOnPostgres(t *testing.T) { pgtest.Rerun(t, "the ticket tests") }

// options change what setup builds.
type options struct {
	events ticket.Recorder // default ticket.NoEvents
	pub    live.Publisher  // default live.Discard
	wrap   func(openboards.Store) openboards.Store
}

func setup(t *testing.T) *bundle {
	t.Helper()
	return setupWith(t, options{})
}

func setupWith(t *testing.T, o options) *bundle {
	t.Helper()
	ctx := context.Background()
	var store openboards.Store = openStore(t)
	if o.wrap != nil {
		store = o.wrap(store)
	}
	if o.events == nil {
		o.events = ticket.NoEvents
	}
	if o.pub == nil {
		o.pub = live.Discard
	}
	c := &clock{t: start}
	b := &bundle{ctx: ctx, store: store, clock: c, svc: ticket.NewService(store, o.events, o.pub, c.now)}
	newCommunity := func(tx openboards.Tx, name string) (*openboards.Community, error) {
		cm := &openboards.Community{Name: name, ClientID: openboards.NewID(), APIUserID: openboards.NewID(), CreatedAt: start}
		if err := tx.CreateCommunity(ctx, cm); err != nil {
			return nil, err
		}
		return cm, tx.CreateUser(ctx, &openboards.User{ID: cm.APIUserID, CommunityID: cm.ID, Name: "Public API", IsBot: true,
			Status: openboards.StatusBot, CreatedAt: start})
	}
	newUser := func(tx openboards.Tx, cm *openboards.Community, name, email string, status openboards.UserStatus, role openboards.Role) (*openboards.User, error) {
		u := &openboards.User{ID: openboards.NewID(), CommunityID: cm.ID, Name: name, Email: &email, Status: status, Role: role, CreatedAt: start}
		return u, tx.CreateUser(ctx, u)
	}
	err := store.InTx(ctx, func(tx openboards.Tx) error {
		var err error
		if b.cm, err = newCommunity(tx, "Acme"); err != nil {
			return err
		}
		if b.other, err = newCommunity(tx, "Other"); err != nil {
			return err
		}
		for _, u := range []struct {
			dst    **openboards.User
			cm     *openboards.Community
			name   string
			email  string
			status openboards.UserStatus
			role   openboards.Role
		}{
			{&b.admin, b.cm, "Alice Admin", "admin@example.com", openboards.StatusTeam, openboards.RoleAdmin},
			{&b.member, b.cm, "Mark Member", "member@example.com", openboards.StatusTeam, openboards.RoleTeamMember},
			{&b.reader, b.cm, "Rita Reader", "reader@example.com", openboards.StatusTeam, openboards.RoleReadOnlyUser},
			{&b.vendor, b.cm, "Vic Vendor", "vendor@example.com", openboards.StatusTeam, openboards.RoleVendor},
			{&b.customer, b.cm, "Carl Customer", "customer@example.com", openboards.StatusClient, ""},
			{&b.outsider, b.other, "Oscar Outsider", "oscar@example.com", openboards.StatusTeam, openboards.RoleAdmin},
		} {
			if *u.dst, err = newUser(tx, u.cm, u.name, u.email, u.status, u.role); err != nil {
				return err
			}
		}
		b.customer.CustomIdentifier = ptr("cust-1")
		return tx.UpdateUser(ctx, b.customer)
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ptr[T any](v T) *T { return &v }

var equate = cmpopts.EquateEmpty()

func wantErr(t *testing.T, err error, code openboards.Code, msg string) {
	t.Helper()
	if got := openboards.ErrorCode(err); got != code || !strings.Contains(openboards.ErrorMessage(err), msg) {
		t.Fatalf("got error %v (code %q), want code %q with a message containing %q", err, got, code, msg)
	}
}

func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got, equate); d != "" {
		t.Fatalf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// newTicket opens a ticket through the service, by the customer unless in
// says otherwise, and returns it as stored.
func (b *bundle) newTicket(t *testing.T, in ticket.CreateTicketInput) *openboards.Ticket {
	t.Helper()
	if in.Creator == nil {
		in.Creator = &ticket.CreatorInput{Email: b.customer.Email}
	}
	if in.Title == "" && in.Message == "" {
		in.Title = "Help"
	}
	id, err := b.create(in)
	if err != nil {
		t.Fatalf("CreateTicket: %v", err)
	}
	return b.ticket(t, id)
}

// create opens a ticket through the service as the Ticket API does: with
// the API's source unless in names another.
func (b *bundle) create(in ticket.CreateTicketInput) (int64, error) {
	if in.Source == "" {
		in.Source, in.DetailedSource = openboards.SourceAPI, openboards.DetailedSourceAPI
	}
	return b.svc.CreateTicket(b.ctx, b.cm, in)
}

func (b *bundle) ticket(t *testing.T, id int64) *openboards.Ticket {
	t.Helper()
	tk, err := b.store.FindTicketByID(b.ctx, b.cm.ID, id)
	if err != nil {
		t.Fatalf("FindTicketByID(%d): %v", id, err)
	}
	return tk
}

func (b *bundle) user(t *testing.T, id string) *openboards.User {
	t.Helper()
	u, err := b.store.FindUserByID(b.ctx, b.cm.ID, id)
	if err != nil {
		t.Fatalf("FindUserByID(%s): %v", id, err)
	}
	return u
}

// logged is a log entry reduced to what tests compare.
type logged struct {
	Type, User, Text string
}

// log returns a ticket's log, newest first.
func (b *bundle) log(t *testing.T, ticketID int64) []logged {
	t.Helper()
	entries, err := b.store.FindLogEntries(b.ctx, b.cm.ID, ticketID, nil, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	out := []logged{}
	for _, e := range entries {
		out = append(out, logged{e.ActionType, e.UserID, e.ActionString})
	}
	return out
}

// lastLog returns a ticket's newest log entry in full.
func (b *bundle) lastLog(t *testing.T, ticketID int64) *openboards.LogEntry {
	t.Helper()
	entries, err := b.store.FindLogEntries(b.ctx, b.cm.ID, ticketID, nil, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatalf("ticket %d has no log", ticketID)
	}
	return entries[0]
}

func (b *bundle) ticketIDs(t *testing.T) []int64 {
	t.Helper()
	ids, err := b.store.FindTicketIDs(b.ctx, openboards.TicketFilter{CommunityID: b.cm.ID, Take: 50})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func (b *bundle) field(t *testing.T, f *openboards.CustomField) *openboards.CustomField {
	t.Helper()
	if err := b.svc.CreateCustomField(b.ctx, b.cm, f); err != nil {
		t.Fatalf("CreateCustomField(%s): %v", f.Name, err)
	}
	return f
}

func (b *bundle) category(t *testing.T, name string, in ticket.CategoryInput) *openboards.Category {
	t.Helper()
	in.Name = &name
	c, err := b.svc.CreateCategory(b.ctx, b.cm, in)
	if err != nil {
		t.Fatalf("CreateCategory(%s): %v", name, err)
	}
	return c
}

func userPH(u *openboards.User) string { return "{User:" + u.ID + "}" }

func TestCreateTicket(t *testing.T) {
	t.Parallel()
	t.Run("NewCustomerAtOnce", func(t *testing.T) {
		// Tickets from one new customer at the same time all succeed and
		// share one customer, whichever transaction stores it.
		t.Parallel()
		b := setup(t)
		const n = 16
		ids := make([]int64, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				ids[i], errs[i] = b.create(ticket.CreateTicketInput{Title: fmt.Sprintf("Ticket %d", i),
					Creator: &ticket.CreatorInput{Name: ptr("Grace"), Email: ptr("grace@example.com")}})
			})
		}
		wg.Wait()
		authors := map[string]bool{}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("ticket %d: %v", i, errs[i])
			}
			tk, err := b.store.FindTicketByID(b.ctx, b.cm.ID, ids[i])
			if err != nil {
				t.Fatal(err)
			}
			authors[tk.AuthorID] = true
		}
		u, err := b.store.FindUserByEmail(b.ctx, b.cm.ID, "grace@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if len(authors) != 1 || !authors[u.ID] {
			t.Errorf("authors %v, want only %s", authors, u.ID)
		}
	})
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		cat := b.category(t, "Billing", ticket.CategoryInput{})
		order := b.field(t, &openboards.CustomField{Name: "Order", Type: openboards.FieldText, IsRequired: true})
		plan := b.field(t, &openboards.CustomField{Name: "Plan", Type: openboards.FieldDropdown, DefaultValue: ptr("Basic"),
			PossibleValues: []openboards.PossibleValue{{Order: 1, Value: "Basic"}, {Order: 2, Value: "Pro"}}})
		b.field(t, &openboards.CustomField{Name: "Notes", Type: openboards.FieldTextarea})
		id, err := b.create(ticket.CreateTicketInput{
			Title:        "  Refund please ",
			Message:      `<p>Please <b onclick="steal()">refund</b><script>alert(1)</script></p>`,
			Creator:      &ticket.CreatorInput{Name: ptr(" Ada Lovelace "), Email: ptr("Ada@Example.com"), PhoneNumber: ptr("+44 20 7946 0000")},
			AssigneeID:   ptr(strings.ToUpper(b.member.ID)),
			CategoryID:   &cat.ID,
			CC:           []string{" cc@example.com"},
			CustomFields: []ticket.FieldValueInput{{ID: order.ID, Value: ptr(" A-42 ")}},
			Sentiment:    ptr("Complaint"),
			SourceName:   ptr(" Web shop "),
			Tags:         []string{"VIP", "vip", " refund  request "},
			Attachments:  []ticket.AttachmentInput{{URL: "https://example.com/files/invoice.pdf"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		got := b.ticket(t, id)
		now := b.clock.stored()
		author := &openboards.User{ID: got.AuthorID, CommunityID: b.cm.ID, Name: "Ada Lovelace", Email: ptr("Ada@Example.com"),
			PhoneNumber: ptr("+44 20 7946 0000"), Status: openboards.StatusClient, CreatedAt: now}
		want := &openboards.Ticket{
			ID: id, CommunityID: b.cm.ID, Title: "Refund please", Message: "Please refund", HTMLMessage: "<p>Please <b>refund</b></p>",
			AuthorID: author.ID, Author: author, CategoryID: &cat.ID, Category: &openboards.CategoryRef{ID: cat.ID, Name: "Billing"},
			AssigneeID: &b.member.ID, Assignee: b.member, Status: openboards.TicketOpen, Sentiment: ptr("complaint"),
			Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI, SourceName: ptr("Web shop"),
			CC: []string{"cc@example.com"}, Tags: []string{"VIP", "refund request"},
			Attachments:  []openboards.Attachment{{URL: "https://example.com/files/invoice.pdf", Name: "invoice.pdf"}},
			CustomFields: []openboards.FieldValue{{FieldID: order.ID, Value: "A-42"}, {FieldID: plan.ID, Value: "Basic"}},
			CreatedAt:    now, LastActivityAt: now, UpdatedAt: now,
		}
		diff(t, "ticket", want, got)
		if got.CreatedAt.Nanosecond()%100 != 0 || !got.CreatedAt.Equal(start.Truncate(100*time.Nanosecond)) {
			t.Fatalf("CreatedAt %v is not the clock's time at 100 ns", got.CreatedAt)
		}

		diff(t, "log", []logged{
			{openboards.ActionTicketAssignedToUser, b.cm.APIUserID, "changed ticket assignee to " + userPH(b.member)},
			{openboards.ActionTicketCreated, author.ID, "created the ticket"},
		}, b.log(t, id))
		diff(t, "included users", []openboards.User{*b.member}, b.lastLog(t, id).Included.Users)
		tags, err := b.store.FindTags(b.ctx, b.cm.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(tags) != 2 {
			t.Fatalf("tags: %v, want VIP and refund request", tags)
		}
	})
	t.Run("CreatorByID", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		got := b.newTicket(t, ticket.CreateTicketInput{Creator: &ticket.CreatorInput{ID: strings.ToUpper(b.customer.ID), Name: ptr("Carl C.")}})
		if got.AuthorID != b.customer.ID {
			t.Fatalf("author %s, want the customer %s", got.AuthorID, b.customer.ID)
		}
		want := *b.customer
		want.Name = "Carl C."
		diff(t, "creator", &want, b.user(t, b.customer.ID))
	})
	t.Run("CreatorByEmail", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		got := b.newTicket(t, ticket.CreateTicketInput{Creator: &ticket.CreatorInput{Email: ptr(" CUSTOMER@example.com ")}})
		if got.AuthorID != b.customer.ID {
			t.Fatalf("author %s, want the customer %s", got.AuthorID, b.customer.ID)
		}
		// Nothing new was given, so nothing else changed. (The stored
		// address takes the request's letter case.)
		if d := cmp.Diff(b.customer, b.user(t, b.customer.ID), cmpopts.IgnoreFields(openboards.User{}, "Email")); d != "" {
			t.Fatalf("creator changed (-want +got):\n%s", d)
		}
	})
	t.Run("CreatorByCustomIdentifier", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		got := b.newTicket(t, ticket.CreateTicketInput{Creator: &ticket.CreatorInput{CustomIdentifier: ptr(" CUST-1 ")}})
		if got.AuthorID != b.customer.ID {
			t.Fatalf("author %s, want the customer %s", got.AuthorID, b.customer.ID)
		}
	})
	t.Run("CreatorUpdated", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.newTicket(t, ticket.CreateTicketInput{Creator: &ticket.CreatorInput{Email: b.customer.Email, Name: ptr("Carl Renamed"),
			CustomIdentifier: ptr("CUST-2"), Image: ptr("https://example.com/carl.png"), PhoneNumber: ptr("555 0100")}})
		want := *b.customer
		want.Name, want.CustomIdentifier, want.Image, want.PhoneNumber = "Carl Renamed", ptr("cust-2"), ptr("https://example.com/carl.png"), ptr("555 0100")
		diff(t, "creator", &want, b.user(t, b.customer.ID))
	})
	t.Run("NewCreatorByCustomIdentifier", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		got := b.newTicket(t, ticket.CreateTicketInput{Creator: &ticket.CreatorInput{CustomIdentifier: ptr(" New-42 ")}})
		if got.AuthorID == b.customer.ID {
			t.Fatal("a new custom identifier found the existing customer")
		}
		want := &openboards.User{ID: got.AuthorID, CommunityID: b.cm.ID, Name: "new-42", CustomIdentifier: ptr("new-42"),
			Status: openboards.StatusClient, CreatedAt: b.clock.stored()}
		diff(t, "new creator", want, b.user(t, got.AuthorID))
	})
	t.Run("ErrCreator", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, tt := range []struct {
			name    string
			creator *ticket.CreatorInput
			code    openboards.Code
			msg     string
		}{
			{"Missing", nil, openboards.CodeInvalid, "creator: required"},
			{"Empty", &ticket.CreatorInput{}, openboards.CodeInvalid, "creator: give an email or a customIdentifier"},
			{"UnknownID", &ticket.CreatorInput{ID: openboards.NewID()}, openboards.CodeInvalid, "creator: "},
			{"BadID", &ticket.CreatorInput{ID: "42"}, openboards.CodeInvalid, "creator.id: "},
			{"OtherCommunity", &ticket.CreatorInput{ID: b.outsider.ID}, openboards.CodeInvalid, "creator: "},
			{"BadEmail", &ticket.CreatorInput{Email: ptr("not-an-address")}, openboards.CodeInvalid, "creator.email: "},
			{"BadImage", &ticket.CreatorInput{Email: ptr("new@example.com"), Image: ptr("javascript:alert(1)")}, openboards.CodeInvalid, "creator.image: "},
			{"EmailTaken", &ticket.CreatorInput{ID: b.customer.ID, Email: b.admin.Email}, openboards.CodeConflict, "creator: "},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := b.create(ticket.CreateTicketInput{Title: "Help", Creator: tt.creator})
				wantErr(t, err, tt.code, tt.msg)
			})
		}
		if ids := b.ticketIDs(t); len(ids) != 0 {
			t.Fatalf("refused tickets were stored: %v", ids)
		}
		diff(t, "customer after a refused update", b.customer, b.user(t, b.customer.ID))
		if _, err := b.store.FindUserByEmail(b.ctx, b.cm.ID, "new@example.com"); openboards.ErrorCode(err) != openboards.CodeNotFound {
			t.Fatalf("a refused ticket's creator was stored: %v", err)
		}
	})
	t.Run("CustomFields", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		order := b.field(t, &openboards.CustomField{Name: "Order", Type: openboards.FieldText, IsRequired: true})
		prio := b.field(t, &openboards.CustomField{Name: "Priority", Type: openboards.FieldDropdown, IsRequired: true, DefaultValue: ptr("low"),
			PossibleValues: []openboards.PossibleValue{{Order: 1, Value: "Low"}, {Order: 2, Value: "High"}}})
		urgent := b.field(t, &openboards.CustomField{Name: "Urgent", Type: openboards.FieldCheckbox})
		b.field(t, &openboards.CustomField{Name: "Comment", Type: openboards.FieldTextarea})

		_, err := b.create(ticket.CreateTicketInput{Title: "Help", Creator: &ticket.CreatorInput{Email: b.customer.Email}})
		wantErr(t, err, openboards.CodeInvalid, fmt.Sprintf(`customFields: custom field %d ("Order") is required`, order.ID))
		_, err = b.create(ticket.CreateTicketInput{Title: "Help", Creator: &ticket.CreatorInput{Email: b.customer.Email},
			CustomFields: []ticket.FieldValueInput{{ID: order.ID, Value: ptr("")}}})
		wantErr(t, err, openboards.CodeInvalid, `("Order") is required`)

		// A required field with a default needs no value; given values
		// take their canonical form.
		got := b.newTicket(t, ticket.CreateTicketInput{CustomFields: []ticket.FieldValueInput{
			{ID: urgent.ID, Value: ptr("TRUE")}, {ID: order.ID, Value: ptr("A-1")},
		}})
		diff(t, "defaults", []openboards.FieldValue{{FieldID: order.ID, Value: "A-1"}, {FieldID: prio.ID, Value: "Low"}, {FieldID: urgent.ID, Value: "true"}}, got.CustomFields)
		got = b.newTicket(t, ticket.CreateTicketInput{CustomFields: []ticket.FieldValueInput{
			{ID: order.ID, Value: ptr("A-2")}, {ID: prio.ID, Value: ptr("HIGH")},
		}})
		diff(t, "given values", []openboards.FieldValue{{FieldID: order.ID, Value: "A-2"}, {FieldID: prio.ID, Value: "High"}}, got.CustomFields)

		_, err = b.create(ticket.CreateTicketInput{Title: "Help", Creator: &ticket.CreatorInput{Email: b.customer.Email},
			CustomFields: []ticket.FieldValueInput{{ID: order.ID, Value: ptr("A-3")}, {ID: 12345, Value: ptr("x")}}})
		wantErr(t, err, openboards.CodeInvalid, "customFields[1].id: custom field 12345 not found")
	})
	t.Run("FieldValidation", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		choices := []openboards.PossibleValue{{Order: 1, Value: "Red"}, {Order: 2, Value: "Green"}}
		for _, tt := range []struct {
			field *openboards.CustomField
			bad   string
			msg   string
		}{
			{&openboards.CustomField{Name: "Line", Type: openboards.FieldText}, "two\nlines", "must be one line"},
			{&openboards.CustomField{Name: "Amount", Type: openboards.FieldNumber}, "12abc", `"12abc" is not a number`},
			{&openboards.CustomField{Name: "Hex", Type: openboards.FieldNumber}, "0x1F", "is not a number"},
			{&openboards.CustomField{Name: "Due", Type: openboards.FieldDate}, "2024-02-30", "is not a date of the form YYYY-MM-DD"},
			{&openboards.CustomField{Name: "Agreed", Type: openboards.FieldCheckbox}, "maybe", `"maybe" is not true or false`},
			{&openboards.CustomField{Name: "Colour", Type: openboards.FieldDropdown, PossibleValues: choices}, "Blue", `"Blue" is not one of the possible values of "Colour"`},
			{&openboards.CustomField{Name: "Colours", Type: openboards.FieldMultiSelect, PossibleValues: choices}, "red;Blue", `"Blue" is not one of the possible values of "Colours"`},
			{&openboards.CustomField{Name: "Area", Type: openboards.FieldRegion, PossibleValues: choices}, "Nowhere", `of "Area"`},
			{&openboards.CustomField{Name: "Contact", Type: openboards.FieldEmail}, "nobody", `"nobody" is not an e-mail address`},
			{&openboards.CustomField{Name: "Phone", Type: openboards.FieldPhone}, "12", `"12" is not a phone number`},
			{&openboards.CustomField{Name: "Phone letters", Type: openboards.FieldPhone}, "call me", "is not a phone number"},
			{&openboards.CustomField{Name: "Site", Type: openboards.FieldURL}, "ftp://example.com", "is not an http or https URL"},
			{&openboards.CustomField{Name: "Long", Type: openboards.FieldTextarea}, strings.Repeat("x", openboards.MaxFieldValueLen+1), "value longer than"},
		} {
			t.Run(tt.field.Type+"/"+tt.field.Name, func(t *testing.T) {
				f := b.field(t, tt.field)
				_, err := b.create(ticket.CreateTicketInput{Title: "Help", Creator: &ticket.CreatorInput{Email: b.customer.Email},
					CustomFields: []ticket.FieldValueInput{{ID: f.ID, Value: ptr("")}, {ID: f.ID, Value: &tt.bad}}})
				wantErr(t, err, openboards.CodeInvalid, tt.msg)
				if msg := openboards.ErrorMessage(err); !strings.HasPrefix(msg, "customFields[1].value: ") {
					t.Fatalf("message %q does not name the request field customFields[1].value", msg)
				}
			})
		}
		if ids := b.ticketIDs(t); len(ids) != 0 {
			t.Fatalf("tickets with invalid values were stored: %v", ids)
		}
	})
	t.Run("ErrCategory", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		hidden := b.category(t, "Internal", ticket.CategoryInput{CanBeChosen: ptr(false)})
		_, err := b.create(ticket.CreateTicketInput{Title: "Help", Creator: &ticket.CreatorInput{Email: b.customer.Email}, CategoryID: ptr(hidden.ID + 100)})
		wantErr(t, err, openboards.CodeInvalid, fmt.Sprintf("categoryId: category %d not found", hidden.ID+100))
		_, err = b.create(ticket.CreateTicketInput{Title: "Help", Creator: &ticket.CreatorInput{Email: b.customer.Email}, CategoryID: &hidden.ID})
		wantErr(t, err, openboards.CodeInvalid, fmt.Sprintf("categoryId: category %d cannot be chosen", hidden.ID))
	})
	t.Run("ErrAssignee", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for name, id := range map[string]string{
			"ReadOnly":       b.reader.ID,
			"Vendor":         b.vendor.ID,
			"Customer":       b.customer.ID,
			"APIUser":        b.cm.APIUserID,
			"Unknown":        openboards.NewID(),
			"OtherCommunity": b.outsider.ID,
			"NotAGUID":       "mark",
		} {
			_, err := b.create(ticket.CreateTicketInput{Title: "Help", Creator: &ticket.CreatorInput{Email: b.customer.Email}, AssigneeID: &id})
			if openboards.ErrorCode(err) != openboards.CodeInvalid || !strings.HasPrefix(openboards.ErrorMessage(err), "assigneeId: ") {
				t.Errorf("%s: got %v, want an invalid assigneeId", name, err)
			}
		}
		if ids := b.ticketIDs(t); len(ids) != 0 {
			t.Fatalf("refused tickets were stored: %v", ids)
		}
		// The admin may hold tickets; "null" and "" mean unassigned.
		got := b.newTicket(t, ticket.CreateTicketInput{AssigneeID: &b.admin.ID})
		if got.AssigneeID == nil || *got.AssigneeID != b.admin.ID {
			t.Fatalf("assignee %v, want the admin", got.AssigneeID)
		}
		for _, none := range []string{"null", "NULL", ""} {
			got := b.newTicket(t, ticket.CreateTicketInput{AssigneeID: &none})
			if got.AssigneeID != nil {
				t.Fatalf("assignee %q gave %v, want none", none, *got.AssigneeID)
			}
			diff(t, "log", []logged{{openboards.ActionTicketCreated, b.customer.ID, "created the ticket"}}, b.log(t, got.ID))
		}
	})
	t.Run("Tags", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		first := b.newTicket(t, ticket.CreateTicketInput{Tags: []string{"Billing", "billing", " BILLING ", "Urgent \t now"}})
		diff(t, "tags", []string{"Billing", "Urgent now"}, first.Tags)
		// A known tag keeps its first spelling.
		second := b.newTicket(t, ticket.CreateTicketInput{Tags: []string{"urgent NOW", "new"}})
		diff(t, "reused tags", []string{"Urgent now", "new"}, second.Tags)
		tags, err := b.store.FindTags(b.ctx, b.cm.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(tags) != 3 {
			t.Fatalf("tags %v, want 3", tags)
		}
		_, err = b.create(ticket.CreateTicketInput{Title: "Help", Creator: &ticket.CreatorInput{Email: b.customer.Email}, Tags: []string{"ok", "  "}})
		wantErr(t, err, openboards.CodeInvalid, "tags[1]: empty tag name")
	})
	t.Run("HTML", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, tt := range []struct {
			name      string
			isHTML    *bool
			message   string
			text      string
			html      string
			htmlHasNo string
		}{
			{"NilMeansHTML", nil, `<p>Hi <script>alert(1)</script><b onclick="x()">there</b></p>`, "Hi there", "<p>Hi <b>there</b></p>", "script"},
			{"HTML", ptr(true), "<p>one</p><p>two</p>", "one\ntwo", "<p>one</p><p>two</p>", "<script"},
			{"Text", ptr(false), " <b>x</b>\nline2 ", "<b>x</b>\nline2", "&lt;b&gt;x&lt;/b&gt;<br>line2", "<b>"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got := b.newTicket(t, ticket.CreateTicketInput{Title: "T", Message: tt.message, IsHTML: tt.isHTML})
				if got.Message != tt.text || got.HTMLMessage != tt.html {
					t.Fatalf("got text %q, HTML %q; want %q, %q", got.Message, got.HTMLMessage, tt.text, tt.html)
				}
				if strings.Contains(got.HTMLMessage, tt.htmlHasNo) {
					t.Fatalf("HTML %q contains %q", got.HTMLMessage, tt.htmlHasNo)
				}
			})
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		creator := &ticket.CreatorInput{Email: b.customer.Email}
		for _, tt := range []struct {
			in  ticket.CreateTicketInput
			msg string
		}{
			{ticket.CreateTicketInput{Title: strings.Repeat("x", 1001)}, "title: longer than 1000 characters"},
			{ticket.CreateTicketInput{Title: " ", Message: "<p> </p>"}, "title: a ticket needs a title or a message"},
			{ticket.CreateTicketInput{Title: "T", Sentiment: ptr("angry")}, "sentiment: unknown sentiment"},
			{ticket.CreateTicketInput{Title: "T", CC: []string{"ok@example.com", "nope"}}, `cc[1]: "nope" is not an e-mail address`},
			{ticket.CreateTicketInput{Title: "T", Attachments: []ticket.AttachmentInput{{URL: "/relative"}}}, "attachments[0].url: must be an absolute http or https URL"},
			{ticket.CreateTicketInput{Title: "T", SourceName: ptr(strings.Repeat("s", 201))}, "sourceName: longer than 200 characters"},
		} {
			tt.in.Creator = creator
			_, err := b.create(tt.in)
			wantErr(t, err, openboards.CodeInvalid, tt.msg)
		}
	})
	t.Run("ErrLeavesNoTrace", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.field(t, &openboards.CustomField{Name: "Order", Type: openboards.FieldText, IsRequired: true})
		// Each request fails inside the transaction, after its new creator
		// was written.
		for _, in := range []ticket.CreateTicketInput{
			{CategoryID: ptr(int64(12345))},
			{AssigneeID: &b.reader.ID},
			{Tags: []string{"ghost"}},
		} {
			in.Title = "Ghost"
			in.Creator = &ticket.CreatorInput{Name: ptr("Ghost"), Email: ptr("ghost@example.com")}
			if _, err := b.create(in); openboards.ErrorCode(err) != openboards.CodeInvalid {
				t.Fatalf("CreateTicket(%+v): got %v, want invalid input", in, err)
			}
		}
		if _, err := b.store.FindUserByEmail(b.ctx, b.cm.ID, "ghost@example.com"); openboards.ErrorCode(err) != openboards.CodeNotFound {
			t.Fatalf("the creator of a refused ticket was stored: %v", err)
		}
		if tags, err := b.store.FindTags(b.ctx, b.cm.ID); err != nil || len(tags) != 0 {
			t.Fatalf("tags of a refused ticket: %v, %v", tags, err)
		}
		if ids := b.ticketIDs(t); len(ids) != 0 {
			t.Fatalf("refused tickets were stored: %v", ids)
		}
	})
	t.Run("ErrOtherCommunityCategory", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		name := "Theirs"
		theirs, err := b.svc.CreateCategory(b.ctx, b.other, ticket.CategoryInput{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.create(ticket.CreateTicketInput{Title: "Help", Creator: &ticket.CreatorInput{Email: b.customer.Email}, CategoryID: &theirs.ID})
		wantErr(t, err, openboards.CodeInvalid, "categoryId: ")
	})
}

func TestUpdateTicketStatus(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tk := b.newTicket(t, ticket.CreateTicketInput{})
		b.clock.advance(time.Hour)
		if err := b.svc.UpdateTicketStatus(b.ctx, b.cm, tk.ID, "PENDING"); err != nil {
			t.Fatal(err)
		}
		got := b.ticket(t, tk.ID)
		if got.Status != openboards.TicketPending || !got.UpdatedAt.Equal(b.clock.stored()) || !got.LastActivityAt.Equal(tk.LastActivityAt) {
			t.Fatalf("got status %s, updated %v, activity %v; want pending, %v, %v", got.Status, got.UpdatedAt, got.LastActivityAt, b.clock.stored(), tk.LastActivityAt)
		}
		diff(t, "log", []logged{
			{openboards.ActionTicketStatusChanged, b.cm.APIUserID, `changed the status from "Open" to "Pending"`},
			{openboards.ActionTicketCreated, b.customer.ID, "created the ticket"},
		}, b.log(t, tk.ID))
	})
	t.Run("Same", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tk := b.newTicket(t, ticket.CreateTicketInput{})
		b.clock.advance(time.Hour)
		if err := b.svc.UpdateTicketStatus(b.ctx, b.cm, tk.ID, "open"); err != nil {
			t.Fatal(err)
		}
		diff(t, "unchanged ticket", tk, b.ticket(t, tk.ID))
		if n := len(b.log(t, tk.ID)); n != 1 {
			t.Fatalf("a no-op logged: %d entries", n)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tk := b.newTicket(t, ticket.CreateTicketInput{})
		wantErr(t, b.svc.UpdateTicketStatus(b.ctx, b.cm, tk.ID, "closed"), openboards.CodeInvalid, `status: unknown status "closed"`)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tk := b.newTicket(t, ticket.CreateTicketInput{})
		wantErr(t, b.svc.UpdateTicketStatus(b.ctx, b.cm, tk.ID+1, "pending"), openboards.CodeNotFound, "")
		wantErr(t, b.svc.UpdateTicketStatus(b.ctx, b.other, tk.ID, "pending"), openboards.CodeNotFound, "")
		if got := b.ticket(t, tk.ID); got.Status != openboards.TicketOpen {
			t.Fatalf("another community changed the status to %s", got.Status)
		}
	})
}

func TestUpdateTicketAssignee(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tk := b.newTicket(t, ticket.CreateTicketInput{})
		assignee := func() *string {
			t.Helper()
			return b.ticket(t, tk.ID).AssigneeID
		}
		if err := b.svc.UpdateTicketAssignee(b.ctx, b.cm, tk.ID, &b.admin.ID, nil); err != nil {
			t.Fatal(err)
		}
		if a := assignee(); a == nil || *a != b.admin.ID {
			t.Fatalf("assignee %v, want the admin", a)
		}
		// previous is matched without regard to case.
		if err := b.svc.UpdateTicketAssignee(b.ctx, b.cm, tk.ID, ptr(strings.ToUpper(b.member.ID)), ptr(strings.ToUpper(b.admin.ID))); err != nil {
			t.Fatal(err)
		}
		if a := assignee(); a == nil || *a != b.member.ID {
			t.Fatalf("assignee %v, want the member", a)
		}
		if err := b.svc.UpdateTicketAssignee(b.ctx, b.cm, tk.ID, nil, &b.member.ID); err != nil {
			t.Fatal(err)
		}
		if a := assignee(); a != nil {
			t.Fatalf("assignee %v, want none", *a)
		}
		diff(t, "log", []logged{
			{openboards.ActionTicketUnassigned, b.cm.APIUserID, "removed the ticket assignee " + userPH(b.member)},
			{openboards.ActionTicketAssignedToUser, b.cm.APIUserID, "changed ticket assignee to " + userPH(b.member)},
			{openboards.ActionTicketAssignedToUser, b.cm.APIUserID, "changed ticket assignee to " + userPH(b.admin)},
			{openboards.ActionTicketCreated, b.customer.ID, "created the ticket"},
		}, b.log(t, tk.ID))
		diff(t, "included users", []openboards.User{*b.member}, b.lastLog(t, tk.ID).Included.Users)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tk := b.newTicket(t, ticket.CreateTicketInput{AssigneeID: &b.admin.ID})
		before := b.log(t, tk.ID)
		wantErr(t, b.svc.UpdateTicketAssignee(b.ctx, b.cm, tk.ID, &b.member.ID, &b.member.ID), openboards.CodeConflict,
			"previousAssigneeId: the ticket is assigned to "+b.admin.ID)
		wantErr(t, b.svc.UpdateTicketAssignee(b.ctx, b.cm, tk.ID, &b.member.ID, nil), openboards.CodeConflict, "previousAssigneeId: ")
		wantErr(t, b.svc.UpdateTicketAssignee(b.ctx, b.cm, tk.ID, nil, nil), openboards.CodeConflict, "previousAssigneeId: ")

		free := b.newTicket(t, ticket.CreateTicketInput{})
		wantErr(t, b.svc.UpdateTicketAssignee(b.ctx, b.cm, free.ID, &b.member.ID, &b.admin.ID), openboards.CodeConflict,
			"previousAssigneeId: the ticket is unassigned")
		if a := b.ticket(t, tk.ID).AssigneeID; a == nil || *a != b.admin.ID {
			t.Fatalf("assignee %v after refused changes, want the admin", a)
		}
		diff(t, "log after refused changes", before, b.log(t, tk.ID))
	})
	t.Run("Same", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		assigned := b.newTicket(t, ticket.CreateTicketInput{AssigneeID: &b.admin.ID})
		free := b.newTicket(t, ticket.CreateTicketInput{})
		b.clock.advance(time.Hour)
		if err := b.svc.UpdateTicketAssignee(b.ctx, b.cm, assigned.ID, &b.admin.ID, &b.admin.ID); err != nil {
			t.Fatal(err)
		}
		if err := b.svc.UpdateTicketAssignee(b.ctx, b.cm, free.ID, nil, nil); err != nil {
			t.Fatal(err)
		}
		diff(t, "assigned ticket", assigned, b.ticket(t, assigned.ID))
		diff(t, "free ticket", free, b.ticket(t, free.ID))
		if n, m := len(b.log(t, assigned.ID)), len(b.log(t, free.ID)); n != 2 || m != 1 {
			t.Fatalf("no-ops logged: %d and %d entries, want 2 and 1", n, m)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tk := b.newTicket(t, ticket.CreateTicketInput{})
		for _, id := range []string{b.reader.ID, b.vendor.ID, b.customer.ID, b.outsider.ID, "x"} {
			wantErr(t, b.svc.UpdateTicketAssignee(b.ctx, b.cm, tk.ID, &id, nil), openboards.CodeInvalid, "assigneeId: ")
		}
		if n := len(b.log(t, tk.ID)); n != 1 {
			t.Fatalf("refused changes logged: %d entries", n)
		}
	})
}

func TestUpdateTicketCategory(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		sales := b.category(t, "Sales", ticket.CategoryInput{})
		support := b.category(t, "Support", ticket.CategoryInput{})
		tk := b.newTicket(t, ticket.CreateTicketInput{})
		for _, id := range []*int64{&sales.ID, &support.ID, &support.ID, nil, nil} {
			b.clock.advance(time.Minute)
			if err := b.svc.UpdateTicketCategory(b.ctx, b.cm, tk.ID, id); err != nil {
				t.Fatal(err)
			}
			got := b.ticket(t, tk.ID)
			if (id == nil) != (got.CategoryID == nil) || (id != nil && *got.CategoryID != *id) {
				t.Fatalf("category %v, want %v", got.CategoryID, id)
			}
		}
		ph := func(c *openboards.Category) string { return fmt.Sprintf("{Category:%d}", c.ID) }
		diff(t, "log", []logged{
			{openboards.ActionTicketCategoryChanged, b.cm.APIUserID, "removed the category " + ph(support)},
			{openboards.ActionTicketCategoryChanged, b.cm.APIUserID, "changed the category from " + ph(sales) + " to " + ph(support)},
			{openboards.ActionTicketCategoryChanged, b.cm.APIUserID, "set the category to " + ph(sales)},
			{openboards.ActionTicketCreated, b.customer.ID, "created the ticket"},
		}, b.log(t, tk.ID))
		entries, err := b.store.FindLogEntries(b.ctx, b.cm.ID, tk.ID, []string{openboards.ActionTicketCategoryChanged}, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "included categories", []openboards.CategoryRef{{ID: sales.ID, Name: "Sales"}, {ID: support.ID, Name: "Support"}}, entries[0].Included.Categories)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		closed := b.category(t, "Closed", ticket.CategoryInput{CanBeChosen: ptr(false)})
		tk := b.newTicket(t, ticket.CreateTicketInput{})
		wantErr(t, b.svc.UpdateTicketCategory(b.ctx, b.cm, tk.ID, &closed.ID), openboards.CodeInvalid, "cannot be chosen")
		wantErr(t, b.svc.UpdateTicketCategory(b.ctx, b.cm, tk.ID, ptr(closed.ID+1)), openboards.CodeInvalid, "not found")
		wantErr(t, b.svc.UpdateTicketCategory(b.ctx, b.cm, tk.ID+1, nil), openboards.CodeNotFound, "")
		diff(t, "ticket after refused changes", tk, b.ticket(t, tk.ID))
	})
}

func TestSetTicketTags(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tk := b.newTicket(t, ticket.CreateTicketInput{Tags: []string{"VIP"}})
	b.clock.advance(time.Minute)
	if err := b.svc.SetTicketTags(b.ctx, b.cm, tk.ID, []string{"vip", "Refund", "REFUND"}); err != nil {
		t.Fatal(err)
	}
	got := b.ticket(t, tk.ID)
	diff(t, "tags", []string{"VIP", "Refund"}, got.Tags)
	e := b.lastLog(t, tk.ID)
	if e.ActionType != openboards.ActionTicketTagsChanged || len(e.Included.Tags) != 2 ||
		e.ActionString != fmt.Sprintf("changed the tags of the ticket to {Tag:%d}, {Tag:%d}", e.Included.Tags[0].ID, e.Included.Tags[1].ID) ||
		e.Included.Tags[0].Name != "VIP" || e.Included.Tags[1].Name != "Refund" {
		t.Fatalf("log entry %+v", e)
	}

	// The same tags in another spelling change nothing.
	b.clock.advance(time.Minute)
	if err := b.svc.SetTicketTags(b.ctx, b.cm, tk.ID, []string{"VIP", "refund"}); err != nil {
		t.Fatal(err)
	}
	diff(t, "ticket after a no-op", got, b.ticket(t, tk.ID))
	if n := len(b.log(t, tk.ID)); n != 2 {
		t.Fatalf("log has %d entries, want 2", n)
	}

	if err := b.svc.SetTicketTags(b.ctx, b.cm, tk.ID, nil); err != nil {
		t.Fatal(err)
	}
	if got := b.ticket(t, tk.ID); len(got.Tags) != 0 {
		t.Fatalf("tags %v after clearing", got.Tags)
	}
	diff(t, "last log", logged{openboards.ActionTicketTagsChanged, b.cm.APIUserID, "removed all tags of the ticket"}, b.log(t, tk.ID)[0])

	wantErr(t, b.svc.SetTicketTags(b.ctx, b.cm, tk.ID, []string{strings.Repeat("t", 101)}), openboards.CodeInvalid, "tags[0]: longer than 100 characters")
	wantErr(t, b.svc.SetTicketTags(b.ctx, b.other, tk.ID, []string{"x"}), openboards.CodeNotFound, "")
}

func TestSetTicketFieldValues(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		order := b.field(t, &openboards.CustomField{Name: "Order", Type: openboards.FieldText})
		amount := b.field(t, &openboards.CustomField{Name: "Amount", Type: openboards.FieldNumber})
		tk := b.newTicket(t, ticket.CreateTicketInput{})
		set := func(in ...ticket.FieldValueInput) {
			t.Helper()
			b.clock.advance(time.Minute)
			if err := b.svc.SetTicketFieldValues(b.ctx, b.cm, tk.ID, in); err != nil {
				t.Fatal(err)
			}
		}
		set(ticket.FieldValueInput{ID: order.ID, Value: ptr(" A-1 ")}, ticket.FieldValueInput{ID: amount.ID, Value: ptr("12.5")})
		got := b.ticket(t, tk.ID)
		diff(t, "values", []openboards.FieldValue{{FieldID: order.ID, Value: "A-1"}, {FieldID: amount.ID, Value: "12.5"}}, got.CustomFields)
		if !got.UpdatedAt.Equal(b.clock.stored()) {
			t.Fatalf("UpdatedAt %v, want %v", got.UpdatedAt, b.clock.stored())
		}
		set(ticket.FieldValueInput{ID: order.ID, Value: ptr("A-2")})
		set(ticket.FieldValueInput{ID: order.ID, Value: nil})
		diff(t, "values", []openboards.FieldValue{{FieldID: amount.ID, Value: "12.5"}}, b.ticket(t, tk.ID).CustomFields)
		diff(t, "log", []logged{
			{openboards.ActionTicketCustomFieldChanged, b.cm.APIUserID, `cleared "Order" (was "A-2")`},
			{openboards.ActionTicketCustomFieldChanged, b.cm.APIUserID, `changed "Order" from "A-1" to "A-2"`},
			{openboards.ActionTicketCustomFieldChanged, b.cm.APIUserID, `set "Amount" to "12.5"`},
			{openboards.ActionTicketCustomFieldChanged, b.cm.APIUserID, `set "Order" to "A-1"`},
			{openboards.ActionTicketCreated, b.customer.ID, "created the ticket"},
		}, b.log(t, tk.ID))

		// Setting what is there changes nothing.
		before := b.ticket(t, tk.ID)
		set(ticket.FieldValueInput{ID: amount.ID, Value: ptr("12.5")}, ticket.FieldValueInput{ID: order.ID, Value: ptr("")})
		diff(t, "ticket after a no-op", before, b.ticket(t, tk.ID))
		if n := len(b.log(t, tk.ID)); n != 5 {
			t.Fatalf("a no-op logged: %d entries", n)
		}
	})
	t.Run("Sensitive", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ssn := b.field(t, &openboards.CustomField{Name: "SSN", Type: openboards.FieldText, IsSensitiveData: true})
		tk := b.newTicket(t, ticket.CreateTicketInput{})
		for _, v := range []string{"123-45-6789", "987-65-4321", ""} {
			if err := b.svc.SetTicketFieldValues(b.ctx, b.cm, tk.ID, []ticket.FieldValueInput{{ID: ssn.ID, Value: &v}}); err != nil {
				t.Fatal(err)
			}
		}
		entries := b.log(t, tk.ID)
		diff(t, "log", []logged{
			{openboards.ActionTicketCustomFieldChanged, b.cm.APIUserID, `changed "SSN"`},
			{openboards.ActionTicketCustomFieldChanged, b.cm.APIUserID, `changed "SSN"`},
			{openboards.ActionTicketCustomFieldChanged, b.cm.APIUserID, `changed "SSN"`},
			{openboards.ActionTicketCreated, b.customer.ID, "created the ticket"},
		}, entries)
	})
	t.Run("ErrRequired", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		order := b.field(t, &openboards.CustomField{Name: "Order", Type: openboards.FieldText, IsRequired: true})
		tk := b.newTicket(t, ticket.CreateTicketInput{CustomFields: []ticket.FieldValueInput{{ID: order.ID, Value: ptr("A-1")}}})
		for _, v := range []*string{nil, ptr("")} {
			err := b.svc.SetTicketFieldValues(b.ctx, b.cm, tk.ID, []ticket.FieldValueInput{{ID: order.ID, Value: v}})
			wantErr(t, err, openboards.CodeInvalid, fmt.Sprintf(`value: custom field %d ("Order") is required and cannot be cleared`, order.ID))
		}
		diff(t, "values", []openboards.FieldValue{{FieldID: order.ID, Value: "A-1"}}, b.ticket(t, tk.ID).CustomFields)
	})
	t.Run("ErrLeavesNoTrace", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		order := b.field(t, &openboards.CustomField{Name: "Order", Type: openboards.FieldText})
		amount := b.field(t, &openboards.CustomField{Name: "Amount", Type: openboards.FieldNumber})
		tk := b.newTicket(t, ticket.CreateTicketInput{})
		b.clock.advance(time.Minute)
		err := b.svc.SetTicketFieldValues(b.ctx, b.cm, tk.ID, []ticket.FieldValueInput{{ID: order.ID, Value: ptr("A-1")}, {ID: amount.ID, Value: ptr("lots")}})
		wantErr(t, err, openboards.CodeInvalid, `[1].value: "lots" is not a number`)
		err = b.svc.SetTicketFieldValues(b.ctx, b.cm, tk.ID, []ticket.FieldValueInput{{ID: order.ID, Value: ptr("A-1")}, {ID: 12345, Value: ptr("x")}})
		wantErr(t, err, openboards.CodeInvalid, "[1].id: custom field 12345 not found")
		diff(t, "ticket after refused changes", tk, b.ticket(t, tk.ID))
		diff(t, "log after refused changes", []logged{{openboards.ActionTicketCreated, b.customer.ID, "created the ticket"}}, b.log(t, tk.ID))
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		amount := b.field(t, &openboards.CustomField{Name: "Amount", Type: openboards.FieldNumber})
		tk := b.newTicket(t, ticket.CreateTicketInput{})
		wantErr(t, b.svc.SetTicketFieldValues(b.ctx, b.cm, tk.ID, nil), openboards.CodeInvalid, "id: give a custom field id and value")
		wantErr(t, b.svc.SetTicketFieldValues(b.ctx, b.cm, tk.ID, []ticket.FieldValueInput{{ID: amount.ID, Value: ptr("x")}}),
			openboards.CodeInvalid, `value: "x" is not a number`)
		wantErr(t, b.svc.SetTicketFieldValues(b.ctx, b.cm, tk.ID, []ticket.FieldValueInput{{ID: amount.ID + 1, Value: ptr("1")}}),
			openboards.CodeInvalid, fmt.Sprintf("id: custom field %d not found", amount.ID+1))
		// Another community's field is unknown here.
		theirs := &openboards.CustomField{Name: "Theirs", Type: openboards.FieldText}
		if err := b.svc.CreateCustomField(b.ctx, b.other, theirs); err != nil {
			t.Fatal(err)
		}
		wantErr(t, b.svc.SetTicketFieldValues(b.ctx, b.cm, tk.ID, []ticket.FieldValueInput{{ID: theirs.ID, Value: ptr("x")}}),
			openboards.CodeInvalid, "not found")
	})
}

func TestMarkRead(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tk := b.newTicket(t, ticket.CreateTicketInput{})
	b.clock.advance(time.Minute)
	if err := b.svc.MarkRead(b.ctx, b.cm, tk.ID, openboards.UserRef{Email: "MEMBER@example.com"}); err != nil {
		t.Fatal(err)
	}
	e := b.lastLog(t, tk.ID)
	if e.ActionType != openboards.ActionTicketRead || e.UserID != b.member.ID || e.ActionString != "read the ticket" || !e.CreatedAt.Equal(b.clock.stored()) {
		t.Fatalf("log entry %+v", e)
	}
	// Reading is not a change to the ticket.
	diff(t, "ticket", tk, b.ticket(t, tk.ID))

	wantErr(t, b.svc.MarkRead(b.ctx, b.cm, tk.ID, openboards.UserRef{ID: b.customer.ID}), openboards.CodeInvalid, "user: user "+b.customer.ID+" is not a teammate")
	wantErr(t, b.svc.MarkRead(b.ctx, b.cm, tk.ID, openboards.UserRef{}), openboards.CodeInvalid, "user: required")
	wantErr(t, b.svc.MarkRead(b.ctx, b.cm, tk.ID, openboards.UserRef{Email: "nobody@example.com"}), openboards.CodeInvalid, "user: ")
	wantErr(t, b.svc.MarkRead(b.ctx, b.cm, tk.ID+1, openboards.UserRef{ID: b.member.ID}), openboards.CodeNotFound, "")
	if n := len(b.log(t, tk.ID)); n != 2 {
		t.Fatalf("refused reads logged: %d entries, want 2", n)
	}
}
