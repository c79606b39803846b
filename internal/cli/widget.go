package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"openboards/internal/openboards"
	"openboards/internal/widget"
)

// widgetJSON is a widget as the widget commands print it.
type widgetJSON struct {
	WidgetID            int64    `json:"widgetId"`
	Community           string   `json:"community"`
	Name                string   `json:"name"`
	AllowedOrigins      []string `json:"allowedOrigins"`
	RequireVerification bool     `json:"requireVerification"`
	IdentitySecret      string   `json:"identitySecret,omitempty"`
}

func widgetOut(cm *openboards.Community, st *openboards.WidgetSettings, secret bool) widgetJSON {
	out := widgetJSON{WidgetID: st.WidgetID, Community: cm.Name, Name: st.Name, AllowedOrigins: st.AllowedOrigins, RequireVerification: st.RequireVerification}
	if secret {
		out.IdentitySecret = st.IdentitySecret
	}
	return out
}

func runWidgetCreate(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("widget create", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	db := dbFlag(fs, env)
	cname := fs.String("community", "", "community name (required)")
	name := fs.String("name", "", "the widget's name, shown at the top of its panel (required)")
	origins := fs.String("origins", "", "comma-separated origins of the sites that may embed it, e.g. https://shop.example.com (default: any)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkArgs(fs, pos, nil, "community", "name"); err != nil {
		return err
	}
	store, _, cm, err := adminOf(ctx, *db, *cname, env)
	if err != nil {
		return err
	}
	defer store.Close()
	var list []string
	if *origins != "" {
		list = strings.Split(*origins, ",")
	}
	st, err := widget.NewService(store, time.Now).Create(ctx, cm, *name, list)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(env.Stdout, widgetOut(cm, st, true))
	}
	fmt.Fprintf(env.Stdout, "Widget %d (%s) of %s\nIdentity secret: %s\nEmbed it with: options = { community: '%s', widgetId: %d }\n",
		st.WidgetID, st.Name, cm.Name, st.IdentitySecret, cm.Name, st.WidgetID)
	return nil
}

func runWidgetList(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("widget list", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	db := dbFlag(fs, env)
	cname := fs.String("community", "", "community name (required)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkArgs(fs, pos, nil, "community"); err != nil {
		return err
	}
	store, _, cm, err := adminOf(ctx, *db, *cname, env)
	if err != nil {
		return err
	}
	defer store.Close()
	list, err := widget.NewService(store, time.Now).List(ctx, cm)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]widgetJSON, len(list))
		for i, st := range list {
			out[i] = widgetOut(cm, st, false)
		}
		return printJSON(env.Stdout, out)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tALLOWED ORIGINS\tVERIFICATION")
	for _, st := range list {
		origins := strings.Join(st.AllowedOrigins, ", ")
		if origins == "" {
			origins = "any"
		}
		verify := "optional"
		if st.RequireVerification {
			verify = "required"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", st.WidgetID, st.Name, origins, verify)
	}
	return tw.Flush()
}
