package openboards

import (
	"strings"
	"unicode/utf8"
)

// Limits on short text, in bytes, as the services apply them on every
// backend. Each keeps a value small enough for the PostgreSQL index that
// holds it (a B-tree entry takes at most about 2700 bytes) and for the
// pages that show it. Messages, attachments, tags and custom field values
// have their limits beside their validation (MaxMessageLen and the rest).
const (
	// MaxEmailLen is the longest e-mail address (RFC 5321's path limit).
	MaxEmailLen = 254
	// MaxCustomIdentifierLen is the longest custom identifier of a user.
	MaxCustomIdentifierLen = 200
	// MaxPhoneLen is the longest phone number of a user.
	MaxPhoneLen = 50
	// MaxNameLen is the longest name of a user, category, custom field,
	// user group, refresh token or ticket source.
	MaxNameLen = 200
	// MaxTitleLen is the longest ticket title.
	MaxTitleLen = 1000
	// MaxURLLen is the longest link: an attachment, a user's image, a
	// webhook endpoint.
	MaxURLLen = 2048
	// MaxPlaceholderLen is the longest placeholder of a custom field.
	MaxPlaceholderLen = 500
	// MaxPossibleValues is the most possible values of one custom field.
	MaxPossibleValues = 500
	// MaxPossibleValueLen is the longest possible value of a custom field.
	MaxPossibleValueLen = 200
)

// CheckText refuses text that one of the backends cannot store as it is:
// a NUL character (PostgreSQL text cannot hold it) or bytes that are not
// UTF-8 (PostgreSQL refuses them, SQLite would keep them). The error names
// field.
func CheckText(field, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return Errorf(CodeInvalid, "%s: must not contain a NUL character (\\u0000)", field)
	}
	if !utf8.ValidString(s) {
		return Errorf(CodeInvalid, "%s: is not valid UTF-8", field)
	}
	return nil
}

// CheckEmail refuses s unless it is an e-mail address (ValidEmail), naming
// field; a long address is refused without being quoted back.
func CheckEmail(field, s string) error {
	if err := CheckLen(field, s, MaxEmailLen); err != nil {
		return err
	}
	if !ValidEmail(s) {
		return Errorf(CodeInvalid, "%s: %q is not an e-mail address", field, s)
	}
	return nil
}

// CheckLen is CheckText that also refuses s when it is longer than max
// bytes.
func CheckLen(field, s string, max int) error {
	if len(s) > max {
		return Errorf(CodeInvalid, "%s: longer than %d characters", field, max)
	}
	return CheckText(field, s)
}
