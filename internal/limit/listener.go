package limit

import (
	"net"
	"net/netip"
	"sync"
)

// ListenerOptions configure a Listener.
type ListenerOptions struct {
	// MaxConns caps the connections open at once; 0 means no cap.
	MaxConns int
	// MaxConnsPerIP caps the connections open at once from one peer
	// address; 0 means no cap. Peers for which Exempt reports true (the
	// trusted proxies, which carry many clients' connections) are held
	// only to MaxConns.
	MaxConnsPerIP int
	Exempt        func(netip.Addr) bool
	// Metrics counts refusals; nil counts nothing.
	Metrics *Metrics
}

// Listener wraps a net.Listener so that connections over its caps are
// closed as soon as they are accepted, before anything is read from them:
// idle sockets cannot use up the process's file descriptors, nor one
// client all of the server's connections. A refused connection does not
// end Accept, which goes on to the next one.
type Listener struct {
	net.Listener
	opt ListenerOptions

	mu    sync.Mutex
	total int
	perIP map[netip.Addr]int
}

// NewListener returns ln with the caps of opt.
func NewListener(ln net.Listener, opt ListenerOptions) *Listener {
	return &Listener{Listener: ln, opt: opt, perIP: map[netip.Addr]int{}}
}

// Accept returns the next connection within the caps.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := peerAddr(c)
		if reason := l.take(ip); reason != "" {
			l.opt.Metrics.refuse(reason)
			c.Close()
			continue
		}
		return &conn{Conn: c, l: l, ip: ip}, nil
	}
}

// take counts a connection from ip, or names the cap it would exceed.
func (l *Listener) take(ip netip.Addr) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.opt.MaxConns > 0 && l.total >= l.opt.MaxConns {
		return ReasonConnLimit
	}
	perIP := l.opt.MaxConnsPerIP > 0 && (l.opt.Exempt == nil || !l.opt.Exempt(ip))
	if perIP && l.perIP[ip] >= l.opt.MaxConnsPerIP {
		return ReasonConnLimitPerIP
	}
	l.total++
	l.perIP[ip]++
	return ""
}

func (l *Listener) release(ip netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.perIP[ip]--; l.perIP[ip] <= 0 {
		delete(l.perIP, ip)
	}
}

// Open returns the number of connections open now.
func (l *Listener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

func peerAddr(c net.Conn) netip.Addr {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.AddrPort().Addr().Unmap().WithZone("")
	}
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// conn gives its place back when it is closed, once.
type conn struct {
	net.Conn
	l    *Listener
	ip   netip.Addr
	once sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.ip) })
	return err
}
