package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"syscall"
	"time"
)

// process is a server the benchmark started: the openboards binary, or
// this program re-executed as the ceiling or profiled server.
type process struct {
	name     string
	cmd      *exec.Cmd
	url      string // base URL, http://127.0.0.1:PORT
	addr     string // 127.0.0.1:PORT
	pprofURL string // set by the profiled server only
	// metricsURL is where the server serves /metrics, when started
	// with --metrics-addr.
	metricsURL string
	exited     chan struct{}
	log        *os.File
}

// servingLine matches the line a server prints once it listens: openboards
// serve prints "Openboards is serving the Ticket API at URL (database
// ...)"; the ceiling and profiled servers print the same shape.
var (
	servingLine = regexp.MustCompile(`serving\b.*?\bat (http://127\.0\.0\.1:[0-9]+)`)
	pprofLine   = regexp.MustCompile(`pprof at (http://127\.0\.0\.1:[0-9]+)`)
	metricsLine = regexp.MustCompile(`metrics at (http://127\.0\.0\.1:[0-9]+/metrics)`)
)

// startProcess runs argv with its standard error in logPath and waits (up
// to a minute) for it to report its URL.
func startProcess(ctx context.Context, name, logPath string, argv ...string) (*process, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = logf
	cmd.SysProcAttr = childAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, exited: make(chan struct{}), log: logf}
	type urls struct{ url, pprof, metrics string }
	found := make(chan urls, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if m := servingLine.FindStringSubmatch(line); m != nil && !sent {
				u := urls{url: m[1]}
				if m2 := pprofLine.FindStringSubmatch(line); m2 != nil {
					u.pprof = m2[1]
				}
				if m2 := metricsLine.FindStringSubmatch(line); m2 != nil {
					u.metrics = m2[1]
				}
				found <- u
				sent = true
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	select {
	case f := <-found:
		p.url, p.pprofURL, p.metricsURL = f.url, f.pprof, f.metrics
		u, _ := url.Parse(f.url)
		p.addr = u.Host
		return p, nil
	case <-p.exited:
		logf.Close()
		return nil, fmt.Errorf("%s exited before serving; see %s", name, logPath)
	case <-time.After(time.Minute):
	case <-ctx.Done():
	}
	p.stop()
	return nil, fmt.Errorf("%s did not report its address; see %s", name, logPath)
}

// pid is the process id of the server.
func (p *process) pid() int { return p.cmd.Process.Pid }

// stop asks the server to shut down (SIGTERM: it finishes requests in
// flight and closes its database) and kills it after 30 s.
func (p *process) stop() error {
	defer p.log.Close()
	select {
	case <-p.exited:
		return p.exitErr()
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return p.exitErr()
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s did not stop within 30 s and was killed", p.name)
	}
}

func (p *process) exitErr() error {
	if st := p.cmd.ProcessState; st != nil && !st.Success() {
		return fmt.Errorf("%s: %s", p.name, st)
	}
	return nil
}

// runCommand runs argv to completion (bounded by ctx) and returns its
// standard output.
func runCommand(ctx context.Context, argv ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.SysProcAttr = childAttr()
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return nil, fmt.Errorf("%s: %w: %s", argv[0], err, ee.Stderr)
	}
	return out, err
}

// procStats are resource figures of one phase's measurement window.
type procStats struct {
	maxRSS, hwm int64   // server memory, bytes
	cpu         float64 // cores the server used, e.g. 1.4
	self        float64 // cores this program used
	other       float64 // cores every other process used
}

// sampler watches a server's memory during a phase and measures CPU time
// over the phase's measurement window.
type sampler struct {
	pid               int
	maxRSS            int64
	stop, done        chan struct{}
	srvCPU0, selfCPU0 time.Duration
	allCPU0           time.Duration
	t0                time.Time
}

// startSampler reads VmRSS of pid every 50 ms until finish.
func startSampler(pid int) *sampler {
	s := &sampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if rss, _, err := memStatus(pid); err == nil {
				s.maxRSS = max(s.maxRSS, rss)
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// mark records the CPU clocks when measuring starts.
func (s *sampler) mark() {
	s.t0 = time.Now()
	s.srvCPU0, _ = procCPU(s.pid)
	s.selfCPU0 = selfCPU()
	s.allCPU0 = machineCPU()
}

// finish stops sampling and returns the figures of the window.
func (s *sampler) finish() procStats {
	srv, _ := procCPU(s.pid)
	self := selfCPU()
	all := machineCPU()
	wall := time.Since(s.t0)
	close(s.stop)
	<-s.done
	st := procStats{maxRSS: s.maxRSS}
	if rss, hwm, err := memStatus(s.pid); err == nil {
		st.maxRSS = max(st.maxRSS, rss)
		st.hwm = hwm
	}
	if s.t0.IsZero() || wall <= 0 {
		return st
	}
	st.cpu = float64(srv-s.srvCPU0) / float64(wall)
	if s.pid != os.Getpid() {
		st.self = float64(self-s.selfCPU0) / float64(wall)
	}
	st.other = max(float64(all-s.allCPU0)/float64(wall)-st.cpu-st.self, 0)
	return st
}

// fsyncLatency writes 16 KiB and fsyncs it n times in a scratch file in
// dir and returns the median and 99th percentile of the fsync times: the
// disk's share of every durable commit, which varies on shared machines.
func fsyncLatency(dir string, n int) (p50, p99 time.Duration, err error) {
	f, err := os.CreateTemp(dir, "fsync-probe-")
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 16<<10)
	ds := make([]time.Duration, 0, n)
	for i := range n {
		if _, err := f.WriteAt(buf, int64(i)*int64(len(buf))); err != nil {
			return 0, 0, err
		}
		t := time.Now()
		if err := f.Sync(); err != nil {
			return 0, 0, err
		}
		ds = append(ds, time.Since(t))
	}
	slices.Sort(ds)
	return percentile(ds, 0.50), percentile(ds, 0.99), nil
}
