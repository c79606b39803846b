// Package httpapi is the plumbing the server's JSON APIs share: the
// {data, errorCode, errorText} envelope, the one map from error codes to
// HTTP statuses, a body decoder whose errors name the offending field, the
// .NET time layout, skip/take paging, bearer authentication, and a mux that
// remembers its routes.
//
// It holds no handlers: each API (the Ticket API today) is its own package
// with its own constructor, and calls these functions from its handlers, so
// that every API answers errors, pages and times the same way.
package httpapi
