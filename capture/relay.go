package capture

import (
	"context"
	"net"

	"sockscope/event"
	"sockscope/proxy"
)

// Relay is the proxy as a Source: clients accepted on a listener are
// relayed to an upstream server. It is the Source that can act on live
// connections (see Engine.Send).
type Relay struct {
	r   *proxy.Relay
	up  proxy.Addr
	ctl control
	one *oneConn // a wrapped child's stdio: the one connection relayed
}

// NewRelay returns the Source that relays clients accepted on ln to up.
// The Engine closes ln when the Source ends.
func NewRelay(ln net.Listener, up proxy.Addr) *Relay {
	return &Relay{up: up, r: &proxy.Relay{Listener: ln, Dial: proxy.DialFunc(up), Upstream: up.String()}}
}

// Listen returns the address clients connect to ("" for a wrapped child).
func (s *Relay) Listen() string {
	if s.r.Listener == nil {
		return ""
	}
	return s.r.Listener.Addr().String()
}

// Upstream returns the address clients are relayed to.
func (s *Relay) Upstream() proxy.Addr { return s.up }

// Run implements Source.
func (s *Relay) Run(ctx context.Context, q *event.Queue) error {
	s.r.Queue = q
	if s.one != nil {
		return s.one.run(ctx, s.r)
	}
	defer s.r.Listener.Close()
	return s.r.Serve(ctx)
}
