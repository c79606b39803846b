// Package openboards holds the domain of the customer-service server: the
// entities a community works with (tickets, replies, notes, categories,
// custom fields, teammates, user groups, tags, widget schedules, the action
// log), the coded Error type every layer reports with, and the Store seam that
// each storage backend implements.
//
// The package depends on the standard library only. Services build on it,
// storage backends implement it, and HTTP surfaces render it.
package openboards
