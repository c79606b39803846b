package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
)

// version is what this binary knows of how it was built, from the build
// information the Go toolchain embeds.
type version struct {
	Module    string `json:"module"`
	Version   string `json:"version"` // "(devel)" for a build from a work tree
	GoVersion string `json:"goVersion"`
	Revision  string `json:"vcsRevision,omitempty"` // the commit, when built in a VCS checkout
	Time      string `json:"vcsTime,omitempty"`     // the commit's time, RFC 3339
	Modified  *bool  `json:"vcsModified,omitempty"` // the work tree had uncommitted changes
}

// buildVersion reads a version from build information; ok false (no
// build information, as in a binary built without module support) gives
// "unknown" for what it cannot say.
func buildVersion(bi *debug.BuildInfo, ok bool) version {
	if !ok || bi == nil {
		return version{Module: "openboards", Version: "unknown", GoVersion: "unknown"}
	}
	v := version{Module: bi.Main.Path, Version: bi.Main.Version, GoVersion: bi.GoVersion}
	if v.Module == "" {
		// A test binary has no main module path.
		v.Module = "openboards"
	}
	if v.Version == "" {
		v.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			m := s.Value == "true"
			v.Modified = &m
		}
	}
	return v
}

// print writes v as the version command's text.
func (v version) print(w io.Writer) {
	fmt.Fprintf(w, "%s %s (%s)\n", v.Module, v.Version, v.GoVersion)
	if v.Revision == "" {
		fmt.Fprintln(w, "revision: unknown (not built from a VCS checkout)")
		return
	}
	fmt.Fprintf(w, "revision: %s\n", v.Revision)
	if v.Time != "" {
		fmt.Fprintf(w, "time:     %s\n", v.Time)
	}
	if v.Modified != nil {
		fmt.Fprintf(w, "modified: %t\n", *v.Modified)
	}
}

func runVersion(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkArgs(fs, pos, nil); err != nil {
		return err
	}
	v := buildVersion(debug.ReadBuildInfo())
	if *asJSON {
		return printJSON(env.Stdout, v)
	}
	v.print(env.Stdout)
	return nil
}
