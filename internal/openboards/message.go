package openboards

import (
	"fmt"
	"net/url"
	"path"
	"strings"
)

// Limits on the content of a message (a ticket's first message, a reply, a
// note, a chat message), shared by every surface that accepts one.
const (
	// MaxMessageLen is the largest message, in bytes, as submitted (before
	// HTML is sanitised).
	MaxMessageLen = 512 << 10
	// MaxAttachments is the most attachments one message carries.
	MaxAttachments = 100
	// MaxAttachmentNameLen is the longest attachment name, in bytes.
	MaxAttachmentNameLen = 500
)

// ValidateMessage checks the size of a submitted message, naming field in
// the error.
func ValidateMessage(field, message string) error {
	if len(message) > MaxMessageLen {
		return Errorf(CodeInvalid, "%s: longer than %d bytes", field, MaxMessageLen)
	}
	return CheckText(field, message)
}

// CleanAttachments validates submitted file links, naming them under field
// (field[i].url, field[i].name). Each URL must be an absolute http or https
// URL; a missing name is taken from the URL's last path element, else its
// host. It returns the attachments as they are stored.
func CleanAttachments(field string, in []Attachment) ([]Attachment, error) {
	if len(in) > MaxAttachments {
		return nil, Errorf(CodeInvalid, "%s: more than %d attachments", field, MaxAttachments)
	}
	out := make([]Attachment, 0, len(in))
	for i, a := range in {
		if err := CheckLen(fmt.Sprintf("%s[%d].url", field, i), a.URL, MaxURLLen); err != nil {
			return nil, err
		}
		if err := CheckText(fmt.Sprintf("%s[%d].name", field, i), a.Name); err != nil {
			return nil, err
		}
		u, err := url.Parse(strings.TrimSpace(a.URL))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, Errorf(CodeInvalid, "%s[%d].url: must be an absolute http or https URL", field, i)
		}
		name := strings.TrimSpace(a.Name)
		if name == "" {
			name = path.Base(u.Path)
			if name == "/" || name == "." {
				name = u.Host
			}
		}
		if len(name) > MaxAttachmentNameLen {
			return nil, Errorf(CodeInvalid, "%s[%d].name: longer than %d characters", field, i, MaxAttachmentNameLen)
		}
		out = append(out, Attachment{URL: u.String(), Name: name})
	}
	return out, nil
}
