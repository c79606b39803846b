package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// result is the outcome of one phase, as printed and as written to JSON.
type result struct {
	Phase      string  `json:"phase"`
	Request    string  `json:"request"`
	Clients    int     `json:"clients"`
	Requests   int     `json:"requests"` // measured: successes and errors
	Errors     int     `json:"errors"`
	Throughput float64 `json:"throughput"` // successes per second
	Unit       string  `json:"unit"`
	P50ms      float64 `json:"p50Ms"`
	P90ms      float64 `json:"p90Ms"`
	P99ms      float64 `json:"p99Ms"`
	Maxms      float64 `json:"maxMs"`
	FirstError string  `json:"firstError,omitempty"`

	// FsyncP50ms and FsyncP99ms are the disk's fsync latency just before
	// a phase that commits.
	FsyncP50ms float64 `json:"fsyncP50Ms,omitempty"`
	FsyncP99ms float64 `json:"fsyncP99Ms,omitempty"`

	// Server figures; zero for the ceiling server's own rows where noted.
	RSSMaxMiB float64 `json:"serverRssMaxMiB"`
	HWMMiB    float64 `json:"serverVmHwmMiB"`
	ServerCPU float64 `json:"serverCpuCores"`
	BenchCPU  float64 `json:"benchCpuCores"`
	OtherCPU  float64 `json:"otherCpuCores"` // every other process on the machine

	Ceiling *ceilingRef `json:"ceiling,omitempty"`
	// CeilingShare is Throughput over the ceiling's, where a target
	// names one.
	CeilingShare float64 `json:"ceilingShare,omitempty"`
	Target       string  `json:"target,omitempty"`
	Met          *bool   `json:"met,omitempty"`
	// Chat has the figures only the chat phases have (chat.go).
	Chat *chatDetail `json:"chat,omitempty"`

	method string
	goal   goal
}

// ceilingRef is the trivial server's figure a phase is compared with.
type ceilingRef struct {
	Phase      string  `json:"phase"`
	Throughput float64 `json:"throughput"`
	P50ms      float64 `json:"p50Ms"`
	P99ms      float64 `json:"p99Ms"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

const mib = 1 << 20

// newResult summarises a load run with the server's figures.
func newResult(w workload, request string, lr loadResult, st procStats) result {
	return result{
		Phase: w.name, Request: request, Clients: w.clients, Requests: len(lr.latencies), Errors: lr.errors,
		Throughput: float64(lr.ok) / lr.window.Seconds(), Unit: w.unit,
		P50ms: ms(percentile(lr.latencies, 0.50)), P90ms: ms(percentile(lr.latencies, 0.90)),
		P99ms: ms(percentile(lr.latencies, 0.99)), Maxms: ms(percentile(lr.latencies, 1)),
		FirstError: lr.firstErr,
		RSSMaxMiB:  float64(st.maxRSS) / mib, HWMMiB: float64(st.hwm) / mib,
		ServerCPU: st.cpu, BenchCPU: st.self, OtherCPU: st.other, method: w.method,
	}
}

// rssTargetMiB is the memory target of every server phase whose goal
// names none.
const rssTargetMiB = 150

// goal is what a phase should reach; a zero member is no target.
type goal struct {
	throughput float64 // at least this many per second
	p99ms      float64 // at most this p99
	share      float64 // at least this fraction of its ceiling's throughput
	rssMiB     float64 // at most this server RSS; 0: rssTargetMiB
}

// judge sets the target of a phase and whether it was met. The share of
// the ceiling is judged once the ceilings are attached (see
// attachCeilings), as the ceiling phase may come later.
func (r *result) judge(g goal) {
	var parts []string
	met := true
	if g.throughput > 0 {
		parts = append(parts, fmt.Sprintf(">=%.0f/s", g.throughput))
		met = met && r.Throughput >= g.throughput
	}
	if g.p99ms > 0 {
		parts = append(parts, fmt.Sprintf("p99<=%.0fms", g.p99ms))
		met = met && r.P99ms <= g.p99ms
	}
	rss := cmp.Or(g.rssMiB, rssTargetMiB)
	parts = append(parts, fmt.Sprintf("rss<=%.0fMiB", rss))
	met = met && r.RSSMaxMiB <= rss && r.HWMMiB <= rss && r.Errors == 0
	r.Target = strings.Join(parts, " ")
	r.Met = &met
	r.goal = g
}

// judgeShare adds the share of the ceiling to a judged result.
func (r *result) judgeShare() {
	if r.goal.share == 0 || r.Ceiling == nil || r.Met == nil || r.Ceiling.Throughput == 0 {
		return
	}
	share := r.Throughput / r.Ceiling.Throughput
	r.CeilingShare = math.Round(share*1000) / 1000
	r.Target += fmt.Sprintf(" ceiling>=%.2f (%.3f)", r.goal.share, share)
	met := *r.Met && share >= r.goal.share
	r.Met = &met
}

// report is everything one run wrote.
type report struct {
	Started  time.Time   `json:"started"`
	Machine  machine     `json:"machine"`
	Settings settings    `json:"settings"`
	Seed     *seedReport `json:"seed,omitempty"`
	Results  []result    `json:"results"`
	// SigninFlood holds the runs of the signin-flood phase.
	SigninFlood []floodResult `json:"signinFlood,omitempty"`
}

// seedReport describes the list phases' database.
type seedReport struct {
	Path    string  `json:"path"`
	Tickets int     `json:"tickets"`
	Users   int     `json:"users"`
	Seconds float64 `json:"seconds"` // time the seeding took
	Reused  bool    `json:"reused"`  // seeded by an earlier run
}

type machine struct {
	Revision  string `json:"revision"` // of the tree this program was built from
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpuModel"`
	GoVersion string `json:"goVersion"`
	OS        string `json:"os"`
}

type settings struct {
	Duration    string `json:"duration"`
	Warmup      string `json:"warmup"`
	Clients     int    `json:"clients"`
	ListClients int    `json:"listClients"`
	SeedTickets int    `json:"seedTickets"`
	ListSkip    int    `json:"listSkip"`
	Profiled    bool   `json:"profiled"`
	DB          string `json:"db,omitempty"`
	Nodes       int    `json:"nodes"`
}

// printTable writes the compact table of results.
func printTable(w io.Writer, results []result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tclients\tthroughput\tp50 ms\tp99 ms\terrors\tsrv RSS max/HWM MiB\tCPU srv/bench/other\tceiling req/s, p50, p99\ttarget\t")
	for _, r := range results {
		rss, ceil, target := "-", "-", ""
		if r.RSSMaxMiB > 0 {
			rss = fmt.Sprintf("%.0f/%.0f", r.RSSMaxMiB, r.HWMMiB)
		}
		if c := r.Ceiling; c != nil {
			ceil = fmt.Sprintf("%s %.0f, %.2f, %.2f", c.Phase, c.Throughput, c.P50ms, c.P99ms)
		}
		if r.Met != nil {
			target = r.Target + " MISS"
			if *r.Met {
				target = r.Target + " ok"
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f %s\t%.2f\t%.2f\t%d\t%s\t%.2f/%.2f/%.2f\t%s\t%s\t\n",
			r.Phase, r.Clients, r.Throughput, r.Unit, r.P50ms, r.P99ms, r.Errors, rss, r.ServerCPU, r.BenchCPU, r.OtherCPU, ceil, target)
	}
	tw.Flush()
}

// writeJSON writes the report to path.
func writeJSON(path string, rep report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
