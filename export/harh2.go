package export

import (
	"bytes"
	"cmp"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"sockscope/protocol"
	"sockscope/store"
)

// Bounds of an HTTP/2 exchange's entry, said once.
const (
	// maxH2Body bounds the bytes of an HTTP/2 stream's body (its DATA
	// frames) an entry keeps, before it is decoded; the rest is counted
	// in bodySize, and the content's comment says it was cut.
	maxH2Body = 32 << 20
	// maxH2Scan bounds the messages after a header block read to gather
	// its stream's body: a stream not ended by then keeps what came.
	maxH2Scan = 1 << 16
)

// h2Version is an HTTP/2 entry's httpVersion.
const h2Version = "HTTP/2.0"

// h2Skipped reports whether row r, whose messages are req and resp, has
// no HAR entry of its own: an HTTP/2 frame that is no request (DATA,
// trailers, SETTINGS, WINDOW_UPDATE, PING, a reset after the answer, the
// preface): a stream's DATA and trailers are its exchange's body, the
// rest is the connection's, not HTTP's.
func h2Skipped(r *store.Row, req, resp *protocol.Message) bool {
	m := cmp.Or(req, resp)
	return m != nil && m.Framing == protocol.FramingHTTP2 && r.Kind == protocol.KindNotification
}

// h2Into makes e, the entry of an exchange whose request req and response
// resp are HTTP/2 header blocks (either may be nil, or not one: then it
// is left), the entry of an HTTP exchange: the request's method, its URL
// from :scheme, :authority and :path, the fields of both as headers (the
// pseudo-header fields among them, as they were sent), the response's
// :status, their bodies from the DATA frames of the stream (decoded from
// their Content-Encoding) and the trailers that ended each, and the
// timings: send up to the request's last frame, wait up to the
// response's header block, receive up to its last frame. A block HPACK
// could not decode leaves its half as it is, with a comment that says why.
func h2Into(e *harEntry, st store.View, req, resp *protocol.Message) {
	var sent, answered, received time.Time
	if fs, ok := h2Fields(e, req); ok {
		r := &e.Request
		m := protocol.HTTPMessage{Headers: fs}
		method, _ := h2Get(fs, ":method")
		scheme, _ := h2Get(fs, ":scheme")
		authority, ok := h2Get(fs, ":authority")
		if !ok {
			host, _ := m.Get("Host")
			authority = string(host)
		}
		path, _ := h2Get(fs, ":path")
		u := cmp.Or(scheme, "http") + "://" + cmp.Or(authority, "localhost")
		if method != "CONNECT" && path != "*" {
			u += path
		}
		r.Method, r.URL, r.HTTPVersion = method, u, h2Version
		r.Headers, r.Cookies = harHeaders(fs), harCookies(&m, "Cookie")
		r.QueryString = queryOf(u)
		r.HeadersSize, r.BodySize, r.PostData = -1, 0, nil
		sent = req.At
		if s := h2Stream(st, req); s != nil {
			if s.Size > 0 {
				m.Body = s.Body
				b := h2Body(&m, s)
				r.PostData = &harPostData{MimeType: contentType(&m, b.text), Text: strings.ToValidUTF8(string(b.text), "\uFFFD"), Comment: b.comment}
			}
			r.BodySize, r.Trailers = s.Size, h2Trailers(e, req, s)
			sent = s.last(req.At)
		}
	}
	if req != nil && req.Framing == protocol.FramingHTTP && resp != nil && resp.Framing == protocol.FramingHTTP2 {
		sent = req.At // the HTTP/1.1 request an upgrade to h2c was asked in (h2Upgraded)
	}
	if resp != nil && resp.Framing == protocol.FramingHTTP2 && resp.Info.Kind != protocol.KindResponse && !h2Status(resp) {
		// What ended the request without answering it (RST_STREAM,
		// GOAWAY): no HTTP response.
		e.Response.Status, e.Response.StatusText, e.Response.HTTPVersion = 0, string(resp.Info.Method), h2Version
		e.Response.Content, e.Response.BodySize = harContent{}, -1
		answered = resp.At
	}
	if fs, ok := h2Fields(e, resp); ok {
		r := &e.Response
		m := protocol.HTTPMessage{Headers: fs}
		status, _ := h2Get(fs, ":status")
		code, _ := strconv.Atoi(status)
		loc, _ := m.Get("Location")
		r.Status, r.StatusText, r.HTTPVersion = code, http.StatusText(code), h2Version
		r.Headers, r.Cookies, r.RedirectURL = harHeaders(fs), harCookies(&m, "Set-Cookie"), string(loc)
		r.HeadersSize, r.BodySize, r.Content = -1, 0, harContent{}
		answered, received = resp.At, resp.At
		if s := h2Stream(st, resp); s != nil {
			m.Body = s.Body
			b := h2Body(&m, s)
			c := harContent{Size: len(b.text), MimeType: contentType(&m, b.text), Comment: b.comment}
			if b.decoded {
				saved := len(b.text) - len(m.Body)
				c.Compression = &saved
			}
			c.Text, c.Encoding = harText(b.text)
			r.Content, r.BodySize, r.Trailers = c, s.Size, h2Trailers(e, resp, s)
			received = s.last(resp.At)
		}
	}
	if sent.IsZero() || answered.IsZero() {
		return
	}
	ms := func(d time.Duration) float64 { return float64(max(d, 0)) / float64(time.Millisecond) }
	send := sent.Sub(req.At)
	if answered.Before(sent) { // answered before the body was all sent (a 413)
		send = answered.Sub(req.At)
	}
	e.Timings.Send, e.Timings.Wait = ms(send), ms(answered.Sub(req.At)-send)
	if !received.IsZero() {
		e.Timings.Receive = ms(received.Sub(answered))
	}
	e.Time = e.Timings.Send + e.Timings.Wait + e.Timings.Receive
}

// h2Fields returns the fields of m, if it is an HTTP/2 header block
// whose fields were decoded; when they were not, e's comment says why.
func h2Fields(e *harEntry, m *protocol.Message) ([]protocol.HTTPHeader, bool) {
	if m == nil || m.Framing != protocol.FramingHTTP2 {
		return nil, false
	}
	b, ok := protocol.ParseH2Block(m.Frame.Fields)
	if ok && b.Err != "" {
		e.Comment = strings.TrimSpace(e.Comment + " the " + m.Dir.String() + " header block was " + b.Err + ".")
	}
	return b.Fields, ok && b.Err == ""
}

// h2Trailers returns the trailers s, the stream of header block m, ended
// with, as HAR's name/value pairs; when they were not decoded, e's
// comment says why.
func h2Trailers(e *harEntry, m *protocol.Message, s *h2Gathered) []harNV {
	if s.TrailersErr != "" {
		e.Comment = strings.TrimSpace(e.Comment + " the " + m.Dir.String() + " trailers were " + s.TrailersErr + ".")
	}
	return harTrailers(s.Trailers)
}

// h2Get returns the value of the field named name (as HTTP/2 sends names:
// lower case).
func h2Get(fs []protocol.HTTPHeader, name string) (string, bool) {
	for _, f := range fs {
		if string(f.Name) == name {
			return string(f.Value), true
		}
	}
	return "", false
}

// h2Gathered is the body of one direction of a stream, and when its last
// frame came.
type h2Gathered struct {
	*protocol.H2Stream
	at time.Time
}

// last returns when the body's last frame came, or at if none did.
func (g *h2Gathered) last(at time.Time) time.Time {
	if g.at.IsZero() {
		return at
	}
	return g.at
}

// h2Stream gathers the body of the stream m, a header block, begins in
// its direction: the messages of its connection after it, up to the end
// of that direction (or maxH2Scan messages); nil when m is no HEADERS.
func h2Stream(st store.View, m *protocol.Message) *h2Gathered {
	s, ok := protocol.NewH2Stream(m, maxH2Body)
	if !ok {
		return nil
	}
	g := &h2Gathered{H2Stream: s}
	if s.Done() {
		return g
	}
	n := 0
	st.Messages(m.Seq+1, func(o *protocol.Message) bool {
		if o.Conn == m.Conn && s.Add(o) && o.Dir == m.Dir {
			g.at = o.At
		}
		n++
		return !s.Done() && n < maxH2Scan
	})
	return g
}

// h2Body decodes the body s gathered of m (its headers, its body s's) as
// an HTTP/1.1 message's is, and says when it was not all seen or kept.
func h2Body(m *protocol.HTTPMessage, s *h2Gathered) harBody {
	cut := s.Unseen || len(s.Body) < s.Size
	b := bodyOf(m, cut)
	switch {
	case b.comment != "":
	case s.Unseen:
		b.comment = fmt.Sprintf("some of the body was not seen (a DATA frame kept truncated, or a gap): %d of its %d bytes kept", len(s.Body), s.Size)
	case cut:
		b.comment = fmt.Sprintf("the body is cut short: %d of its %d bytes kept", len(s.Body), s.Size)
	}
	if s.Reset != "" {
		b.comment = strings.TrimSpace(b.comment + " the stream was reset (" + s.Reset + ").")
	} else if !s.Ended {
		b.comment = strings.TrimSpace(b.comment + " the stream did not end (its end was not seen).")
	}
	return b
}

// h2Upgraded returns the answer on stream 1 of the connection that resp,
// an HTTP/1.1 101 to h2c, switched to HTTP/2 (RFC 7540 §3.2: the request
// the upgrade was asked in is stream 1's): the server's first header block
// on stream 1 after resp with a final :status (not 1xx), read within
// maxH2Scan messages; nil when resp is no such 101 or none was kept.
func h2Upgraded(st store.View, resp *protocol.Message) *protocol.Message {
	if resp == nil || resp.Framing != protocol.FramingHTTP || !bytes.HasPrefix(resp.Frame.Data, []byte("HTTP/1.1 101")) {
		return nil
	}
	if m, ok := protocol.ParseHTTP(resp.Frame.Data); !ok {
		return nil
	} else if up, _ := m.Get("Upgrade"); !strings.EqualFold(strings.TrimSpace(string(up)), "h2c") {
		return nil
	}
	var seq uint64
	n := 0
	st.Messages(resp.Seq+1, func(o *protocol.Message) bool {
		if o.Conn == resp.Conn && o.Dir == resp.Dir && o.Framing == protocol.FramingHTTP2 && string(o.Info.ID) == "1" && h2Status(o) {
			seq = o.Seq
			return false
		}
		n++
		return n < maxH2Scan
	})
	if seq == 0 {
		return nil
	}
	m, ok := st.Message(seq)
	if !ok {
		return nil
	}
	return &m
}

// h2Status reports whether m is an HTTP/2 header block with a final
// :status (a response's, not an interim 1xx).
func h2Status(m *protocol.Message) bool {
	b, ok := protocol.ParseH2Block(m.Frame.Fields)
	if !ok || b.Err != "" {
		return false
	}
	s, ok := h2Get(b.Fields, ":status")
	return ok && len(s) == 3 && s[0] != '1'
}
