package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"openboards/internal/openboards"
	"openboards/internal/store/postgres/pgtest"
)

// gen makes random valid input for the API from a seeded generator, with
// the edge cases that differ between backends: values at their limits,
// text beyond ASCII (accents, CJK, emoji, combining marks), empty optional
// members.
type gen struct{ r *rand.Rand }

// alphabets are runs of characters text is drawn from.
var alphabets = [][]rune{
	[]rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-_'!?"),
	[]rune("æøåÆØÅéèüßçñ€"),
	[]rune("日本語中文한국어"),
	[]rune("😀🎉👍🏽🇳🇴❤️"),
	[]rune("e\u0301a\u030a\u200d\u00a0"),
	[]rune("<>&\"\\/%#{}[]"),
}

// text returns up to max bytes of one-line text; with maxOut it fills the
// limit exactly (padding with ASCII), as a client at the cap would.
func (g gen) text(max int, maxOut bool) string {
	n := max
	if !maxOut {
		n = 1 + g.r.IntN(min(max, 40))
	}
	if n < 3 {
		return strings.Repeat("x", n)
	}
	// Inner characters only: the services trim, and the value must keep
	// its length.
	var sb strings.Builder
	sb.WriteByte('x')
	for {
		a := alphabets[g.r.IntN(len(alphabets))]
		c := a[g.r.IntN(len(a))]
		if sb.Len()+utf8.RuneLen(c) > n-1 {
			break
		}
		sb.WriteRune(c)
	}
	for sb.Len() < n-1 {
		sb.WriteByte('x')
	}
	sb.WriteByte('x')
	return sb.String()
}

// name returns a short text or, one time in eight, one at the limit.
func (g gen) name(max int) string { return g.text(max, g.r.IntN(8) == 0) }

func (g gen) chance(n int) bool { return g.r.IntN(n) == 0 }

// email returns a valid address, at most 254 bytes, sometimes exactly.
func (g gen) email(i int) string {
	local := fmt.Sprintf("c%d.%d", i, g.r.IntN(1_000_000))
	if g.chance(6) {
		local += strings.Repeat("x", openboards.MaxEmailLen-len(local)-len("@example.com"))
	}
	return local + "@example.com"
}

// fieldDef is a custom field the generator created, with its choices.
type fieldDef struct {
	ID      int64
	Type    string
	Choices []string
}

// value returns a valid value for f.
func (g gen) value(f fieldDef) any {
	switch f.Type {
	case "text":
		return g.name(200)
	case "textarea":
		return g.text(openboards.MaxFieldValueLen-len("\nline two"), g.chance(4)) + "\nline two"
	case "number":
		return []any{42, -3.5, "0.001", "1e3"}[g.r.IntN(4)]
	case "date":
		return fmt.Sprintf("20%02d-%02d-%02d", g.r.IntN(40), 1+g.r.IntN(12), 1+g.r.IntN(28))
	case "checkbox":
		return []any{true, false, "1", "F"}[g.r.IntN(4)]
	case "dropdown", "region":
		return strings.ToUpper(f.Choices[g.r.IntN(len(f.Choices))])
	case "multiselect":
		return f.Choices[0] + ";" + f.Choices[len(f.Choices)-1]
	case "email":
		return g.email(g.r.IntN(1000))
	case "phone":
		return "+47 (22) 12-34." + fmt.Sprint(g.r.IntN(100))
	}
	return "https://example.com/" + url.PathEscape(g.name(100))
}

// TestCopyProperty creates random valid data through the API on SQLite,
// copies the database to PostgreSQL, serves the copy, and compares every
// read of the API on the two, byte for byte.
func TestCopyProperty(t *testing.T) {
	t.Parallel()
	pgtest.URL(t)
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("Seed", seed), func(t *testing.T) {
			t.Parallel()
			copyProperty(t, seed)
		})
	}
}

func copyProperty(t *testing.T, seed uint64) {
	g := gen{rand.New(rand.NewPCG(seed, 0x6f70656e))}
	dsn := pgtest.NewSchema(t)
	db := filepath.Join(t.TempDir(), "source.db")
	var cr credentials
	if err := json.Unmarshal(runCLI(t, "community", "create", "Prop", "--db", db, "--json"), &cr); err != nil {
		t.Fatal(err)
	}
	var mates []string
	for i, role := range []string{"admin", "team_member", "vendor"} {
		var mate struct{ ID string }
		if err := json.Unmarshal(runCLI(t, "teammate", "add", "--community", "Prop", "--email", fmt.Sprintf("mate%d@prop.example", i),
			"--name", g.name(200), "--role", role, "--group", g.name(200), "--db", db, "--json"), &mate); err != nil {
			t.Fatal(err)
		}
		mates = append(mates, mate.ID)
	}
	base := startServer(t, db)
	c := &client{t: t, base: base, token: accessToken(t, base, cr)}

	var categories []int64
	for range 1 + g.r.IntN(6) {
		body := map[string]any{"name": g.name(200), "isHidden": g.chance(4), "canBeChosen": true, "autoArchive": g.chance(2), "isMuted": g.chance(3)}
		if len(categories) > 0 && g.chance(2) {
			body["parentId"] = categories[g.r.IntN(len(categories))]
		}
		var cat struct{ ID int64 }
		c.do("POST", "/categories", body, &cat)
		categories = append(categories, cat.ID)
	}
	var fields []fieldDef
	for i, typ := range openboards.FieldTypes {
		if !g.chance(4) || i == 0 || typ == "textarea" {
			body := map[string]any{"name": fmt.Sprint(i, g.name(190)), "type": typ, "order": g.r.IntN(10), "isHidden": g.chance(5)}
			if g.chance(2) {
				body["placeholder"] = g.text(openboards.MaxPlaceholderLen, g.chance(3))
			}
			var choices []string
			if typ == "dropdown" || typ == "multiselect" || typ == "region" {
				n := 1 + g.r.IntN(6)
				if g.chance(5) {
					n = openboards.MaxPossibleValues
				}
				var pvs []map[string]any
				for j := range n {
					v := fmt.Sprintf("%d %s", j, g.text(openboards.MaxPossibleValueLen-4, g.chance(10)))
					v = strings.ReplaceAll(v, ";", ",")
					choices = append(choices, v)
					pvs = append(pvs, map[string]any{"order": j, "value": v})
				}
				body["possibleValues"] = pvs
			}
			var f struct{ ID int64 }
			c.do("POST", "/customfields", body, &f)
			fields = append(fields, fieldDef{ID: f.ID, Type: typ, Choices: choices})
		}
	}
	c.do("POST", "/UserGroups", map[string]any{"name": g.name(200), "teammateIds": mates[:1+g.r.IntN(len(mates))]}, nil)
	c.do("POST", "/widgets/schedules", map[string]any{"timePeriod": 1, "times": []map[string]string{{"startAt": "08:00:00", "endAt": "16:30:59"}}}, nil)

	var tickets []int64
	for i := range 8 + g.r.IntN(8) {
		customer := g.email(i % 5)
		creator := map[string]any{"email": customer}
		if g.chance(3) {
			customer = ""
			creator = map[string]any{"customIdentifier": g.text(openboards.MaxCustomIdentifierLen, g.chance(2))}
		}
		if g.chance(2) {
			creator["name"] = g.name(200)
			creator["phoneNumber"] = strings.Repeat("9", 1+g.r.IntN(openboards.MaxPhoneLen))
		}
		if g.chance(4) {
			creator["image"] = "https://img.example.com/" + url.PathEscape(g.text(100, false))
		}
		body := map[string]any{"title": g.text(openboards.MaxTitleLen, g.chance(5)), "creator": creator, "isHtml": g.chance(2),
			"message": "<p>" + g.text(2000, false) + "</p>\n<b>" + g.name(100) + "</b>"}
		if g.chance(2) {
			body["categoryId"] = categories[g.r.IntN(len(categories))]
		}
		if g.chance(2) {
			body["tags"] = []string{g.name(openboards.MaxTagLen), g.name(openboards.MaxTagLen)}
		}
		if g.chance(3) {
			body["sentiment"] = []string{"question", "Praise", "suggestion", "complaint", ""}[g.r.IntN(5)]
		}
		if g.chance(3) {
			body["sourceName"] = g.name(200)
		}
		if g.chance(3) {
			body["cc"] = []string{g.email(100 + i)}
		}
		if g.chance(3) {
			body["attachments"] = []map[string]any{{"url": "https://files.example.com/" + url.PathEscape(g.text(200, false)), "name": g.name(openboards.MaxAttachmentNameLen)}}
		}
		if g.chance(2) {
			body["assigneeId"] = mates[g.r.IntN(2)]
		}
		var values []map[string]any
		for _, f := range fields {
			if g.chance(2) {
				values = append(values, map[string]any{"id": f.ID, "value": g.value(f)})
			}
		}
		body["customFields"] = values
		var id int64
		c.do("POST", "/tickets", body, &id)
		tickets = append(tickets, id)

		p := fmt.Sprintf("/tickets/%d", id)
		var replyIDs []int64
		for range g.r.IntN(4) {
			author := map[string]any{"id": mates[g.r.IntN(len(mates))]}
			if customer != "" && g.chance(3) {
				author = map[string]any{"email": customer}
			}
			reply := map[string]any{"author": author, "message": g.text(3000, g.chance(10)), "isHtml": g.chance(2), "isDraft": g.chance(4),
				"suppressTicketStatusAutoupdate": g.chance(2), "isTicketNeededToBeCompleted": g.chance(5)}
			if len(replyIDs) > 0 && g.chance(2) {
				reply["parentReplyId"] = replyIDs[g.r.IntN(len(replyIDs))]
			}
			var r struct{ ID int64 }
			c.do("POST", p+"/replies", reply, &r)
			replyIDs = append(replyIDs, r.ID)
			if g.chance(3) {
				c.do("PUT", fmt.Sprintf("%s/replies/%d/tags", p, r.ID), []string{g.name(openboards.MaxTagLen)}, nil)
			}
		}
		for range g.r.IntN(3) {
			c.do("POST", p+"/notes", map[string]any{"author": map[string]any{"id": mates[g.r.IntN(len(mates))]}, "message": g.text(1000, false),
				"isHtml": g.chance(2), "mentionedUsers": mates[:g.r.IntN(len(mates)+1)]}, nil)
		}
		if g.chance(2) {
			c.do("PATCH", p+"/status", map[string]any{"status": []string{"open", "pending", "completed", "archived"}[g.r.IntN(4)]}, nil)
		}
		if g.chance(3) {
			c.do("PUT", p+"/tags", []string{g.name(openboards.MaxTagLen)}, nil)
		}
		if len(fields) > 0 && g.chance(2) {
			f := fields[g.r.IntN(len(fields))]
			c.do("PATCH", p+"/customfields", map[string]any{"id": f.ID, "value": g.value(f)}, nil)
		}
	}

	runCLI(t, "copy", "--from", "sqlite:"+db, "--to", dsn)
	dst := &client{t: t, base: startServer(t, dsn), token: c.token}

	type read struct {
		method, path string
		body         any
	}
	reads := []read{
		{"GET", "/categories?includeHidden=true", nil},
		{"GET", "/categories/subcategories?includeHidden=true", nil},
		{"GET", "/customfields?includeHidden=true", nil},
		{"GET", "/Teammates", nil},
		{"GET", "/UserGroups", nil},
		{"GET", "/UserGroups/1", nil},
		{"GET", "/tags", nil},
		{"GET", "/widgets/schedules", nil},
		{"POST", "/tickets/list", map[string]any{"take": 50, "orderBy": "creation_time_asc"}},
		{"POST", "/tickets/list", map[string]any{"take": 50}},
	}
	for _, id := range categories {
		reads = append(reads, read{"GET", fmt.Sprintf("/categories/%d?includeHidden=true", id), nil})
	}
	for _, id := range tickets {
		p := fmt.Sprintf("/tickets/%d", id)
		reads = append(reads, read{"GET", p, nil}, read{"GET", p + "/replies?take=50", nil}, read{"GET", p + "/notes?take=50", nil},
			read{"POST", p + "/log?take=50", map[string]any{}})
	}
	// Filters by every stored custom field value go through the value
	// index on PostgreSQL.
	var listed []struct {
		CustomFields []struct {
			ID    int64
			Value string
		}
	}
	c.do("POST", "/tickets/list", map[string]any{"take": 50}, &listed)
	for _, tk := range listed {
		for _, v := range tk.CustomFields {
			reads = append(reads, read{"POST", "/tickets/ids", map[string]any{"customFields": []map[string]any{{"key": v.ID, "value": v.Value}}}})
		}
	}
	for _, f := range fields {
		reads = append(reads, read{"GET", fmt.Sprintf("/customfields/%d", f.ID), nil})
	}
	for _, r := range reads {
		a, b := c.raw(r.method, r.path, r.body), dst.raw(r.method, r.path, r.body)
		if !bytes.HasPrefix(a, []byte("200 ")) {
			t.Errorf("%s %s on SQLite: %.300s", r.method, r.path, a)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s %s differs after the copy:\nsqlite:   %.2000s\npostgres: %.2000s", r.method, r.path, a, b)
		}
	}
	t.Logf("seed %d: %d categories, %d custom fields, %d tickets, %d reads compared", seed, len(categories), len(fields), len(tickets), len(reads))
}
