package main

// The widget phase, not run by default.
//
//   - widget-streams: -widget-streams visitors each open a conversation
//     through a support widget (POST /widget/{community}/{widgetId}/
//     conversations) and hold its stream open (GET .../conversations/
//     {id}/events, with the visitor token), as the widget in their pages
//     does. With every stream open, the open-loop generator of the chat
//     phases posts -widget-rate messages per second, written by a
//     teammate through the External Chat API, to the conversations in
//     turn, and each message's arrival at its visitor's stream is timed:
//     the server's peak memory with the streams open, and how soon a
//     teammate's message reaches the visitor.
//
// The run is chat-streams' (chatRun) with the conversations opened by
// visitors: the markers, the matching and the figures are the same. The
// widget takes 6 conversations from one client address in 12 hours, so
// the visitors are dialled from 127.100.0.1 and up, visitorsPerSource
// from each; their streams, like chat-streams', from 127.0.0.2 and up.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
)

// visitorsPerSource is how many visitors open their conversation from
// one loopback address: under the widget's 6 per address.
const visitorsPerSource = 5

// maxWidgetStreams is the most visitor streams a server holds.
const maxWidgetStreams = 20000

// widgetOptions are the settings of the widget phase.
type widgetOptions struct {
	streams int
	rate    float64
}

func (w *widgetOptions) addFlags(fs *flag.FlagSet) {
	fs.IntVar(&w.streams, "widget-streams", 10000, "visitor conversations, each with its visitor's stream held open, in widget-streams")
	fs.Float64Var(&w.rate, "widget-rate", 1000, "teammate messages per second offered in widget-streams")
}

// widgetPhases are the widget phase names, in extraPhases.
var widgetPhases = []string{"widget-streams"}

// check validates the settings when the widget phase is among phases.
func (w *widgetOptions) check(phases []string) error {
	if !slices.ContainsFunc(phases, func(p string) bool { return slices.Contains(widgetPhases, p) }) {
		return nil
	}
	switch {
	case w.streams < 1 || w.streams > maxWidgetStreams:
		return fmt.Errorf("-widget-streams must be between 1 and %d, the visitor streams a server holds", maxWidgetStreams)
	case w.rate <= 0:
		return errors.New("-widget-rate must be positive")
	}
	return nil
}

// widgetGoal is the target of widget-streams: a teammate's message
// reaches its visitor within 50 ms at p99, with 10,000 streams open in
// at most 300 MiB.
var widgetGoal = goal{p99ms: 50, rssMiB: 300}

func (b *bench) runWidgetStreams(ctx context.Context) error {
	o := b.o.widget
	spec := chatRunSpec{phase: "widget-streams", pg: b.o.db, nodes: 1, conversations: o.streams, rate: o.rate, widget: true}
	return b.chatAttempts(ctx, spec, func(res *chatRunResult) []result {
		g := widgetGoal
		if b.o.db != "" {
			g = goal{rssMiB: widgetGoal.rssMiB} // the latency is reported
		}
		n := len(res.convStreams)
		return []result{b.chatRow(fmt.Sprintf("widget streams, %d open", n), spec, res, res.conv,
			fmt.Sprintf("%d GET /widget/{community}/{widgetId}/conversations/{id}/events visitor streams", n), g)}
	})
}

// createWidget makes a support widget of the community with the command
// line, before the servers open db, and returns its public path. It has
// no allowed origins: it takes requests without an Origin header, as the
// benchmark sends them.
func (b *bench) createWidget(ctx context.Context, db, community string) (string, error) {
	out, err := runCommand(ctx, b.o.server, "widget", "create", "--db", db, "--community", community, "--name", "Bench", "--json")
	if err != nil {
		return "", fmt.Errorf("widget create: %w", err)
	}
	var w struct {
		WidgetID int64 `json:"widgetId"`
	}
	if err := json.Unmarshal(out, &w); err != nil || w.WidgetID == 0 {
		return "", fmt.Errorf("widget create: %q: %v", out, err)
	}
	return fmt.Sprintf("/widget/%s/%d", url.PathEscape(community), w.WidgetID), nil
}

// createVisitorConversations has n visitors open a conversation each
// through the widget at widgetPath, over four connections at a time,
// visitorsPerSource visitors dialled from each loopback address. The
// generator's messages to them are the teammate's.
func createVisitorConversations(ctx context.Context, addr, widgetPath string, n int) ([]chatConv, error) {
	convs := make([]chatConv, n)
	var next atomic.Int64 // the next address's number
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := target{addr: addr}
			var req []byte
			for ctx.Err() == nil {
				k := int(next.Add(1) - 1)
				if k*visitorsPerSource >= n {
					return
				}
				cn := &conn{addr: addr, local: net.IPv4(127, 100, byte(k/250), byte(k%250+1))}
				for i := k * visitorsPerSource; i < min((k+1)*visitorsPerSource, n); i++ {
					body := fmt.Appendf(nil, `{"name":"Visitor %d","email":"visitor-%d@example.com","message":"Hello, where is my order %d?","clientMessageId":"v-%d"}`,
						i+1, i+1, i+1, i+1)
					req = t.appendRequest(req[:0], "POST", widgetPath+"/conversations", body)
					status, resp, err := cn.do(req)
					var env struct {
						Data struct {
							ID    int64  `json:"conversationId"`
							Token string `json:"visitorToken"`
						} `json:"data"`
					}
					if err == nil && (status/100 != 2 || json.Unmarshal(resp, &env) != nil || env.Data.ID == 0 || env.Data.Token == "") {
						err = fmt.Errorf("POST %s/conversations: status %d: %.200s", widgetPath, status, resp)
					}
					if err != nil {
						cn.close()
						errs <- err
						return
					}
					id := env.Data.ID
					convs[i] = chatConv{id: id, email: inboxEmail, path: fmt.Sprintf("/chat/conversations/%d/messages", id),
						events: fmt.Sprintf("%s/conversations/%d/events", widgetPath, id), bearer: env.Data.Token}
				}
				cn.close()
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return convs, ctx.Err()
}
