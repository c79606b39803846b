// Package richtext turns message bodies into the two forms the API shows:
// sanitised HTML that is safe to render in an agent's browser, and plain
// text.
package richtext

import (
	"html"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	xhtml "golang.org/x/net/html"
)

var policy = sync.OnceValue(func() *bluemonday.Policy {
	// The user-generated-content policy keeps formatting, links, images and
	// tables and drops scripts, event handlers, styles, forms and frames.
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("class").Globally()
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
})

// Sanitize returns s with everything that could run script or change the
// page around it removed.
func Sanitize(s string) string {
	return strings.TrimSpace(policy().Sanitize(s))
}

// blocks are elements that end a line of text.
var blocks = map[string]bool{
	"p": true, "div": true, "br": true, "li": true, "tr": true, "h1": true, "h2": true, "h3": true,
	"h4": true, "h5": true, "h6": true, "blockquote": true, "pre": true, "hr": true, "table": true,
	"ul": true, "ol": true, "section": true, "article": true, "header": true, "footer": true,
}

// Text returns the plain text of an HTML fragment: the text nodes, with
// block elements ending lines, runs of spaces collapsed and the contents of
// script and style dropped.
func Text(s string) string {
	z := xhtml.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0
	newline := func() {
		str := b.String()
		if len(str) > 0 && !strings.HasSuffix(str, "\n") {
			b.WriteByte('\n')
		}
	}
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return tidy(b.String())
		case xhtml.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			name, _ := z.TagName()
			switch n := string(name); {
			case n == "script" || n == "style":
				skip++
			case blocks[n]:
				newline()
			}
		case xhtml.EndTagToken:
			name, _ := z.TagName()
			switch n := string(name); {
			case n == "script" || n == "style":
				if skip > 0 {
					skip--
				}
			case blocks[n]:
				newline()
			}
		}
	}
}

// tidy collapses horizontal whitespace within lines and drops blank lines
// at both ends and runs of more than one blank line.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := 0
	for _, l := range lines {
		l = strings.Join(strings.Fields(l), " ")
		if l == "" {
			blank++
			if blank > 1 || len(out) == 0 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// FromText returns plain text as HTML: escaped, with line breaks as <br>.
func FromText(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	return strings.ReplaceAll(html.EscapeString(s), "\n", "<br>")
}
