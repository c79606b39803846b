package api_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// timePattern is the documented time format: up to 7 fractional digits
// and a numeric offset, never "Z".
var timePattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?[+-]\d\d:\d\d$`)

// apiTime formats t as the API prints it.
func apiTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.9999999-07:00") }

func TestTicketCreate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)

	t.Run("OK", func(t *testing.T) {
		got := b.ticket(t, f.ticket)
		if got.Title != "New car price list." || got.Message != "Hello I want to buy a new car, how can I get a price list?" ||
			got.HTMLMessage != got.Message || got.Status != "open" || got.Source != "api" || got.Sentiment == nil || *got.Sentiment != "question" {
			t.Errorf("got %+v", got)
		}
		if got.Author == nil || got.Author.Name != "Bill Smith" || got.Author.Email == nil || *got.Author.Email != "bill_smith@gmail.com" ||
			got.Author.Status != "client" || got.Author.IsBot {
			t.Errorf("author %+v", got.Author)
		}
		if got.Category == nil || *got.Category != (refView{f.acme, "ACME Corp"}) {
			t.Errorf("category %+v, want ACME Corp", got.Category)
		}
		if got.LockedBy == nil || got.LockedBy.ID != b.agent.ID || got.LockedBy.Status != "team" {
			t.Errorf("lockedBy %+v, want the agent", got.LockedBy)
		}
		if diff := cmp.Diff([]fieldValueView{{f.number, "42"}, {f.region, "Oslo"}}, got.CustomFields); diff != "" {
			t.Errorf("customFields (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"VIP", "Billing"}, got.Tags); diff != "" {
			t.Errorf("tags (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]attachmentView{{false, "filename.png", "https://your.attachment.url/filename.png"}}, got.Attachments); diff != "" {
			t.Errorf("attachments (-want +got):\n%s", diff)
		}
		if !got.Properties["isLocked"] || !got.Properties["hasAttachments"] || got.Properties["hasDraft"] {
			t.Errorf("properties %v", got.Properties)
		}
		if got.CreationTime != apiTime(start) || !timePattern.MatchString(got.CreationTime) {
			t.Errorf("creationTime %q, want %q", got.CreationTime, apiTime(start))
		}
		log := b.log(t, f.ticket)
		created, assigned := log[len(log)-1], log[len(log)-2]
		if created.ActionType != "ticket_created" || created.User == nil || created.User.ID != got.Author.ID {
			t.Errorf("first log entry %+v, want ticket_created by the customer", created)
		}
		if assigned.ActionType != "ticket_assigned_to_user" || assigned.User.ID != b.cm.APIUserID ||
			len(assigned.IncludedItems.Users) != 1 || assigned.IncludedItems.Users[0].ID != b.agent.ID {
			t.Errorf("second log entry %+v, want ticket_assigned_to_user of the agent by the API user", assigned)
		}
	})

	t.Run("Defaults", func(t *testing.T) {
		id := b.createTicket(t, map[string]any{"message": "Only a message", "creator": map[string]any{"customIdentifier": " CUST-1 "}})
		got := b.ticket(t, id)
		if got.Title != "" || got.Category != nil || got.LockedBy != nil || got.Sentiment != nil || got.SourceName != nil ||
			len(got.Tags) != 0 || got.Tags == nil || len(got.Attachments) != 0 || got.Attachments == nil || got.CustomFields == nil {
			t.Errorf("got %+v, want empty optional fields (arrays as [])", got)
		}
		if got.Author.CustomIdentifier == nil || *got.Author.CustomIdentifier != "cust-1" || got.Author.Name != "cust-1" {
			t.Errorf("author %+v, want the custom identifier trimmed and lower-cased", got.Author)
		}
	})

	t.Run("ExistingCustomer", func(t *testing.T) {
		first := b.ticket(t, f.ticket).Author
		id := b.createTicket(t, map[string]any{"title": "Again", "creator": map[string]any{"email": "BILL_SMITH@gmail.com", "name": "William Smith"}})
		got := b.ticket(t, id).Author
		if got.ID != first.ID || got.Name != "William Smith" {
			t.Fatalf("author %+v, want customer %s renamed", got, first.ID)
		}
	})

	t.Run("HTML", func(t *testing.T) {
		id := b.createTicket(t, map[string]any{
			"title": "HTML", "creator": customer("Bill Smith", "bill_smith@gmail.com"),
			"message": `<p onclick="steal()">Hello <b>world</b></p><script>alert("x")</script>`,
		})
		got := b.ticket(t, id)
		if strings.Contains(got.HTMLMessage, "<script") || strings.Contains(got.HTMLMessage, "alert") || strings.Contains(got.HTMLMessage, "onclick") {
			t.Errorf("htmlMessage %q keeps script", got.HTMLMessage)
		}
		if !strings.Contains(got.HTMLMessage, "<b>world</b>") {
			t.Errorf("htmlMessage %q lost the formatting", got.HTMLMessage)
		}
		if got.Message != "Hello world" {
			t.Errorf("message %q, want the plain text", got.Message)
		}
	})

	t.Run("PlainText", func(t *testing.T) {
		id := b.createTicket(t, map[string]any{
			"title": "Text", "isHtml": false, "creator": customer("Bill Smith", "bill_smith@gmail.com"),
			"message": "1 < 2\n<b>not bold</b>",
		})
		got := b.ticket(t, id)
		if got.Message != "1 < 2\n<b>not bold</b>" || got.HTMLMessage != "1 &lt; 2<br>&lt;b&gt;not bold&lt;/b&gt;" {
			t.Errorf("message %q, htmlMessage %q", got.Message, got.HTMLMessage)
		}
	})

	t.Run("PascalCase", func(t *testing.T) {
		id := b.createTicket(t, map[string]any{
			"Title": "Old client", "Message": "Hi", "CategoryId": f.dunder, "Sentiment": "Complaint", "SourceName": "Web form",
			"Creator": map[string]any{"Name": "Ann Smith", "Email": "ann_smith@gmail.com"}, "Tags": []string{"legacy"},
			"CustomFields": []map[string]any{{"Id": f.size, "Value": "large"}},
		})
		got := b.ticket(t, id)
		if got.Title != "Old client" || got.Category == nil || got.Category.ID != f.dunder || *got.Sentiment != "complaint" ||
			*got.SourceName != "Web form" || got.Author.Name != "Ann Smith" || !slices.Equal(got.Tags, []string{"legacy"}) ||
			!slices.Equal(got.CustomFields, []fieldValueView{{f.size, "Large"}}) {
			t.Fatalf("got %+v", got)
		}
	})

	t.Run("NoAssignee", func(t *testing.T) {
		for _, v := range []any{nil, "null", ""} {
			body := simpleTicket("Unassigned")
			body["assigneeId"] = v
			if got := b.ticket(t, b.createTicket(t, body)); got.LockedBy != nil {
				t.Errorf("assigneeId %#v: lockedBy %+v, want null", v, got.LockedBy)
			}
		}
	})

	t.Run("CategoryZero", func(t *testing.T) {
		body := simpleTicket("Uncategorised")
		body["categoryId"] = 0
		if got := b.ticket(t, b.createTicket(t, body)).Category; got != nil {
			t.Fatalf("categoryId 0: category %+v, want null", got)
		}
	})

	with := func(kv ...any) map[string]any {
		body := simpleTicket("Rejected")
		for i := 0; i+1 < len(kv); i += 2 {
			body[kv[i].(string)] = kv[i+1]
		}
		return body
	}
	b.reject(t, b.client, []rejected{
		{"ErrMalformed", "POST", "/tickets", `{"title":`, 400, "invalid JSON"},
		{"ErrEmptyBody", "POST", "/tickets", nil, 400, "a JSON body is required"},
		{"ErrArrayBody", "POST", "/tickets", `[]`, 400, "body: must be an object"},
		{"ErrCategoryType", "POST", "/tickets", with("categoryId", "15597"), 400, "categoryId: must be an integer"},
		{"ErrTitleType", "POST", "/tickets", with("title", 5), 400, "title: must be a string"},
		{"ErrTagsType", "POST", "/tickets", with("tags", "VIP"), 400, "tags: must be an array"},
		{"ErrCreatorType", "POST", "/tickets", with("creator", "Bill"), 400, "creator: must be an object"},
		{"ErrIsHTMLType", "POST", "/tickets", with("isHtml", "yes"), 400, "isHtml: must be true or false"},
		{"ErrFieldIDType", "POST", "/tickets", with("customFields", []map[string]any{{"id": "x", "value": "1"}}), 400, "customFields.id: must be an integer"},
		{"ErrNoTitleOrMessage", "POST", "/tickets", with("title", "", "message", ""), 400, "title: a ticket needs a title or a message"},
		{"ErrNoCreator", "POST", "/tickets", with("creator", nil), 400, "creator: required"},
		{"ErrCreatorNoKey", "POST", "/tickets", with("creator", map[string]any{"name": "Bill"}), 400, "creator: give an email or a customIdentifier"},
		{"ErrCreatorEmail", "POST", "/tickets", with("creator", map[string]any{"email": "bill"}), 400, "creator.email"},
		{"ErrCreatorUnknownID", "POST", "/tickets", with("creator", map[string]any{"id": "3561ab34-b6bd-4998-97e6-4ad5a58a89e8"}), 400, "creator: user"},
		{"ErrSentiment", "POST", "/tickets", with("sentiment", "angry"), 400, "sentiment: unknown sentiment"},
		{"ErrCC", "POST", "/tickets", with("cc", []string{"ann@example.com", "nobody"}), 400, "cc[1]"},
		{"ErrAttachmentURL", "POST", "/tickets", with("attachments", []map[string]any{{"url": "file:///etc/passwd"}}), 400, "attachments[0].url"},
		{"ErrEmptyTag", "POST", "/tickets", with("tags", []string{"ok", " "}), 400, "tags[1]: empty tag name"},
		{"ErrUnknownCategory", "POST", "/tickets", with("categoryId", 999), 400, "categoryId: category 999 not found"},
		{"ErrCategoryNotChoosable", "POST", "/tickets", with("categoryId", f.locked), 400, "cannot be chosen"},
		{"ErrAssigneeNotGUID", "POST", "/tickets", with("assigneeId", "anna"), 400, "assigneeId"},
		{"ErrAssigneeUnknown", "POST", "/tickets", with("assigneeId", "3561ab34-b6bd-4998-97e6-4ad5a58a89e8"), 400, "assigneeId: no teammate"},
		{"ErrAssigneeReadOnly", "POST", "/tickets", with("assigneeId", b.viewer.ID), 400, "cannot be assigned"},
		{"ErrUnknownField", "POST", "/tickets", with("customFields", []map[string]any{{"id": 999, "value": "1"}}), 400, "customFields[0].id: custom field 999 not found"},
		{"ErrFieldValue", "POST", "/tickets", with("customFields", []map[string]any{{"id": f.region, "value": "Oslo"}, {"id": f.number, "value": "many"}}), 400, `customFields[1].value: "many" is not a number`},
		{"ErrFieldNoID", "POST", "/tickets", with("customFields", []map[string]any{{"value": "1"}}), 400, "customFields[0].id: required"},
		// The known customer would be renamed, but the failure later in the
		// same request undoes that too.
		{"ErrRollsBackCreator", "POST", "/tickets", with("creator", customer("Renamed Bill", "bill_smith@gmail.com"), "categoryId", 999), 400, "categoryId: category 999 not found"},
	})
}

func TestTicketRequiredCustomFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	required := decode[customFieldView](t, b.ok(t, "POST", "/customfields", map[string]any{"name": "Customer number", "type": "text", "isRequired": true})).ID
	withDefault := decode[customFieldView](t, b.ok(t, "POST", "/customfields", map[string]any{
		"name": "Channel", "type": "dropdown", "defaultValue": "phone",
		"possibleValues": []map[string]any{{"order": 1, "value": "Phone"}, {"order": 2, "value": "Email"}},
	})).ID
	body := func(fields ...map[string]any) map[string]any {
		m := simpleTicket("Needs fields")
		m["customFields"] = fields
		return m
	}
	want := fmt.Sprintf(`customFields: custom field %d ("Customer number") is required`, required)
	b.reject(t, b.client, []rejected{
		{"ErrMissing", "POST", "/tickets", simpleTicket("No fields"), 400, want},
		{"ErrEmpty", "POST", "/tickets", body(map[string]any{"id": required, "value": ""}), 400, want},
		{"ErrNull", "POST", "/tickets", body(map[string]any{"id": required, "value": nil}), 400, want},
	})

	t.Run("OK", func(t *testing.T) {
		id := b.createTicket(t, body(map[string]any{"id": required, "value": " A-17 "}))
		got := b.ticket(t, id).CustomFields
		if diff := cmp.Diff([]fieldValueView{{required, "A-17"}, {withDefault, "Phone"}}, got); diff != "" {
			t.Fatalf("customFields (-want +got):\n%s", diff)
		}
	})
	t.Run("OverrideDefault", func(t *testing.T) {
		id := b.createTicket(t, body(map[string]any{"id": required, "value": "A-18"}, map[string]any{"id": withDefault, "value": "email"}))
		got := b.ticket(t, id).CustomFields
		if diff := cmp.Diff([]fieldValueView{{required, "A-18"}, {withDefault, "Email"}}, got); diff != "" {
			t.Fatalf("customFields (-want +got):\n%s", diff)
		}
	})
	t.Run("ErrClear", func(t *testing.T) {
		id := b.listIDs(t, nil)[0]
		path := fmt.Sprintf("/tickets/%d/customfields", id)
		b.reject(t, b.client, []rejected{
			{"Null", "PATCH", path, map[string]any{"id": required, "value": nil}, 400, "is required and cannot be cleared"},
			{"Empty", "PATCH", path, map[string]any{"id": required, "value": ""}, 400, "is required and cannot be cleared"},
		})
	})
}

func TestTicketGet(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)
	if got := b.ticket(t, f.plain); got.ID != f.plain || got.Title != "Where is my order?" {
		t.Fatalf("got %+v", got)
	}
	b.fail(t, "GET", "/tickets/999", nil, 404, "ticket 999 not found")
	b.fail(t, "GET", "/tickets/abc", nil, 400, `id: "abc" is not a positive integer id`)
	b.fail(t, "GET", "/tickets/0", nil, 400, "not a positive integer id")
	b.fail(t, "GET", "/tickets/-1", nil, 400, "not a positive integer id")
}

// step is the time between the tickets of listFixture.
const step = 10 * time.Minute

// listFixture makes three tickets one step apart and then answers the
// first, so that creation order (t1, t2, t3) and activity order (t2, t3,
// t1) differ:
//
//	t1  T0         category Customers  region Oslo    number 1  open
//	t2  T0+step    uncategorised       region Oslo    number 2  pending
//	t3  T0+2 step  category ACME       region Bergen  number 1  completed
type listFixture struct {
	t1, t2, t3      int64
	customers, acme int64
	region, number  int64
	t0, t1Activity  time.Time
}

func (b *bundle) listFixture(t *testing.T) listFixture {
	t.Helper()
	var lf listFixture
	lf.customers = decode[categoryView](t, b.ok(t, "POST", "/categories", map[string]any{"name": "Customers"})).ID
	lf.acme = decode[categoryView](t, b.ok(t, "POST", "/categories", map[string]any{"name": "ACME", "parentId": lf.customers})).ID
	lf.region = decode[customFieldView](t, b.ok(t, "POST", "/customfields", map[string]any{"name": "Region", "type": "region",
		"possibleValues": []map[string]any{{"order": 1, "value": "Oslo"}, {"order": 2, "value": "Bergen"}}})).ID
	lf.number = decode[customFieldView](t, b.ok(t, "POST", "/customfields", map[string]any{"name": "Number", "type": "number"})).ID
	mk := func(category any, region, number string) int64 {
		body := simpleTicket("List " + region + " " + number)
		if category != nil {
			body["categoryId"] = category
		}
		body["customFields"] = []map[string]any{{"id": lf.region, "value": region}, {"id": lf.number, "value": number}}
		id := b.createTicket(t, body)
		b.clock.Advance(step)
		return id
	}
	lf.t0 = b.clock.Now()
	lf.t1 = mk(lf.customers, "Oslo", "1")
	lf.t2 = mk(nil, "Oslo", "2")
	lf.t3 = mk(lf.acme, "Bergen", "1")
	b.ok(t, "PATCH", fmt.Sprintf("/tickets/%d/status", lf.t2), map[string]any{"status": "pending"})
	b.ok(t, "PATCH", fmt.Sprintf("/tickets/%d/status", lf.t3), map[string]any{"status": "completed"})
	lf.t1Activity = b.clock.Now()
	b.ok(t, "POST", fmt.Sprintf("/tickets/%d/replies", lf.t1), map[string]any{
		"author": map[string]any{"email": "anna.agent@example.com"}, "message": "On it", "suppressTicketStatusAutoupdate": true,
	})
	return lf
}

func TestTicketList(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lf := b.listFixture(t)
	t1, t2, t3 := lf.t1, lf.t2, lf.t3
	at := func(d time.Duration, zone *time.Location) string {
		return lf.t0.Add(d).In(zone).Format("2006-01-02T15:04:05.9999999-07:00")
	}
	cet := time.FixedZone("CET", 3600)

	cases := []struct {
		name   string
		filter any
		want   []int64
	}{
		{"NoBody", nil, []int64{t1, t3, t2}},
		{"Empty", map[string]any{}, []int64{t1, t3, t2}},
		{"Status", map[string]any{"status": "pending"}, []int64{t2}},
		{"StatusAnyCase", map[string]any{"status": "OPEN"}, []int64{t1}},
		{"StatusEmpty", map[string]any{"status": ""}, []int64{t1, t3, t2}},
		{"Source", map[string]any{"source": "api"}, []int64{t1, t3, t2}},
		{"SourceAnyCase", map[string]any{"source": "API"}, []int64{t1, t3, t2}},
		{"SourceOther", map[string]any{"source": "web"}, nil},
		{"Category", map[string]any{"categoryId": lf.customers}, []int64{t1}},
		{"Subcategory", map[string]any{"categoryId": lf.acme}, []int64{t3}},
		{"Uncategorised", map[string]any{"categoryId": nil}, []int64{t2}},
		{"UncategorisedPascalCase", `{"CategoryId": null}`, []int64{t2}},
		{"AnyCategory", map[string]any{"status": nil}, []int64{t1, t3, t2}},
		{"CustomField", map[string]any{"customFields": []map[string]any{{"key": lf.region, "value": "Oslo"}}}, []int64{t1, t2}},
		{"CustomFieldsAnd", map[string]any{"customFields": []map[string]any{{"key": lf.region, "value": "Oslo"}, {"key": lf.number, "value": 1}}}, []int64{t1}},
		{"CustomFieldsNone", map[string]any{"customFields": []map[string]any{{"key": lf.region, "value": "Bergen"}, {"key": lf.number, "value": "2"}}}, nil},
		{"CustomFieldByID", map[string]any{"customFields": []map[string]any{{"id": lf.region, "value": "Bergen"}}}, []int64{t3}},
		{"CustomFieldCanonical", map[string]any{"customFields": []map[string]any{{"key": lf.region, "value": "oslo"}}}, []int64{t1, t2}},
		{"CustomFieldInvalidValue", map[string]any{"customFields": []map[string]any{{"key": lf.number, "value": "one"}}}, nil},
		{"TicketIDsEmpty", map[string]any{"ticketIds": []int64{}}, nil},
		{"From", map[string]any{"from": at(step/2, time.UTC)}, []int64{t3, t2}},
		{"FromInclusive", map[string]any{"from": at(step, time.UTC)}, []int64{t3, t2}},
		{"FromOffset", map[string]any{"from": at(step, cet)}, []int64{t3, t2}},
		{"To", map[string]any{"to": at(step*3/2, time.UTC)}, []int64{t1, t2}},
		{"ToInclusive", map[string]any{"to": at(step, cet)}, []int64{t1, t2}},
		{"FromTo", map[string]any{"from": at(step, time.UTC), "to": at(step, time.UTC)}, []int64{t2}},
		{"TicketIDs", map[string]any{"ticketIds": []int64{t3, t1, 999}}, []int64{t1, t3}},
		{"Combined", map[string]any{"status": "open", "categoryId": lf.customers, "source": "api"}, []int64{t1}},
		{"CombinedNone", map[string]any{"status": "pending", "categoryId": lf.customers}, nil},
		{"OrderActivityDesc", map[string]any{"orderBy": "last_thread_activity_desc"}, []int64{t1, t3, t2}},
		{"OrderActivityAsc", map[string]any{"orderBy": "last_thread_activity_asc"}, []int64{t2, t3, t1}},
		{"OrderCreationDesc", map[string]any{"orderBy": "creation_time_desc"}, []int64{t3, t2, t1}},
		{"OrderCreationAsc", map[string]any{"orderBy": "creation_time_asc"}, []int64{t1, t2, t3}},
		{"OrderAnyCase", map[string]any{"orderBy": "Creation_Time_Asc"}, []int64{t1, t2, t3}},
		{"Skip", map[string]any{"skip": 1, "take": 1}, []int64{t3}},
		{"KeyAnyCase", map[string]any{"Status": "completed"}, []int64{t3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, b.listIDs(t, tc.filter)); diff != "" {
				t.Errorf("list (-want +got):\n%s", diff)
			}
			// POST /tickets/ids takes the same filter.
			ids := decode[[]int64](t, b.ok(t, "POST", "/tickets/ids", tc.filter))
			if diff := cmp.Diff(tc.want, ids, cmpEmpty); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("FullObjects", func(t *testing.T) {
		list := decode[[]ticketView](t, b.ok(t, "POST", "/tickets/list", map[string]any{"ticketIds": []int64{t1}}))
		if len(list) != 1 {
			t.Fatalf("got %d tickets", len(list))
		}
		if diff := cmp.Diff(b.ticket(t, t1), list[0]); diff != "" {
			t.Fatalf("list element differs from GET /tickets/%d (-get +list):\n%s", t1, diff)
		}
		if got := list[0].LastThreadElementCreationTime; got != apiTime(lf.t1Activity) {
			t.Fatalf("lastThreadElementCreationTime %s, want %s", got, apiTime(lf.t1Activity))
		}
	})

	for _, path := range []string{"/tickets/list", "/tickets/ids"} {
		t.Run("Err"+path, func(t *testing.T) {
			for _, tc := range []struct {
				body any
				text string
			}{
				{`{"status":`, "invalid JSON"},
				{`[]`, "body: must be an object"},
				{map[string]any{"status": "closed"}, `status: unknown status "closed"`},
				{map[string]any{"status": 1}, "status: must be a string"},
				{map[string]any{"orderBy": "newest"}, `orderBy: unknown order "newest"`},
				{map[string]any{"categoryId": "33527"}, "categoryId: must be an integer"},
				{map[string]any{"ticketIds": "1"}, "ticketIds: must be"},
				{map[string]any{"ticketIds": []string{"1"}}, "ticketIds: must be an integer"},
				{map[string]any{"skip": "a"}, "skip: must be an integer"},
				{map[string]any{"take": 2.5}, "take: must be an integer"},
				{map[string]any{"from": "yesterday"}, `from: "yesterday" is not a date-time`},
				{map[string]any{"to": "2020-01-01"}, "to:"},
				{map[string]any{"customFields": []map[string]any{{"value": "Oslo"}}}, "customFields[0].key: required"},
				{map[string]any{"customFields": []map[string]any{{"key": lf.region}}}, "customFields[0].value: required"},
				{map[string]any{"customFields": []map[string]any{{"key": "x", "value": "Oslo"}}}, "customFields.key: must be an integer"},
				{map[string]any{"customFields": []map[string]any{{"key": lf.region, "value": "Oslo"}, {"key": 999, "value": "x"}}}, "customFields[1].key: custom field 999 not found"},
				{map[string]any{"ticketIds": make([]int64, 1001)}, "ticketIds: more than 1000 ids"},
			} {
				b.fail(t, "POST", path, tc.body, 400, tc.text)
			}
		})
	}
}

// TestTypeErrorNamesArray checks the wording of a type error on an array
// of integers.
func TestTypeErrorNamesArray(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fail(t, "POST", "/tickets/list", map[string]any{"ticketIds": "1"}, 400, "ticketIds: must be an array")
	b.fail(t, "POST", "/customfields", map[string]any{"name": "X", "type": "text", "assignedCategoryIds": 1}, 400, "assignedCategoryIds: must be an array")
}

// cmpEmpty treats nil and empty slices alike.
var cmpEmpty = cmp.Transformer("empty", func(s []int64) []int64 {
	if len(s) == 0 {
		return nil
	}
	return s
})

func TestTicketListPaging(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const n = 55
	ids := make([]int64, n) // in creation order
	for i := range ids {
		ids[i] = b.createTicket(t, simpleTicket(fmt.Sprintf("Ticket %d", i)))
		b.clock.Advance(time.Second)
	}
	newest := slices.Clone(ids)
	slices.Reverse(newest)

	cases := []struct {
		name   string
		filter any
		want   []int64
	}{
		{"DefaultTake", nil, newest[:25]},
		{"TakeZero", map[string]any{"take": 0}, newest[:25]},
		{"TakeNegative", map[string]any{"take": -3}, newest[:25]},
		{"TakeMax", map[string]any{"take": 50}, newest[:50]},
		{"TakeOverMax", map[string]any{"take": 100}, newest[:50]},
		{"Skip", map[string]any{"skip": 5, "take": 10}, newest[5:15]},
		{"SkipNegative", map[string]any{"skip": -5, "take": 2}, newest[:2]},
		{"LastPage", map[string]any{"skip": 50, "take": 50}, newest[50:]},
		{"PastTheEnd", map[string]any{"skip": 60}, nil},
		{"Ascending", map[string]any{"orderBy": "creation_time_asc", "skip": 25, "take": 50}, ids[25:]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, b.listIDs(t, tc.filter)); diff != "" {
				t.Errorf("list (-want +got):\n%s", diff)
			}
			got := decode[[]int64](t, b.ok(t, "POST", "/tickets/ids", tc.filter))
			if diff := cmp.Diff(tc.want, got, cmpEmpty); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTicketAssignee(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)
	path := func(id int64) string { return fmt.Sprintf("/tickets/%d/assignee", id) }

	t.Run("NoPreviousAssignee", func(t *testing.T) {
		for _, prev := range []any{nil, "null", "NULL", ""} {
			id := b.createTicket(t, simpleTicket("Assign me"))
			b.ok(t, "PATCH", path(id), map[string]any{"assigneeId": b.agent.ID, "previousAssigneeId": prev})
			got := b.ticket(t, id)
			if got.LockedBy == nil || got.LockedBy.ID != b.agent.ID || !got.Properties["isLocked"] {
				t.Fatalf("previousAssigneeId %#v: lockedBy %+v, want the agent", prev, got.LockedBy)
			}
			e := b.log(t, id)[0]
			if e.ActionType != "ticket_assigned_to_user" || e.ActionString != "changed ticket assignee to {User:"+b.agent.ID+"}" ||
				e.User.ID != b.cm.APIUserID || len(e.IncludedItems.Users) != 1 || e.IncludedItems.Users[0].ID != b.agent.ID {
				t.Fatalf("log entry %+v", e)
			}
		}
	})

	t.Run("Reassign", func(t *testing.T) {
		b.ok(t, "PATCH", path(f.ticket), map[string]any{"assigneeId": b.admin.ID, "previousAssigneeId": strings.ToUpper(b.agent.ID)})
		if got := b.ticket(t, f.ticket).LockedBy; got == nil || got.ID != b.admin.ID {
			t.Fatalf("lockedBy %+v, want the admin", got)
		}
	})

	t.Run("Unchanged", func(t *testing.T) {
		before := len(b.log(t, f.ticket))
		b.ok(t, "PATCH", path(f.ticket), map[string]any{"assigneeId": b.admin.ID, "previousAssigneeId": b.admin.ID})
		if after := len(b.log(t, f.ticket)); after != before {
			t.Fatalf("log grew from %d to %d entries for a no-op", before, after)
		}
	})

	b.reject(t, b.client, []rejected{
		{"ErrMismatch", "PATCH", path(f.ticket), map[string]any{"assigneeId": b.agent.ID, "previousAssigneeId": b.agent.ID}, 409, "previousAssigneeId: the ticket is assigned to " + b.admin.ID},
		{"ErrMismatchNull", "PATCH", path(f.ticket), map[string]any{"assigneeId": b.agent.ID, "previousAssigneeId": nil}, 409, "previousAssigneeId"},
		{"ErrMismatchUnassigned", "PATCH", path(f.plain), map[string]any{"assigneeId": b.agent.ID, "previousAssigneeId": b.admin.ID}, 409, "the ticket is unassigned"},
		{"ErrNoAssigneeID", "PATCH", path(f.plain), map[string]any{"previousAssigneeId": nil}, 400, "assigneeId: required"},
		{"ErrNoPreviousAssigneeID", "PATCH", path(f.plain), map[string]any{"assigneeId": b.agent.ID}, 400, "previousAssigneeId: required"},
		{"ErrPreviousNotGUID", "PATCH", path(f.plain), map[string]any{"assigneeId": b.agent.ID, "previousAssigneeId": "anna"}, 400, `previousAssigneeId: "anna" is not a GUID`},
		{"ErrAssigneeNotGUID", "PATCH", path(f.plain), map[string]any{"assigneeId": "anna", "previousAssigneeId": nil}, 400, "assigneeId"},
		{"ErrAssigneeType", "PATCH", path(f.plain), map[string]any{"assigneeId": 7, "previousAssigneeId": nil}, 400, "assigneeId: must be a string"},
		{"ErrAssigneeUnknown", "PATCH", path(f.plain), map[string]any{"assigneeId": "3561ab34-b6bd-4998-97e6-4ad5a58a89e8", "previousAssigneeId": nil}, 400, "assigneeId: no teammate"},
		{"ErrAssigneeReadOnly", "PATCH", path(f.plain), map[string]any{"assigneeId": b.viewer.ID, "previousAssigneeId": nil}, 400, "cannot be assigned"},
		{"ErrAssigneeBot", "PATCH", path(f.plain), map[string]any{"assigneeId": b.cm.APIUserID, "previousAssigneeId": nil}, 400, "cannot be assigned"},
		{"ErrMalformed", "PATCH", path(f.plain), `{"assigneeId":}`, 400, "invalid JSON"},
		{"ErrEmptyBody", "PATCH", path(f.plain), nil, 400, "a JSON body is required"},
		{"ErrNotFound", "PATCH", path(999), map[string]any{"assigneeId": b.agent.ID, "previousAssigneeId": nil}, 404, "ticket 999 not found"},
		{"ErrBadID", "PATCH", "/tickets/x/assignee", map[string]any{"assigneeId": b.agent.ID, "previousAssigneeId": nil}, 400, `id: "x"`},
	})

	t.Run("Unassign", func(t *testing.T) {
		b.ok(t, "PATCH", path(f.ticket), map[string]any{"assigneeId": nil, "previousAssigneeId": b.admin.ID})
		got := b.ticket(t, f.ticket)
		if got.LockedBy != nil || got.Properties["isLocked"] {
			t.Fatalf("lockedBy %+v, want null", got.LockedBy)
		}
		e := b.log(t, f.ticket)[0]
		if e.ActionType != "ticket_unassigned" || e.ActionString != "removed the ticket assignee {User:"+b.admin.ID+"}" ||
			len(e.IncludedItems.Users) != 1 || e.IncludedItems.Users[0].ID != b.admin.ID {
			t.Fatalf("log entry %+v", e)
		}
	})
	t.Run("UnassignWithStringNull", func(t *testing.T) {
		b.ok(t, "PATCH", path(f.ticket), map[string]any{"assigneeId": b.agent.ID, "previousAssigneeId": "null"})
		b.ok(t, "PATCH", path(f.ticket), map[string]any{"assigneeId": "null", "previousAssigneeId": b.agent.ID})
		if got := b.ticket(t, f.ticket).LockedBy; got != nil {
			t.Fatalf("lockedBy %+v, want null", got)
		}
	})
}

func TestTicketStatus(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)
	path := fmt.Sprintf("/tickets/%d/status", f.plain)

	t.Run("OK", func(t *testing.T) {
		b.clock.Advance(time.Minute)
		before := b.ticket(t, f.plain)
		b.ok(t, "PATCH", path, map[string]any{"status": "pending"})
		got := b.ticket(t, f.plain)
		if got.Status != "pending" {
			t.Fatalf("status %q, want pending", got.Status)
		}
		if got.LastThreadElementCreationTime != before.LastThreadElementCreationTime {
			t.Errorf("a status change moved lastThreadElementCreationTime")
		}
		e := b.log(t, f.plain)[0]
		if e.ActionType != "ticket_status_changed" || e.ActionString != `changed the status from "Open" to "Pending"` ||
			e.User.ID != b.cm.APIUserID || e.Time != apiTime(b.clock.Now()) {
			t.Fatalf("log entry %+v", e)
		}
	})
	t.Run("AnyCase", func(t *testing.T) {
		for _, s := range []string{"COMPLETED", "Archived", "open"} {
			b.ok(t, "PATCH", path, map[string]any{"status": s})
			if got := b.ticket(t, f.plain).Status; got != strings.ToLower(s) {
				t.Fatalf("status %q, want %q", got, strings.ToLower(s))
			}
		}
	})
	t.Run("Unchanged", func(t *testing.T) {
		before := len(b.log(t, f.plain))
		b.ok(t, "PATCH", path, map[string]any{"status": "open"})
		if after := len(b.log(t, f.plain)); after != before {
			t.Fatalf("log grew from %d to %d entries for a no-op", before, after)
		}
	})
	b.reject(t, b.client, []rejected{
		{"ErrUnknown", "PATCH", path, map[string]any{"status": "closed"}, 400, `status: unknown status "closed"`},
		{"ErrMissing", "PATCH", path, map[string]any{}, 400, "status: required"},
		{"ErrType", "PATCH", path, map[string]any{"status": 2}, 400, "status: must be a string"},
		{"ErrMalformed", "PATCH", path, `{"status"`, 400, "invalid JSON"},
		{"ErrEmptyBody", "PATCH", path, nil, 400, "a JSON body is required"},
		{"ErrNotFound", "PATCH", "/tickets/999/status", map[string]any{"status": "open"}, 404, "ticket 999 not found"},
	})
}

func TestTicketCategory(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)
	path := fmt.Sprintf("/tickets/%d/category", f.plain)
	category := func(t *testing.T) *refView {
		t.Helper()
		return b.ticket(t, f.plain).Category
	}
	set := func(t *testing.T, id int64) {
		t.Helper()
		b.ok(t, "PATCH", path, map[string]any{"id": id})
		if got := category(t); got == nil || got.ID != id {
			t.Fatalf("category %+v, want %d", got, id)
		}
	}

	t.Run("Set", func(t *testing.T) {
		set(t, f.acme)
		if got := category(t); *got != (refView{f.acme, "ACME Corp"}) {
			t.Fatalf("category %+v", got)
		}
		e := b.log(t, f.plain)[0]
		if e.ActionType != "ticket_category_changed" || e.ActionString != fmt.Sprintf("set the category to {Category:%d}", f.acme) ||
			!slices.Equal(e.IncludedItems.Categories, []refView{{f.acme, "ACME Corp"}}) {
			t.Fatalf("log entry %+v", e)
		}
	})
	t.Run("Change", func(t *testing.T) {
		set(t, f.dunder)
		e := b.log(t, f.plain)[0]
		if e.ActionString != fmt.Sprintf("changed the category from {Category:%d} to {Category:%d}", f.acme, f.dunder) ||
			!slices.Equal(e.IncludedItems.Categories, []refView{{f.acme, "ACME Corp"}, {f.dunder, "Dunder Mifflin Paper Co"}}) {
			t.Fatalf("log entry %+v", e)
		}
	})
	// Each documented way to remove the category.
	for _, tc := range []struct {
		name string
		body any
	}{
		{"RemoveNull", "null"},
		{"RemoveEmptyObject", "{}"},
		{"RemoveNoBody", nil},
		{"RemoveIDNull", `{"id": null}`},
		{"RemoveIDZero", `{"id": 0}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set(t, f.acme)
			b.ok(t, "PATCH", path, tc.body)
			if got := category(t); got != nil {
				t.Fatalf("category %+v, want null", got)
			}
			e := b.log(t, f.plain)[0]
			if e.ActionString != fmt.Sprintf("removed the category {Category:%d}", f.acme) {
				t.Fatalf("log entry %+v", e)
			}
		})
	}
	t.Run("OtherShapes", func(t *testing.T) {
		for _, body := range []string{fmt.Sprintf(`{"Id": %d}`, f.dunder), fmt.Sprintf(`{"categoryId": %d}`, f.acme), fmt.Sprint(f.dunder)} {
			b.ok(t, "PATCH", path, body)
			if got := category(t); got == nil {
				t.Fatalf("body %s: category null", body)
			}
		}
		if got := category(t); got.ID != f.dunder {
			t.Fatalf("category %+v, want %d", got, f.dunder)
		}
	})

	t.Run("Obsolete", func(t *testing.T) {
		b.ok(t, "PUT", path+fmt.Sprintf("?categoryId=%d", f.acme), nil)
		if got := category(t); got == nil || got.ID != f.acme {
			t.Fatalf("category %+v, want %d", got, f.acme)
		}
		b.ok(t, "PUT", path+"?categoryId=0", nil)
		if got := category(t); got != nil {
			t.Fatalf("categoryId=0: category %+v, want null", got)
		}
		b.ok(t, "PUT", path+fmt.Sprintf("?CategoryID=%d", f.dunder), nil)
		if got := category(t); got == nil || got.ID != f.dunder {
			t.Fatalf("CategoryID: category %+v, want %d", got, f.dunder)
		}
		b.ok(t, "PUT", path+"?categoryId=null", nil)
		if got := category(t); got != nil {
			t.Fatalf("categoryId=null: category %+v, want null", got)
		}
		b.ok(t, "PUT", path, map[string]any{"categoryId": f.acme})
		if got := category(t); got == nil || got.ID != f.acme {
			t.Fatalf("body categoryId: category %+v, want %d", got, f.acme)
		}
	})

	b.reject(t, b.client, []rejected{
		{"ErrType", "PATCH", path, map[string]any{"id": "x"}, 400, "id: must be an integer"},
		{"ErrBareString", "PATCH", path, `"x"`, 400, "id: must be an integer or null"},
		{"ErrMalformed", "PATCH", path, `{"id":`, 400, "invalid JSON"},
		{"ErrUnknown", "PATCH", path, map[string]any{"id": 999}, 400, "id: category 999 not found"},
		{"ErrNotChoosable", "PATCH", path, map[string]any{"id": f.locked}, 400, "cannot be chosen"},
		{"ErrNotFound", "PATCH", "/tickets/999/category", map[string]any{"id": f.acme}, 404, "ticket 999 not found"},
		{"ErrObsoleteType", "PUT", path + "?categoryId=abc", nil, 400, `categoryId: "abc" is not an integer`},
		{"ErrObsoleteUnknown", "PUT", path + "?categoryId=999", nil, 400, "category 999 not found"},
		{"ErrObsoleteNotFound", "PUT", fmt.Sprintf("/tickets/999/category?categoryId=%d", f.acme), nil, 404, "ticket 999 not found"},
	})
}

func TestTicketTags(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)
	path := fmt.Sprintf("/tickets/%d/tags", f.plain)
	tags := func(t *testing.T) []string {
		t.Helper()
		return b.ticket(t, f.plain).Tags
	}

	t.Run("BareArray", func(t *testing.T) {
		b.ok(t, "PUT", path, []string{"Billing Issue", "VIP"})
		if diff := cmp.Diff([]string{"Billing Issue", "VIP"}, tags(t)); diff != "" {
			t.Fatalf("tags (-want +got):\n%s", diff)
		}
		known := map[string]int64{}
		for _, tg := range decode[[]refView](t, b.ok(t, "GET", "/tags", nil)) {
			known[tg.Name] = tg.ID
		}
		e := b.log(t, f.plain)[0]
		want := []refView{{known["Billing Issue"], "Billing Issue"}, {known["VIP"], "VIP"}}
		if e.ActionType != "ticket_tags_changed" || !slices.Equal(e.IncludedItems.Tags, want) ||
			e.ActionString != fmt.Sprintf("changed the tags of the ticket to {Tag:%d}, {Tag:%d}", want[0].ID, want[1].ID) {
			t.Fatalf("log entry %+v, want tags %v", e, want)
		}
	})
	t.Run("Object", func(t *testing.T) {
		b.ok(t, "PUT", path, map[string]any{"tags": []string{"Refund"}})
		if diff := cmp.Diff([]string{"Refund"}, tags(t)); diff != "" {
			t.Fatalf("tags (-want +got):\n%s", diff)
		}
	})
	t.Run("Clean", func(t *testing.T) {
		// Names are trimmed and de-duplicated without regard to case; an
		// existing tag keeps its spelling.
		b.ok(t, "PUT", path, []string{"vip", "  late   delivery ", "VIP"})
		if diff := cmp.Diff([]string{"VIP", "late delivery"}, tags(t)); diff != "" {
			t.Fatalf("tags (-want +got):\n%s", diff)
		}
	})
	t.Run("Clear", func(t *testing.T) {
		b.ok(t, "PUT", path, []string{})
		if got := tags(t); got == nil || len(got) != 0 {
			t.Fatalf("tags %#v, want []", got)
		}
		if e := b.log(t, f.plain)[0]; e.ActionString != "removed all tags of the ticket" {
			t.Fatalf("log entry %+v", e)
		}
	})
	b.reject(t, b.client, []rejected{
		{"ErrNoTags", "PUT", path, map[string]any{}, 400, "tags: required"},
		{"ErrTagsNull", "PUT", path, map[string]any{"tags": nil}, 400, "tags: required"},
		{"ErrTagsType", "PUT", path, map[string]any{"tags": "VIP"}, 400, "tags: must be an array"},
		{"ErrElementType", "PUT", path, `[1]`, 400, "must be a string"},
		{"ErrEmptyName", "PUT", path, []string{"ok", ""}, 400, "tags[1]: empty tag name"},
		{"ErrTooLong", "PUT", path, []string{strings.Repeat("t", 101)}, 400, "tags[0]: longer than 100 characters"},
		{"ErrTooMany", "PUT", path, make([]string, 101), 400, "more than 100 tags"},
		{"ErrMalformed", "PUT", path, `["a"`, 400, "invalid JSON"},
		{"ErrEmptyBody", "PUT", path, nil, 400, "a JSON body is required"},
		{"ErrNotFound", "PUT", "/tickets/999/tags", []string{"x"}, 404, "ticket 999 not found"},
	})
}

func TestTicketCustomFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)
	path := fmt.Sprintf("/tickets/%d/customfields", f.plain)
	values := func(t *testing.T) map[int64]string {
		t.Helper()
		m := map[int64]string{}
		for _, v := range b.ticket(t, f.plain).CustomFields {
			m[v.ID] = v.Value
		}
		return m
	}

	// Each type accepts its valid values and stores the canonical form.
	valid := []struct {
		field int64
		in    any
		want  string
	}{
		{f.number, "12.5", "12.5"},
		{f.number, -3, "-3"},
		{f.number, " 1e3 ", "1e3"},
		{f.date, "2024-02-29", "2024-02-29"},
		{f.checkbox, true, "true"},
		{f.checkbox, "1", "true"},
		{f.checkbox, "FALSE", "false"},
		{f.region, "oslo", "Oslo"},
		{f.region, "Østfold", "Østfold"},
		{f.size, "LARGE", "Large"},
		{f.email, " ann@example.com ", "ann@example.com"},
		{f.website, "https://example.com/shop?q=1", "https://example.com/shop?q=1"},
	}
	for _, tc := range valid {
		t.Run(fmt.Sprintf("OK/%d/%v", tc.field, tc.in), func(t *testing.T) {
			b.ok(t, "PATCH", path, map[string]any{"id": tc.field, "value": tc.in})
			if got := values(t)[tc.field]; got != tc.want {
				t.Fatalf("value %q, want %q", got, tc.want)
			}
		})
	}

	t.Run("Log", func(t *testing.T) {
		b.ok(t, "PATCH", path, map[string]any{"id": f.number, "value": "7"})
		b.ok(t, "PATCH", path, map[string]any{"id": f.number, "value": "8"})
		e := b.log(t, f.plain)[0]
		if e.ActionType != "ticket_custom_field_changed" || e.ActionString != `changed "Order number" from "7" to "8"` {
			t.Fatalf("log entry %+v", e)
		}
	})
	t.Run("Array", func(t *testing.T) {
		b.ok(t, "PUT", path, []map[string]any{{"id": f.date, "value": "2024-01-31"}, {"key": f.size, "value": "small"}})
		got := values(t)
		if got[f.date] != "2024-01-31" || got[f.size] != "Small" {
			t.Fatalf("values %v", got)
		}
	})
	t.Run("Clear", func(t *testing.T) {
		for _, v := range []any{nil, ""} {
			b.ok(t, "PATCH", path, map[string]any{"id": f.email, "value": "ann@example.com"})
			b.ok(t, "PATCH", path, map[string]any{"id": f.email, "value": v})
			if got, ok := values(t)[f.email]; ok {
				t.Fatalf("value %#v: field still %q", v, got)
			}
			if e := b.log(t, f.plain)[0]; e.ActionString != `cleared "Contact e-mail" (was "ann@example.com")` {
				t.Fatalf("log entry %+v", e)
			}
		}
	})

	invalid := []rejected{
		{"ErrNumber", "PATCH", path, map[string]any{"id": f.number, "value": "abc"}, 400, `value: "abc" is not a number`},
		{"ErrNumberHex", "PATCH", path, map[string]any{"id": f.number, "value": "0x10"}, 400, "is not a number"},
		{"ErrNumberNaN", "PATCH", path, map[string]any{"id": f.number, "value": "NaN"}, 400, "is not a number"},
		{"ErrDate", "PATCH", path, map[string]any{"id": f.date, "value": "31.01.2024"}, 400, `value: "31.01.2024" is not a date of the form YYYY-MM-DD`},
		{"ErrDateDay", "PATCH", path, map[string]any{"id": f.date, "value": "2023-02-29"}, 400, "is not a date"},
		{"ErrCheckbox", "PATCH", path, map[string]any{"id": f.checkbox, "value": "maybe"}, 400, `value: "maybe" is not true or false`},
		{"ErrRegion", "PATCH", path, map[string]any{"id": f.region, "value": "Bergen"}, 400, `value: "Bergen" is not one of the possible values of "Shop region"`},
		{"ErrDropdown", "PATCH", path, map[string]any{"id": f.size, "value": "Medium"}, 400, `"Medium" is not one of the possible values of "Size"`},
		{"ErrEmail", "PATCH", path, map[string]any{"id": f.email, "value": "ann.example.com"}, 400, `value: "ann.example.com" is not an e-mail address`},
		{"ErrURL", "PATCH", path, map[string]any{"id": f.website, "value": "ftp://example.com"}, 400, `value: "ftp://example.com" is not an http or https URL`},
		{"ErrURLRelative", "PATCH", path, map[string]any{"id": f.website, "value": "example.com"}, 400, "is not an http or https URL"},
		{"ErrValueType", "PATCH", path, map[string]any{"id": f.number, "value": map[string]any{}}, 400, "value:"},
		{"ErrIDType", "PATCH", path, map[string]any{"id": "x", "value": "1"}, 400, "id: must be an integer"},
		{"ErrNoID", "PATCH", path, map[string]any{"value": "1"}, 400, "id: required"},
		{"ErrUnknownField", "PATCH", path, map[string]any{"id": 999, "value": "1"}, 400, "id: custom field 999 not found"},
		// In the array form a bad element rejects the whole request.
		{"ErrArrayValue", "PUT", path, []map[string]any{{"id": f.number, "value": "99"}, {"id": f.date, "value": "tomorrow"}}, 400, `[1].value: "tomorrow" is not a date`},
		{"ErrArrayUnknown", "PUT", path, []map[string]any{{"id": f.number, "value": "99"}, {"id": 999, "value": "x"}}, 400, "[1].id: custom field 999 not found"},
		{"ErrArrayNoID", "PUT", path, []map[string]any{{"id": f.number, "value": "99"}, {"value": "x"}}, 400, "[1].id: required"},
		{"ErrEmptyArray", "PUT", path, `[]`, 400, "id: give a custom field id and value"},
		{"ErrMalformed", "PATCH", path, `{"id":1,`, 400, "invalid JSON"},
		{"ErrEmptyBody", "PATCH", path, nil, 400, "a JSON body is required"},
		{"ErrNotFound", "PATCH", "/tickets/999/customfields", map[string]any{"id": f.number, "value": "1"}, 404, "ticket 999 not found"},
	}
	b.reject(t, b.client, invalid)

	t.Run("OtherTypes", func(t *testing.T) {
		text := decode[customFieldView](t, b.ok(t, "POST", "/customfields", map[string]any{"name": "Reference", "type": "text"})).ID
		area := decode[customFieldView](t, b.ok(t, "POST", "/customfields", map[string]any{"name": "Notes", "type": "textarea"})).ID
		phone := decode[customFieldView](t, b.ok(t, "POST", "/customfields", map[string]any{"name": "Phone", "type": "phone"})).ID
		multi := decode[customFieldView](t, b.ok(t, "POST", "/customfields", map[string]any{"name": "Colours", "type": "multiselect",
			"possibleValues": []map[string]any{{"order": 1, "value": "Red"}, {"order": 2, "value": "Blue"}}})).ID
		b.ok(t, "PUT", path, []map[string]any{
			{"id": text, "value": "  REF-1 "}, {"id": area, "value": "line 1\nline 2"}, {"id": phone, "value": "+47 (22) 12-34.56"}, {"id": multi, "value": "blue; red"},
		})
		got := values(t)
		want := map[int64]string{text: "REF-1", area: "line 1\nline 2", phone: "+47 (22) 12-34.56", multi: "Blue;Red"}
		for id, v := range want {
			if got[id] != v {
				t.Errorf("field %d: value %q, want %q", id, got[id], v)
			}
		}
		b.reject(t, b.client, []rejected{
			{"ErrTextLines", "PATCH", path, map[string]any{"id": text, "value": "a\nb"}, 400, "value: a text value must be one line"},
			{"ErrPhone", "PATCH", path, map[string]any{"id": phone, "value": "call me"}, 400, `value: "call me" is not a phone number`},
			{"ErrPhoneShort", "PATCH", path, map[string]any{"id": phone, "value": "12"}, 400, "is not a phone number"},
			{"ErrMultiSelect", "PATCH", path, map[string]any{"id": multi, "value": "Red;Green"}, 400, `value: "Green" is not one of the possible values of "Colours"`},
			{"ErrTooLong", "PATCH", path, map[string]any{"id": area, "value": strings.Repeat("x", 2001)}, 400, "value: value longer than 2000 bytes"},
		})
	})
	t.Run("Sensitive", func(t *testing.T) {
		// Values of a sensitive field stay out of the log.
		secret := decode[customFieldView](t, b.ok(t, "POST", "/customfields", map[string]any{"name": "National id", "type": "text", "isSensitiveData": true})).ID
		b.ok(t, "PATCH", path, map[string]any{"id": secret, "value": "010101-12345"})
		e := b.log(t, f.plain)[0]
		if e.ActionType != "ticket_custom_field_changed" || e.ActionString != `changed "National id"` {
			t.Fatalf("log entry %+v", e)
		}
		if got := values(t)[secret]; got != "010101-12345" {
			t.Fatalf("value %q", got)
		}
	})

	t.Run("Create", func(t *testing.T) {
		// Create Ticket names the element of the array.
		body := simpleTicket("Fields")
		body["customFields"] = []map[string]any{{"id": f.email, "value": "x@example.com"}, {"id": f.website, "value": "mailto:x"}}
		b.fail(t, "POST", "/tickets", body, 400, `customFields[1].value: "mailto:x" is not an http or https URL`)
	})
}

func TestTicketLog(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)
	path := fmt.Sprintf("/tickets/%d/log", f.ticket)
	b.clock.Advance(time.Minute)
	b.ok(t, "POST", fmt.Sprintf("/tickets/%d/read", f.ticket), map[string]any{"user": map[string]any{"email": "anna.agent@example.com"}})
	b.clock.Advance(time.Minute)
	b.ok(t, "PATCH", fmt.Sprintf("/tickets/%d/status", f.ticket), map[string]any{"status": "completed"})

	all := b.log(t, f.ticket)
	types := make([]string, len(all))
	for i, e := range all {
		types[i] = e.ActionType
		if !timePattern.MatchString(e.Time) || (i > 0 && e.Time > all[i-1].Time) {
			t.Errorf("entry %d time %q: not the API format or not newest first", i, e.Time)
		}
	}
	want := []string{"ticket_status_changed", "ticket_read", "note_created", "reply_created", "ticket_assigned_to_user", "ticket_created"}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Fatalf("action types (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		name string
		path string
		body any
		want []string
	}{
		{"NoBody", path, nil, want},
		{"EmptyObject", path, map[string]any{}, want},
		{"EmptyFilter", path, map[string]any{"action_types": []string{}}, want},
		{"Filter", path, map[string]any{"action_types": []string{"ticket_status_changed", "ticket_read"}}, []string{"ticket_status_changed", "ticket_read"}},
		{"FilterCamelCase", path, map[string]any{"actionTypes": []string{"reply_created"}}, []string{"reply_created"}},
		{"FilterAnyCase", path, map[string]any{"action_types": []string{"TICKET_CREATED"}}, []string{"ticket_created"}},
		{"Take", path + "?take=2", nil, want[:2]},
		{"SkipTake", path + "?skip=2&take=3", nil, want[2:5]},
		{"TakeOverMax", path + "?take=500", nil, want},
		{"FilterPaged", path + "?take=1&skip=1", map[string]any{"action_types": []string{"ticket_read", "ticket_created"}}, []string{"ticket_created"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range decode[[]logView](t, b.ok(t, "POST", tc.path, tc.body)) {
				got = append(got, e.ActionType)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("action types (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("Entries", func(t *testing.T) {
		read := all[1]
		if read.ActionString != "read the ticket" || read.User == nil || read.User.ID != b.agent.ID ||
			read.IncludedItems.Users == nil || read.IncludedItems.Tags == nil || read.IncludedItems.Categories == nil {
			t.Fatalf("read entry %+v", read)
		}
		note := all[2]
		if note.ActionString != "added a note mentioning {User:"+b.admin.ID+"}" || len(note.IncludedItems.Users) != 1 || note.IncludedItems.Users[0].ID != b.admin.ID {
			t.Fatalf("note entry %+v", note)
		}
	})

	for _, tc := range []struct {
		name, path string
		body       any
		status     int
		text       string
	}{
		{"ErrUnknownType", path, map[string]any{"action_types": []string{"ticket_read", "ticket_exploded"}}, 400, `action_types[1]: unknown action type "ticket_exploded"`},
		{"ErrTypesType", path, map[string]any{"action_types": "ticket_read"}, 400, "action_types: must be an array"},
		{"ErrMalformed", path, `{"action_types": [`, 400, "invalid JSON"},
		{"ErrTake", path + "?take=many", nil, 400, `take: "many" is not an integer`},
		{"ErrSkip", path + "?skip=1.5", nil, 400, "skip:"},
		{"ErrNotFound", "/tickets/999/log", nil, 404, "ticket 999 not found"},
		{"ErrBadID", "/tickets/abc/log", nil, 400, "id:"},
	} {
		t.Run(tc.name, func(t *testing.T) { b.fail(t, "POST", tc.path, tc.body, tc.status, tc.text) })
	}
}

func TestTicketRead(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)
	path := fmt.Sprintf("/tickets/%d/read", f.plain)

	t.Run("OK", func(t *testing.T) {
		for _, who := range []struct {
			user map[string]any
			id   string
		}{
			{map[string]any{"email": "ANNA.AGENT@example.com"}, b.agent.ID},
			{map[string]any{"id": b.viewer.ID}, b.viewer.ID},
		} {
			b.clock.Advance(time.Second)
			before := b.ticket(t, f.plain)
			b.ok(t, "POST", path, map[string]any{"user": who.user})
			e := b.log(t, f.plain)[0]
			if e.ActionType != "ticket_read" || e.User.ID != who.id || e.Time != apiTime(b.clock.Now()) {
				t.Fatalf("log entry %+v, want ticket_read by %s", e, who.id)
			}
			if diff := cmp.Diff(before, b.ticket(t, f.plain)); diff != "" {
				t.Fatalf("reading changed the ticket:\n%s", diff)
			}
		}
	})
	b.reject(t, b.client, []rejected{
		{"ErrNoUser", "POST", path, map[string]any{}, 400, "user: required"},
		{"ErrCustomer", "POST", path, map[string]any{"user": map[string]any{"email": "bill_smith@gmail.com"}}, 400, "is not a teammate"},
		{"ErrUnknownUser", "POST", path, map[string]any{"user": map[string]any{"email": "nobody@example.com"}}, 400, `user: no user has e-mail "nobody@example.com"`},
		{"ErrUserType", "POST", path, map[string]any{"user": "anna"}, 400, "user: must be an object"},
		{"ErrEmptyBody", "POST", path, nil, 400, "a JSON body is required"},
		{"ErrNotFound", "POST", "/tickets/999/read", map[string]any{"user": map[string]any{"id": b.agent.ID}}, 404, "ticket 999 not found"},
	})
}

// TestTicketAssigneeRace sends competing assignments of an unassigned
// ticket at once: previousAssigneeId makes exactly one of them win.
func TestTicketAssigneeRace(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createTicket(t, simpleTicket("Contested"))
	path := fmt.Sprintf("/tickets/%d/assignee", id)
	const n = 8
	type result struct {
		status   int
		assignee string
	}
	results := make(chan result, n)
	var wg sync.WaitGroup
	for i := range n {
		assignee := b.agent.ID
		if i%2 == 1 {
			assignee = b.admin.ID
		}
		wg.Add(1)
		body := fmt.Sprintf(`{"assigneeId": %q, "previousAssigneeId": null}`, assignee)
		go func() {
			defer wg.Done()
			// No t.Fatal off the test goroutine: a failed request reports
			// status 0.
			status := 0
			req, err := http.NewRequest("PATCH", b.base+path, strings.NewReader(body))
			if err == nil {
				req.Header.Set("Authorization", "Bearer "+b.token)
				if resp, err := b.srv.Client().Do(req); err == nil {
					resp.Body.Close()
					status = resp.StatusCode
				}
			}
			results <- result{status, assignee}
		}()
	}
	wg.Wait()
	close(results)
	var winners []string
	for r := range results {
		switch r.status {
		case 200:
			winners = append(winners, r.assignee)
		case 409:
		default:
			t.Errorf("status %d, want 200 or 409", r.status)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d requests succeeded, want exactly 1", len(winners))
	}
	if got := b.ticket(t, id).LockedBy; got == nil || got.ID != winners[0] {
		t.Fatalf("lockedBy %+v, want the winner %s", got, winners[0])
	}
	assignments := 0
	for _, e := range b.log(t, id) {
		if e.ActionType == "ticket_assigned_to_user" {
			assignments++
		}
	}
	if assignments != 1 {
		t.Fatalf("%d assignment log entries, want 1", assignments)
	}
}

// TestTicketCreatorKeepsTeammates checks that a ticket whose creator has a
// teammate's e-mail does not change that teammate: creator details come
// from customers (a web form, say) and must not rename staff.
func TestTicketCreatorKeepsTeammates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	before := b.ok(t, "GET", "/teammates", nil)
	b.createTicket(t, map[string]any{"title": "Hello", "creator": map[string]any{
		"email": "anna.agent@example.com", "name": "Mallory", "image": "https://evil.example/x.png",
	}})
	id := b.createTicket(t, map[string]any{"title": "Hello", "creator": map[string]any{"id": b.cm.APIUserID, "name": "Mallory"}})
	if after := b.ok(t, "GET", "/teammates", nil); string(after) != string(before) {
		t.Fatalf("teammates changed:\nbefore %s\nafter  %s", before, after)
	}
	for _, e := range b.log(t, id) {
		if e.User.Name == "Mallory" {
			t.Fatalf("the API user was renamed: %+v", e.User)
		}
	}
}
