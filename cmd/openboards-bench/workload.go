package main

import (
	"bytes"
	"strconv"
	"sync/atomic"
)

// target is where requests go and how they authenticate.
type target struct {
	addr  string // host:port
	token string // bearer access token; empty for the ceiling server
}

// appendRequest appends an HTTP/1.1 request with an optional JSON body.
func (t target) appendRequest(b []byte, method, path string, body []byte) []byte {
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, t.addr...)
	if t.token != "" {
		b = append(b, "\r\nAuthorization: Bearer "...)
		b = append(b, t.token...)
	}
	if body != nil {
		b = append(b, "\r\nContent-Type: application/json\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
	}
	b = append(b, "\r\n\r\n"...)
	return append(b, body...)
}

// ticketTags are the tags a created ticket carries, one each.
var ticketTags = []string{"shipping", "billing", "returns", "account", "feedback"}

// appendTicketBody appends a Create Ticket body for the n-th ticket of a
// run: an HTML message of about 400 bytes (isHtml defaults to true, so the
// server sanitises it), a creator whose e-mail changes every ten tickets,
// and one tag.
func appendTicketBody(b []byte, n int64) []byte {
	customer := n / 10
	order := 100000 + n
	b = append(b, `{"title":"Order `...)
	b = strconv.AppendInt(b, order, 10)
	b = append(b, ` has not arrived","message":"<p>Hello,</p><p>I ordered a pair of running shoes (order `...)
	b = strconv.AppendInt(b, order, 10)
	b = append(b, `) two weeks ago and the tracking page still says the parcel is being prepared. `...)
	b = append(b, `Could you check what is going on and tell me when it will ship? If it cannot ship this week I would like a refund.</p>`...)
	b = append(b, `<p>Thanks,<br>Customer `...)
	b = strconv.AppendInt(b, customer, 10)
	b = append(b, `</p>","creator":{"name":"Customer `...)
	b = strconv.AppendInt(b, customer, 10)
	b = append(b, `","email":"customer`...)
	b = strconv.AppendInt(b, customer, 10)
	b = append(b, `@example.com"},"tags":["`...)
	b = append(b, ticketTags[n%int64(len(ticketTags))]...)
	return append(b, `"]}`...)
}

// createWorkload posts new tickets and collects their ids.
func createWorkload(t target, clients int) workload {
	var seq atomic.Int64
	return workload{
		name: "create ticket", unit: "tickets/s", method: "POST", clients: clients,
		request: func(c *client) []byte {
			c.body = appendTicketBody(c.body[:0], seq.Add(1))
			c.req = t.appendRequest(c.req[:0], "POST", "/tickets", c.body)
			return c.req
		},
		accept: func(c *client, _ int, body []byte) bool {
			id, ok := dataInt(body)
			if ok {
				c.ids = append(c.ids, id)
			}
			return ok
		},
	}
}

// dataInt reads the integer of an envelope {"data":N,...}.
func dataInt(body []byte) (int64, bool) {
	rest, ok := bytes.CutPrefix(body, []byte(`{"data":`))
	if !ok {
		return 0, false
	}
	end := bytes.IndexByte(rest, ',')
	if end < 0 {
		return 0, false
	}
	id, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	return id, err == nil && id > 0
}

// getWorkload reads random tickets among ids.
func getWorkload(t target, clients int, ids []int64) workload {
	return workload{
		name: "get ticket", unit: "req/s", method: "GET", clients: clients,
		request: func(c *client) []byte {
			id := ids[c.rng.IntN(len(ids))]
			path := strconv.AppendInt([]byte("/tickets/"), id, 10)
			c.req = t.appendRequest(c.req[:0], "GET", string(path), nil)
			return c.req
		},
		accept: func(_ *client, _ int, body []byte) bool {
			return bytes.HasPrefix(body, []byte(`{"data":{`))
		},
	}
}

// listWorkload posts one fixed List Tickets body.
func listWorkload(t target, name string, clients int, body string) workload {
	req := t.appendRequest(nil, "POST", "/tickets/list", []byte(body))
	return workload{
		name: name, unit: "req/s", method: "POST", clients: clients,
		request: func(c *client) []byte { return req },
		accept: func(_ *client, _ int, body []byte) bool {
			return bytes.HasPrefix(body, []byte(`{"data":[`))
		},
	}
}

// ceilingWorkload sends method to the trivial server; POST carries a
// Create Ticket body, so that reading it is part of the ceiling too.
func ceilingWorkload(t target, method string, clients int) workload {
	var seq atomic.Int64
	return workload{
		name: "ceiling " + method, unit: "req/s", method: method, clients: clients,
		request: func(c *client) []byte {
			if method != "POST" {
				c.req = t.appendRequest(c.req[:0], method, "/", nil)
				return c.req
			}
			c.body = appendTicketBody(c.body[:0], seq.Add(1))
			c.req = t.appendRequest(c.req[:0], method, "/", c.body)
			return c.req
		},
	}
}
