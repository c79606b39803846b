package sqlstore

import (
	"errors"
	"strconv"
	"strings"
)

// Reading a column costs the SQLite driver a few calls into the library
// per row and per statement (its name, declared type, type and value),
// whatever the value; a ticket with its author and assignee was 49
// columns. pack folds several short values into one text column, and
// unpacker reads them back, which makes a ticket 17 columns.
//
// Each value is written as its length in bytes, a colon and its text, or
// as -1 and a colon when it is NULL, so any text survives, separators
// included. The same SQL runs on both backends.

// pack returns an SQL expression that packs exprs.
func pack(exprs ...string) string {
	var f, args strings.Builder
	for i, e := range exprs {
		f.WriteString("%s:%s")
		if i > 0 {
			args.WriteString(", ")
		}
		text := "CAST(" + e + " AS TEXT)"
		args.WriteString("coalesce(octet_length(" + text + "), -1), " + text)
	}
	return "format('" + f.String() + "', " + args.String() + ")"
}

var errPacked = errors.New("sqlstore: malformed packed column")

// unpacker reads the values of a packed column in order. The first
// malformed value sets err, after which every value reads as NULL.
type unpacker struct {
	s   string
	err error
}

// next returns the next value, and false for NULL.
func (u *unpacker) next() (string, bool) {
	if u.err != nil {
		return "", false
	}
	i := strings.IndexByte(u.s, ':')
	if i < 0 {
		u.err = errPacked
		return "", false
	}
	n, err := strconv.Atoi(u.s[:i])
	if err != nil || n < -1 || i+1+n > len(u.s) {
		u.err = errPacked
		return "", false
	}
	if n == -1 {
		u.s = u.s[i+1:]
		return "", false
	}
	v := u.s[i+1 : i+1+n]
	u.s = u.s[i+1+n:]
	return v, true
}

func (u *unpacker) str() string {
	v, _ := u.next()
	return v
}

func (u *unpacker) optStr() *string {
	if v, ok := u.next(); ok {
		return &v
	}
	return nil
}

func (u *unpacker) int() (int64, bool) {
	v, ok := u.next()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil && u.err == nil {
		u.err = errPacked
	}
	return n, err == nil
}

// bool reads SQLite's 0 and 1 and PostgreSQL's false and true.
func (u *unpacker) bool() bool {
	v, _ := u.next()
	return v == "1" || v == "true"
}

// done reports a malformed value, or values left over.
func (u *unpacker) done() error {
	if u.err == nil && u.s != "" {
		u.err = errPacked
	}
	return u.err
}
