package openboards_test

import (
	"strings"
	"testing"

	"openboards/internal/openboards"
)

func TestValidateMessage(t *testing.T) {
	t.Parallel()
	if err := openboards.ValidateMessage("message", strings.Repeat("a", openboards.MaxMessageLen)); err != nil {
		t.Fatalf("a message of the largest size: %v", err)
	}
	err := openboards.ValidateMessage("message", strings.Repeat("a", openboards.MaxMessageLen+1))
	if got, want := openboards.ErrorMessage(err), "message: longer than 524288 bytes"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestCleanAttachments(t *testing.T) {
	t.Parallel()
	got, err := openboards.CleanAttachments("attachments", []openboards.Attachment{
		{URL: " https://files.example.com/a/report.pdf "},
		{URL: "https://files.example.com/", Name: " Logo "},
		{URL: "https://files.example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []openboards.Attachment{
		{URL: "https://files.example.com/a/report.pdf", Name: "report.pdf"},
		{URL: "https://files.example.com/", Name: "Logo"},
		{URL: "https://files.example.com", Name: "files.example.com"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("[%d]: got %v, want %v", i, got[i], want[i])
		}
	}
	for _, c := range []struct {
		in   []openboards.Attachment
		want string
	}{
		{[]openboards.Attachment{{URL: "ftp://example.com/x"}}, "files[0].url: must be an absolute http or https URL"},
		{[]openboards.Attachment{{URL: "https://example.com/x"}, {URL: "/relative"}}, "files[1].url: must be an absolute http or https URL"},
		{[]openboards.Attachment{{URL: "https://example.com/x", Name: strings.Repeat("n", 501)}}, "files[0].name: longer than 500 characters"},
		{make([]openboards.Attachment, openboards.MaxAttachments+1), "files: more than 100 attachments"},
	} {
		_, err := openboards.CleanAttachments("files", c.in)
		if got := openboards.ErrorMessage(err); got != c.want || openboards.ErrorCode(err) != openboards.CodeInvalid {
			t.Errorf("got %q (%s), want %q", got, openboards.ErrorCode(err), c.want)
		}
	}
}

func TestCleanTags(t *testing.T) {
	t.Parallel()
	got, err := openboards.CleanTags("tags", []string{" VIP ", "billing  issue", "vip", "Billing issue", "new"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"VIP", "billing issue", "new"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, want %q", got, want)
	}
	for _, c := range []struct {
		in   []string
		want string
	}{
		{[]string{"a", "  "}, "tags[1]: empty tag name"},
		{[]string{strings.Repeat("t", openboards.MaxTagLen+1)}, "tags[0]: longer than 100 characters"},
		{make([]string, openboards.MaxTags+1), "tags: more than 100 tags"},
	} {
		_, err := openboards.CleanTags("tags", c.in)
		if got := openboards.ErrorMessage(err); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}
