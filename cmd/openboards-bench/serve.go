package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strconv"
	"time"

	"openboards/internal/cli"
	"openboards/internal/config"
)

// ceilingBody is the trivial server's answer: the shape of a small API
// result.
const ceilingBody = `{"data":1,"errorCode":-1,"errorText":null}` + "\n"

// serveCeiling runs the trivial server on addr until ctx ends. It has the
// real server's timeouts and reads the whole request body, so the only
// difference left is the work behind the handler.
func serveCeiling(ctx context.Context, addr string, stdout io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	length := strconv.Itoa(len(ceilingBody))
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("Content-Length", length)
			io.WriteString(w, ceilingBody)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	fmt.Fprintf(stdout, "Ceiling is serving at http://%s\n", ln.Addr())
	return serveUntil(ctx, srv, ln)
}

// serveProfiled runs the Openboards server in this process exactly as
// `openboards serve` wires it (cli.NewServer), plus the net/http/pprof
// handlers on a second loopback listener, so that CPU and heap profiles
// of the server can be fetched while it is under load.
func serveProfiled(ctx context.Context, db, addr string, stdout, stderr io.Writer) error {
	follow := cli.TuneGC(os.Getenv) // the GC setting of serve, so profiles show what serve does
	// The environment's settings apply as they do to serve (the chat
	// phases' webhook receiver needs OPENBOARDS_WEBHOOK_ALLOWED_NETWORKS);
	// the database and address are the benchmark's.
	cfg, err := config.Default().Load(os.Getenv)
	if err != nil {
		return err
	}
	cfg.DB, cfg.Addr = db, addr
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s, err := cli.NewServer(ctx, cfg, log)
	if err != nil {
		return err
	}
	s.FollowConns = follow
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.Handle("/debug/pprof/heap", pprof.Handler("heap"))
	mux.Handle("/debug/pprof/allocs", pprof.Handler("allocs"))
	go serveUntil(ctx, &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln)
	fmt.Fprintf(stdout, "Openboards (profiled) is serving the Ticket API at %s (pprof at http://%s)\n", s.URL, ln.Addr())
	return s.Run(ctx)
}

// serveUntil serves ln until ctx ends, then shuts srv down.
func serveUntil(ctx context.Context, srv *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdown)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
