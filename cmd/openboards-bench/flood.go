package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// The signin-flood phase: -flood-clients concurrent wrong sign-ins
// (POST /signin, each for an e-mail never tried before, so no account's
// limit applies) against a server on a new database, while one client asks
// for GET /healthz ten times a second. It reports the server's peak memory
// (VmRSS sampled every 50 ms, and VmHWM), the /healthz latencies and how
// the sign-ins were answered: 401 (checked), 429 (failure limit), 503
// (password-hash pool full). It runs twice: from one address, and from a
// new address per request, as a spread-out attacker would (the server
// trusts loopback as a proxy and reads X-Forwarded-For), which the
// per-address limit cannot stop, so the hash pool must.
// It is not among the default phases.

// floodResult is one run of the phase.
type floodResult struct {
	Phase     string         `json:"phase"`
	Clients   int            `json:"clients"`
	Seconds   float64        `json:"seconds"`
	Answers   map[string]int `json:"answers"` // by status, "error" for transport failures
	SignInsPS float64        `json:"signInsPerSecond"`
	HealthzN  int            `json:"healthzRequests"`
	HealthP50 float64        `json:"healthzP50Ms"`
	HealthP99 float64        `json:"healthzP99Ms"`
	HealthMax float64        `json:"healthzMaxMs"`
	RSSMaxMiB float64        `json:"serverRssMaxMiB"`
	HWMMiB    float64        `json:"serverVmHwmMiB"`
	ServerCPU float64        `json:"serverCpuCores"`
}

func (b *bench) runSigninFlood(ctx context.Context) error {
	if b.o.profile {
		return fmt.Errorf("the signin-flood phase runs the openboards binary; drop -profile")
	}
	dir, err := os.MkdirTemp("", "openboards-bench-flood-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, spread := range []bool{false, true} {
		name := "signin flood, one address"
		if spread {
			name = "signin flood, an address per request"
		}
		// A fresh server each time, so that VmHWM is this run's.
		p, err := b.startServer(ctx, "signin-flood", filepath.Join(dir, fmt.Sprintf("flood-%t.db", spread)), "--trusted-proxies", "127.0.0.0/8")
		if err != nil {
			return err
		}
		r := b.flood(ctx, p, name, spread)
		if err := p.stop(); err != nil {
			return err
		}
		b.rep.SigninFlood = append(b.rep.SigninFlood, r)
		fmt.Fprintf(b.w, "  %s\n", r.summary())
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

func (r floodResult) summary() string {
	return fmt.Sprintf("%.0f sign-ins/s (401 %d, 429 %d, 503 %d, other %d); /healthz p50 %.1f ms, p99 %.1f ms, max %.1f ms; server RSS max %.0f MiB, HWM %.0f MiB",
		r.SignInsPS, r.Answers["401"], r.Answers["429"], r.Answers["503"], r.other(), r.HealthP50, r.HealthP99, r.HealthMax, r.RSSMaxMiB, r.HWMMiB)
}

func (r floodResult) other() int {
	n := 0
	for k, v := range r.Answers {
		if k != "401" && k != "429" && k != "503" {
			n += v
		}
	}
	return n
}

// flood runs one flood against p for -duration.
func (b *bench) flood(ctx context.Context, p *process, name string, spread bool) floodResult {
	clients := b.o.floodClients
	fmt.Fprintf(b.w, "%s: %d clients, POST /signin with wrong passwords, GET /healthz beside...\n", name, clients)
	ctx, cancel := context.WithTimeout(ctx, b.o.duration)
	defer cancel()
	s := startSampler(p.pid())
	s.mark()
	start := time.Now()

	var mu sync.Mutex
	answers := map[string]int{}
	var seq atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// One connection per client, as many browsers or bots would.
			tr := &http.Transport{MaxIdleConnsPerHost: 1, DialContext: (&net.Dialer{}).DialContext}
			defer tr.CloseIdleConnections()
			cl := &http.Client{Transport: tr, Timeout: time.Minute,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			for ctx.Err() == nil {
				n := seq.Add(1)
				form := url.Values{"community": {"flood"}, "email": {fmt.Sprintf("guess-%d@example.com", n)}, "password": {"not the password"}}
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.url+"/signin", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if spread {
					req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255))
				}
				key := "error"
				resp, err := cl.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					key = fmt.Sprint(resp.StatusCode)
				} else if ctx.Err() != nil {
					return
				}
				mu.Lock()
				answers[key]++
				mu.Unlock()
			}
		}()
	}
	// /healthz, ten times a second, on a connection of its own.
	var health []time.Duration
	hc := &http.Client{Timeout: time.Minute}
	tick := time.NewTicker(100 * time.Millisecond)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
			t0 := time.Now()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.url+"/healthz", nil)
			resp, err := hc.Do(req)
			if err != nil {
				if ctx.Err() == nil {
					health = append(health, time.Minute) // counted as the worst
				}
				continue
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			health = append(health, time.Since(t0))
		}
	}
	tick.Stop()
	wg.Wait()
	wall := time.Since(start)
	st := s.finish()
	slices.Sort(health)
	total := 0
	for k, v := range answers {
		if k != "error" {
			total += v
		}
	}
	return floodResult{
		Phase: name, Clients: clients, Seconds: wall.Seconds(), Answers: answers,
		SignInsPS: float64(total) / wall.Seconds(), HealthzN: len(health),
		HealthP50: ms(percentile(health, 0.50)), HealthP99: ms(percentile(health, 0.99)), HealthMax: ms(percentile(health, 1)),
		RSSMaxMiB: float64(st.maxRSS) / mib, HWMMiB: float64(st.hwm) / mib, ServerCPU: st.cpu,
	}
}

// printFloodTable writes the sign-in flood results.
func printFloodTable(w io.Writer, rs []floodResult) {
	if len(rs) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tclients\tsign-ins/s\t401\t429\t503\tother\t/healthz p50/p99/max ms\tsrv RSS max/HWM MiB\tCPU srv\t")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%d\t%d\t%d\t%d\t%.1f/%.1f/%.1f\t%.0f/%.0f\t%.2f\t\n", r.Phase, r.Clients, r.SignInsPS,
			r.Answers["401"], r.Answers["429"], r.Answers["503"], r.other(), r.HealthP50, r.HealthP99, r.HealthMax, r.RSSMaxMiB, r.HWMMiB, r.ServerCPU)
	}
	tw.Flush()
}
