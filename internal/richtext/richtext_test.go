package richtext

import (
	"strings"
	"testing"
)

func TestSanitize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, mustNot, must string }{
		{`<p onclick="alert(1)">hi</p><script>alert(2)</script>`, "alert", "<p>hi</p>"},
		{`<a href="javascript:alert(1)">x</a>`, "javascript:", "x"},
		{`<img src=x onerror=alert(1)>`, "onerror", ""},
		{`<iframe src="https://evil.example"></iframe>ok`, "iframe", "ok"},
		{`<div class="sb-html-message"><b>bold</b></div>`, "<script", `<div class="sb-html-message"><b>bold</b></div>`},
		{`<svg><script>alert(1)</script></svg>`, "alert", ""},
		{`<a href="https://example.com">link</a>`, "javascript", `href="https://example.com"`},
	} {
		got := Sanitize(tc.in)
		if strings.Contains(strings.ToLower(got), tc.mustNot) {
			t.Errorf("Sanitize(%q) = %q, contains %q", tc.in, got, tc.mustNot)
		}
		if !strings.Contains(got, tc.must) {
			t.Errorf("Sanitize(%q) = %q, want it to contain %q", tc.in, got, tc.must)
		}
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"Hello <b>world</b>", "Hello world"},
		{"<p>one</p><p>two</p>", "one\ntwo"},
		{"a<br>b", "a\nb"},
		{"<div>  spaced   out </div>", "spaced out"},
		{"x<script>var a = 1;</script>y", "xy"},
		{"Fish &amp; chips &lt;3", "Fish & chips <3"},
		{"<ul><li>a</li><li>b</li></ul>", "a\nb"},
		{"plain text", "plain text"},
	} {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFromText(t *testing.T) {
	t.Parallel()
	if got, want := FromText("a < b\nc & d"), "a &lt; b<br>c &amp; d"; got != want {
		t.Errorf("FromText = %q, want %q", got, want)
	}
}
