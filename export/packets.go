package export

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"sockscope/protocol"
	"sockscope/store"
)

// item is one thing to write, in time order: a connection's opening, a
// message, or its end.
type item struct {
	at   time.Time
	rank uint8 // itemOpen, itemMessage, itemClose: the order at equal times
	conn uint64
	seq  uint64 // message seq
}

const (
	itemOpen uint8 = iota
	itemMessage
	itemClose
)

// writePCAPNG writes the selected exchanges' messages (every message when
// nothing filters) as packets, in the order they were read.
func writePCAPNG(w io.Writer, st store.View, sel selection, opts Options) (Stats, error) {
	var stats Stats
	rowOf := map[uint64]uint64{} // message seq → row seq
	for _, seq := range sel.rows {
		if r, ok := st.Row(seq); ok {
			for _, m := range [2]uint64{r.Req, r.Resp} {
				if m != 0 {
					rowOf[m] = r.Seq
				}
			}
		}
	}
	stats.Exchanges = len(sel.rows)

	// The messages, each at its read time, kept in order within its
	// direction even if the clock went back.
	type span struct {
		first, last time.Time
		lastDir     [2]time.Time
	}
	spans := map[uint64]*span{}
	marked := map[uint64]bool{} // connections with a frame withheld, injected or edited
	var items []item
	first, _ := st.MessageBounds()
	st.Messages(first, func(m *protocol.Message) bool {
		if _, ok := rowOf[m.Seq]; !ok && !sel.all {
			return true
		}
		if m.Withheld || m.Injected || sentOther(m) != nil {
			marked[m.Conn] = true
		}
		sp := spans[m.Conn]
		if sp == nil {
			sp = &span{first: m.At}
			spans[m.Conn] = sp
		}
		at := m.At
		if d := m.Dir & 1; at.Before(sp.lastDir[d]) {
			at = sp.lastDir[d]
		}
		sp.lastDir[m.Dir&1] = at
		sp.first, sp.last = minTime(sp.first, at), maxTime(sp.last, at)
		items = append(items, item{at: at, rank: itemMessage, conn: m.Conn, seq: m.Seq})
		return true
	})

	// The connections: all of them when nothing filters, else those with
	// messages exported; an interface per listener.
	conns := map[uint64]store.Conn{}
	var ifaces []string
	ifaceOf := map[string]uint32{}
	streams := map[uint64]*stream{}
	upstreams := map[uint64]*stream{} // the server's legs, where they differ
	for _, c := range st.Conns() {
		sp := spans[c.ID]
		if sp == nil && !sel.all {
			continue
		}
		conns[c.ID] = c
		if _, ok := ifaceOf[c.Listen]; !ok {
			ifaceOf[c.Listen] = uint32(len(ifaces))
			ifaces = append(ifaces, c.Listen)
		}
		streams[c.ID] = newStream(c.ID, ifaceOf[c.Listen], ServerPort)
		if marked[c.ID] && !c.Own { // on its own connection sockscope is the client: one leg
			upstreams[c.ID] = newStream(c.ID, ifaceOf[c.Listen], UpstreamPort)
			stats.Legs++
		}
		opened, closed := c.Opened, c.Closed
		if sp != nil {
			opened, closed = minTime(opened, sp.first), maxTime(closed, sp.last)
		}
		items = append(items, item{at: opened, rank: itemOpen, conn: c.ID})
		if c.State != store.ConnOpen {
			items = append(items, item{at: closed, rank: itemClose, conn: c.ID})
		}
	}
	slices.SortStableFunc(items, func(a, b item) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return cmp.Compare(a.rank, b.rank)
	})

	// The bytes of each connection's directions that no message holds
	// (store.Gap), oldest first: the stream skips them.
	type dirKey struct {
		conn uint64
		dir  protocol.Dir
	}
	holes := map[dirKey][]store.Gap{}
	if g, ok := st.(interface{ Gaps(func(store.Gap) bool) }); ok {
		g.Gaps(func(g store.Gap) bool {
			k := dirKey{g.Conn, g.Dir}
			holes[k] = append(holes[k], g)
			return true
		})
	}
	// skipTo skips, on legs, connection conn's gaps of direction d before
	// message seq (all that are left, at its end: seq 0).
	skipTo := func(legs []*stream, conn uint64, d protocol.Dir, seq uint64) {
		k := dirKey{conn, d}
		hs := holes[k]
		for len(hs) > 0 && (seq == 0 || hs[0].Before <= seq) {
			for _, l := range legs {
				l.skip(d == protocol.C2S, int(hs[0].Bytes))
			}
			hs = hs[1:]
		}
		holes[k] = hs
	}

	p := newPCAPNGWriter(w)
	p.section(opts.Creator + " " + opts.Version)
	for _, name := range ifaces {
		p.iface(name, fmt.Sprintf("sockscope: the connections to %s as TCP streams to 127.0.0.1:%d", name, ServerPort))
	}
	if len(ifaces) == 0 { // a capture needs an interface to be opened
		p.iface("sockscope", "")
	}
	http1 := map[uint64]bool{} // the connections an HTTP/1.1 frame was exported of
	var pkt []byte
	put := func(s *stream, at time.Time, c2s bool, flags uint8, payload []byte, comment string) {
		pkt = s.segment(pkt, c2s, flags, payload)
		p.packet(s.ifc, at, pkt, comment)
		stats.Packets++
	}
	for _, it := range items {
		s := streams[it.conn]
		if s == nil { // a message of a connection the store no longer knows
			s = newStream(it.conn, 0, ServerPort)
			streams[it.conn] = s
		}
		up := upstreams[it.conn]
		legs := []*stream{s}
		if up != nil {
			legs = append(legs, up)
		}
		c := conns[it.conn]
		switch it.rank {
		case itemOpen:
			for _, l := range legs {
				why := openComment(&c) + legName(l, up)
				put(l, it.at, true, tcpSYN, nil, why)
				put(l, it.at, false, tcpSYN|tcpACK, nil, why)
				put(l, it.at, true, tcpACK, nil, why)
			}
		case itemClose:
			skipTo(legs, it.conn, protocol.C2S, 0)
			skipTo(legs, it.conn, protocol.S2C, 0)
			for _, l := range legs {
				if c.State == store.ConnFailed {
					put(l, it.at, false, tcpRST|tcpACK, nil, fmt.Sprintf("conn=%d failed: %s", c.ID, c.Err)+legName(l, up))
					continue
				}
				why := fmt.Sprintf("conn=%d closed", c.ID) + legName(l, up)
				put(l, it.at, true, tcpFIN|tcpACK, nil, why)
				put(l, it.at, false, tcpFIN|tcpACK, nil, why)
				put(l, it.at, true, tcpACK, nil, why)
			}
		case itemMessage:
			m, ok := st.Message(it.seq)
			if !ok {
				continue
			}
			stats.Messages++
			skipTo(legs, it.conn, m.Dir, m.Seq)
			var row *store.Row
			if r, ok := st.Row(rowOf[it.seq]); ok {
				row = &r
			}
			wire, lead, cl := onWire(&m)
			stats.ContentLength = stats.ContentLength || cl
			switch m.Framing {
			case protocol.FramingHTTP:
				stats.HTTP = true
				http1[it.conn] = true
			case protocol.FramingHTTP2:
				stats.HTTP2 = true
				stats.HTTP2Prior = stats.HTTP2Prior || !http1[it.conn]
			case protocol.FramingRESP:
				stats.RESP = true
			case protocol.FramingLines, protocol.FramingContentLength, protocol.FramingVarlink:
				stats.Other, stats.JSON = true, true
			default:
				stats.Other = true
			}
			comment := messageComment(&m, row)
			sent := &m // what its sender's leg carries: an edited frame as sent
			if was := sentOther(&m); was != nil && up != nil {
				sent = was
			}
			for i, l := range travelled(&m, s, up) {
				lm, wire := &m, wire
				if i == 0 && sent != &m {
					lm = sent
					wire, _, _ = onWire(lm)
				}
				if lead > 0 {
					// Bytes before the frame that no frame kept: the
					// frame's segment comes after them, and Wireshark
					// says "previous segment not captured" rather than
					// join it to what came before.
					l.skip(m.Dir == protocol.C2S, lead)
				}
				parts := (len(wire) + MaxSegment - 1) / MaxSegment
				for i := 0; i < parts; i++ {
					chunk := wire[i*MaxSegment : min(len(wire), (i+1)*MaxSegment)]
					why := comment + legName(l, up)
					if parts > 1 {
						why += fmt.Sprintf(" part=%d/%d", i+1, parts)
					}
					flags := uint8(tcpACK)
					if i == parts-1 {
						flags |= tcpPSH
					}
					put(l, it.at, m.Dir == protocol.C2S, flags, chunk, why)
				}
				if unkept := lm.Frame.Wire - lead - len(wire); lm.Frame.Truncated && unkept > 0 {
					// The bytes the store did not keep were on the wire:
					// the stream's next segment comes after them, and
					// Wireshark says "previous segment not captured"
					// rather than take it for the frame's rest.
					l.skip(m.Dir == protocol.C2S, unkept)
				}
			}
		}
	}
	return stats, p.flush()
}

// sentOther returns message m as its sender sent it when sockscope edited
// it on its way (an edit by hand or by a rule: its note keeps the payload
// as sent), else nil.
func sentOther(m *protocol.Message) *protocol.Message {
	if m.Note == nil || m.Note.Was == nil || m.Injected || m.Withheld {
		return nil
	}
	was := *m
	was.Frame.Data, was.Frame.Truncated = m.Note.Was, false
	was.Frame.Wire = m.Frame.Wire - max(m.Frame.Size, len(m.Frame.Data)) + len(m.Note.Was)
	was.Frame.Size = len(m.Note.Was)
	return &was
}

// travelled returns the streams message m is written on: the connection's
// stream, or where its legs differ (up, the server's, is not nil) the
// sender's leg then the receiver's, but for a frame sockscope withheld,
// which only its sender's leg carried, and one it injected, only its
// receiver's.
func travelled(m *protocol.Message, client, up *stream) []*stream {
	if up == nil {
		return []*stream{client}
	}
	from, to := client, up
	if m.Dir == protocol.S2C {
		from, to = up, client
	}
	switch {
	case m.Withheld:
		return []*stream{from}
	case m.Injected:
		return []*stream{to}
	}
	return []*stream{from, to}
}

// legName is what a packet's comment says of its leg, l: nothing when the
// connection is one stream (up is nil).
func legName(l, up *stream) string {
	switch {
	case up == nil:
		return ""
	case l == up:
		return " leg=server"
	}
	return " leg=client"
}

// onWire returns the bytes message m took on the wire, as far as they were
// kept: its payload in its framing, which the bytes around the payload
// tell, and lead, how many bytes before it on the wire belong to no frame
// and were not kept (blank lines, or the rest of a line a gap cut, which
// the framer skipped to find the next frame's start). contentLength is set
// for a frame that had a Content-Length header; the header is rebuilt in
// its usual form, for the bytes kept (other headers, and bytes before
// them, are lost: they are not in lead).
func onWire(m *protocol.Message) (b []byte, lead int, contentLength bool) {
	f := &m.Frame
	extra := f.Wire - max(f.Size, len(f.Data))
	e := protocol.Encoder{Framing: protocol.FramingRaw}
	switch {
	case extra <= 0: // a frame as it came: raw bytes, or one its framer could not frame
	case m.Framing == protocol.FramingContentLength:
		e.Framing = protocol.FramingContentLength
	case m.Framing == protocol.FramingVarlink:
		e.Framing, lead = protocol.FramingVarlink, extra-1
	case m.Framing == protocol.FramingLines || m.Framing == protocol.FramingAuto:
		// "\n" or "\r\n", after lead bytes: a lone extra 2 is taken
		// for "\r\n", more for bytes before a "\n".
		e.Framing, e.CRLF = protocol.FramingLines, extra == 2
		if extra > 2 {
			lead = extra - 1
		}
	default: // the message is the whole frame (HTTP, RESP, msgpack)
		lead = extra
	}
	return e.Append(nil, f.Data), lead, e.Framing == protocol.FramingContentLength
}

// openComment describes who connected.
func openComment(c *store.Conn) string {
	var b strings.Builder
	fmt.Fprintf(&b, "conn=%d opened listen=%s upstream=%s client=%s", c.ID, c.Listen, c.Upstream, c.Client)
	if c.PID > 0 {
		fmt.Fprintf(&b, " pid=%d", c.PID)
	}
	if c.Process != "" {
		fmt.Fprintf(&b, " process=%s", c.Process)
	}
	return b.String()
}

// messageComment says a message's place in its exchange:
//
//	conn=1 c2s request id=1 method=add status=ok latency=1.2ms exchange=3 flags=injected
func messageComment(m *protocol.Message, r *store.Row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "conn=%d %s %s", m.Conn, m.Dir, m.Info.Kind)
	if r == nil {
		if m.Info.ID != nil {
			fmt.Fprintf(&b, " id=%s", m.Info.ID)
		}
		if m.Info.Method != nil {
			fmt.Fprintf(&b, " method=%s", m.Info.Method)
		}
		if fl := flags(&store.Row{}, m, nil); len(fl) > 0 {
			fmt.Fprintf(&b, " flags=%s", strings.Join(fl, ","))
		}
		return b.String()
	}
	if r.ID != "" {
		fmt.Fprintf(&b, " id=%s", r.ID)
	}
	if r.Method != "" {
		fmt.Fprintf(&b, " method=%s", r.Method)
	}
	if r.Status != protocol.StatusNone {
		fmt.Fprintf(&b, " status=%s", r.Status)
	}
	if r.Status == protocol.StatusOK || r.Status == protocol.StatusError {
		fmt.Fprintf(&b, " latency=%s", r.Latency)
	}
	fmt.Fprintf(&b, " exchange=%d", r.Seq)
	var req, resp *protocol.Message
	if m.Seq == r.Req {
		req = m
	} else {
		resp = m
	}
	if fl := flags(r, req, resp); len(fl) > 0 {
		fmt.Fprintf(&b, " flags=%s", strings.Join(fl, ","))
	}
	if m.Frame.Truncated {
		fmt.Fprintf(&b, " kept=%d/%d", len(m.Frame.Data), m.Frame.Size)
	}
	if m.Info.Err != "" {
		fmt.Fprintf(&b, " reason=%q", m.Info.Err)
	}
	return b.String()
}

func minTime(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
