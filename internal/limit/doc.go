// Package limit holds the server's defences against floods: a pool that
// caps concurrent password hashes, a limiter of failed sign-ins and token
// requests per account and client address, and a listener that caps open
// connections in total and per client address. Each refuses at once, and
// counts what it refused in openboards_refused_total.
//
// Their state is in memory, per process: several nodes behind one load
// balancer each keep their own counts, so a client spread over n nodes gets
// up to n times the limits.
package limit
