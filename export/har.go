package export

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"sockscope/protocol"
	"sockscope/store"
)

// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), one entry per
// exchange. An exchange is not HTTP, so the mapping is by analogy:
//
//	request.method   "POST" for a request, "NOTIFY" for a lone message
//	request.url      sockscope://conn-<N>/<method>?id=<id>
//	response.status  200 ok, 500 error, 0 no reply (pending, no-reply, orphan, none)
//	response.statusText  sockscope's status
//	time, timings.wait   the latency in milliseconds
//
// and what has no HTTP name goes in underscore members, as HAR allows:
// _conn, _dir, _kind, _id, _method, _status, _flags. An HTTP exchange is
// what HAR is for: its entry has the request's method, URL (http://, the
// Host header, the target), version, headers, cookies, query and body, and
// the response's status, headers, body and redirect (httpInto); so has an
// HTTP/2 exchange, its bodies from its stream's DATA frames (h2Into),
// whose other frames have no entry of their own (h2Skipped). Trailers,
// which HAR has no member for, are a request's or response's _trailers,
// name/value pairs as its headers are.

type harCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harEntry struct {
	Started  string      `json:"startedDateTime"`
	Time     float64     `json:"time"`
	Request  harRequest  `json:"request"`
	Response harResponse `json:"response"`
	Cache    struct{}    `json:"cache"`
	Timings  harTimings  `json:"timings"`

	Conn   uint64   `json:"_conn"`
	Dir    string   `json:"_dir"`
	Kind   string   `json:"_kind"`
	ID     string   `json:"_id,omitempty"`
	Method string   `json:"_method,omitempty"`
	Status string   `json:"_status"`
	Flags  []string `json:"_flags,omitempty"`

	Comment string `json:"comment,omitempty"`
}

// harCookie is a cookie: a Set-Cookie's attributes as well.
type harCookie struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Path     string `json:"path,omitempty"`
	Domain   string `json:"domain,omitempty"`
	Expires  string `json:"expires,omitempty"`
	HTTPOnly bool   `json:"httpOnly,omitempty"`
	Secure   bool   `json:"secure,omitempty"`
}

type harRequest struct {
	Method      string       `json:"method"`
	URL         string       `json:"url"`
	HTTPVersion string       `json:"httpVersion"`
	Cookies     []harCookie  `json:"cookies"`
	Headers     []harNV      `json:"headers"`
	QueryString []harNV      `json:"queryString"`
	PostData    *harPostData `json:"postData,omitempty"`
	HeadersSize int          `json:"headersSize"`
	BodySize    int          `json:"bodySize"`
	// Trailers are the fields sent after the body (HTTP/1.1's chunked
	// trailer, HTTP/2's trailers), which HAR 1.2 has no member for.
	Trailers []harNV `json:"_trailers,omitempty"`
}

type harPostData struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
	Comment  string `json:"comment,omitempty"`
}

type harResponse struct {
	Status      int         `json:"status"`
	StatusText  string      `json:"statusText"`
	HTTPVersion string      `json:"httpVersion"`
	Cookies     []harCookie `json:"cookies"`
	Headers     []harNV     `json:"headers"`
	Content     harContent  `json:"content"`
	RedirectURL string      `json:"redirectURL"`
	HeadersSize int         `json:"headersSize"`
	BodySize    int         `json:"bodySize"`
	// Trailers are as a request's.
	Trailers []harNV `json:"_trailers,omitempty"`
}

type harContent struct {
	Size int `json:"size"`
	// Compression is the bytes a Content-Encoding saved (the decoded
	// size less the encoded one), when the body was decoded.
	Compression *int   `json:"compression,omitempty"`
	MimeType    string `json:"mimeType"`
	Text        string `json:"text,omitempty"`
	Encoding    string `json:"encoding,omitempty"`
	Comment     string `json:"comment,omitempty"`
}

type harTimings struct {
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

// mimeOf is the MIME type of a payload.
func mimeOf(b []byte) string {
	if json.Valid(b) {
		return "application/json"
	}
	if utf8.Valid(b) {
		return "text/plain"
	}
	return "application/octet-stream"
}

// entryOf builds the HAR entry of row r; false when it has none
// (h2Skipped).
func entryOf(st store.View, r *store.Row) (harEntry, bool) {
	req, resp := messagesOf(st, r)
	if h2Skipped(r, req, resp) {
		return harEntry{}, false
	}
	if resp == nil && req != nil && req.Framing == protocol.FramingHTTP && bytes.HasPrefix(req.Frame.Data, []byte("HTTP/")) {
		// A lone HTTP response (an interim 100 Continue, a server's
		// message no request asked for) is the entry's response, as an
		// orphan's is: its status line is no request line.
		req, resp = nil, req
	}
	e := harEntry{Conn: r.Conn, Dir: r.Dir.String(), Kind: r.Kind.String(), ID: r.ID, Method: r.Method,
		Status: statusName(r.Status), Flags: flags(r, req, resp)}
	path := url.PathEscape(r.Method)
	u := fmt.Sprintf("sockscope://conn-%d/%s", r.Conn, path)
	if r.ID != "" {
		u += "?id=" + url.QueryEscape(r.ID)
		e.Request.QueryString = []harNV{{Name: "id", Value: r.ID}}
	}
	e.Request.Method = "NOTIFY"
	if r.Kind == protocol.KindRequest {
		e.Request.Method = "POST"
	}
	e.Request.URL, e.Request.HTTPVersion = u, "sockscope"
	e.Request.HeadersSize, e.Request.BodySize = -1, -1
	e.Response.HTTPVersion, e.Response.HeadersSize, e.Response.BodySize = "sockscope", -1, -1
	e.Response.StatusText = statusName(r.Status)
	switch r.Status {
	case protocol.StatusOK:
		e.Response.Status = 200
	case protocol.StatusError:
		e.Response.Status = 500
	}
	at := r.ReqAt
	if req != nil {
		b := req.Frame.Data
		e.Request.PostData = &harPostData{MimeType: mimeOf(b), Text: strings.ToValidUTF8(string(b), "\uFFFD")}
		e.Request.BodySize = req.Frame.Size
	}
	if resp != nil {
		b := resp.Frame.Data
		c := harContent{Size: resp.Frame.Size, MimeType: mimeOf(b)}
		c.Text, c.Encoding = harText(b)
		e.Response.Content, e.Response.BodySize = c, resp.Frame.Size
		if req == nil {
			at = resp.At
		}
	}
	e.Started = at.Format(time.RFC3339Nano)
	if r.Status == protocol.StatusOK || r.Status == protocol.StatusError {
		ms := float64(r.Latency) / float64(time.Millisecond)
		e.Time, e.Timings.Wait = ms, ms
	}
	e.Request.Cookies, e.Request.Headers = []harCookie{}, []harNV{}
	if e.Request.QueryString == nil {
		e.Request.QueryString = []harNV{}
	}
	e.Response.Cookies, e.Response.Headers = []harCookie{}, []harNV{}
	if h2 := h2Upgraded(st, resp); h2 != nil {
		// The request's answer is on stream 1 after the 101: that is
		// the response the client got, and its row (a notification) no
		// entry of its own.
		e.Comment = strings.TrimSpace(e.Comment + " upgraded to h2c (101 Switching Protocols): the response is stream 1's.")
		if protocol.CodeOf(h2.Info.Method) >= 400 {
			e.Status = statusName(protocol.StatusError)
		}
		resp = h2
	}
	httpInto(&e, req, resp)
	h2Into(&e, st, req, resp)
	return e, true
}

// harText is a body as HAR's content holds it: its text, or base64 with
// its encoding when it is not UTF-8.
func harText(b []byte) (text, encoding string) {
	if utf8.Valid(b) {
		return string(b), ""
	}
	return base64.StdEncoding.EncodeToString(b), "base64"
}

// httpInto makes e, the entry of an exchange of HTTP messages req and resp
// (either may be nil, or another protocol's: then it is left), the
// entry of an HTTP exchange.
func httpInto(e *harEntry, req, resp *protocol.Message) {
	if req != nil && req.Framing == protocol.FramingHTTP {
		if m, ok := protocol.ParseHTTP(req.Frame.Data); ok {
			method, target, version := m.StartParts()
			host, _ := m.Get("Host")
			u := string(target)
			switch {
			case u == "*":
				// The asterisk form (OPTIONS *) asks about the server,
				// not a resource of it: the URL is the server's alone,
				// with no path. http://host/* would name a resource /*
				// the request is not about; _method keeps "OPTIONS *".
				u = "http://" + cmp.Or(string(host), "localhost")
			case string(method) == "CONNECT":
				// The authority form (host:port) names the server itself.
				u = "http://" + u
			case strings.HasPrefix(u, "/") || !strings.Contains(u, "://"):
				// The origin form: a path, whose query may hold "://".
				u = "http://" + cmp.Or(string(host), "localhost") + u
			}
			r := &e.Request
			r.Method, r.URL, r.HTTPVersion = string(method), u, string(version)
			r.Headers, r.Cookies, r.Trailers = harHeaders(m.Headers), harCookies(&m, "Cookie"), harTrailers(m.Trailers)
			r.QueryString = queryOf(u)
			r.PostData, r.HeadersSize, r.BodySize = nil, m.HeadSize, len(m.Raw)
			if len(m.Body) > 0 {
				b := bodyOf(&m, req.Frame.Truncated)
				cutShort(&b, &req.Frame)
				r.PostData = &harPostData{MimeType: contentType(&m, b.text), Text: strings.ToValidUTF8(string(b.text), "\uFFFD"), Comment: b.comment}
			}
			if req.Frame.Truncated {
				r.BodySize = -1
			}
		}
	}
	if resp != nil && resp.Framing == protocol.FramingHTTP {
		if m, ok := protocol.ParseHTTP(resp.Frame.Data); ok {
			version, code, text := m.StartParts()
			r := &e.Response
			if n, err := strconv.Atoi(string(code)); err == nil {
				r.Status, r.StatusText = n, string(text)
			}
			r.HTTPVersion, r.Headers, r.Cookies = string(version), harHeaders(m.Headers), harCookies(&m, "Set-Cookie")
			r.Trailers = harTrailers(m.Trailers)
			loc, _ := m.Get("Location")
			r.RedirectURL, r.HeadersSize, r.BodySize = string(loc), m.HeadSize, len(m.Raw)
			if resp.Frame.Truncated {
				r.BodySize = -1
			}
			// The body decoded (HAR's content is what the client got
			// once decoded; bodySize above, what came on the wire).
			b := bodyOf(&m, resp.Frame.Truncated)
			cutShort(&b, &resp.Frame)
			c := harContent{Size: len(b.text), MimeType: contentType(&m, b.text), Comment: b.comment}
			if b.decoded {
				saved := len(b.text) - len(m.Body)
				c.Compression = &saved
			}
			c.Text, c.Encoding = harText(b.text)
			r.Content = c
		}
	}
}

// cutShort has b, the body of frame f, say that it is cut short when f
// was kept truncated (over --max-frame), as an encoded body's comment does.
func cutShort(b *harBody, f *protocol.Frame) {
	if f.Truncated && b.comment == "" {
		b.comment = fmt.Sprintf("the frame was kept truncated (over --max-frame): the body is cut short (%d of the message's %d bytes kept)", len(f.Data), f.Size)
	}
}

// harHeaders lists header fields as HAR's name/value pairs.
func harHeaders(hs []protocol.HTTPHeader) []harNV {
	out := make([]harNV, 0, len(hs))
	for _, h := range hs {
		out = append(out, harNV{Name: string(h.Name), Value: string(h.Value)})
	}
	return out
}

// harTrailers lists trailer fields as HAR's name/value pairs; nil, left
// out of the entry, when there are none.
func harTrailers(hs []protocol.HTTPHeader) []harNV {
	if len(hs) == 0 {
		return nil
	}
	return harHeaders(hs)
}

// harCookies lists the cookies of the headers named name: Cookie's pairs,
// or each Set-Cookie's, with its attributes.
func harCookies(m *protocol.HTTPMessage, name string) []harCookie {
	out := []harCookie{}
	for _, h := range m.Headers {
		if !bytes.EqualFold(h.Name, []byte(name)) {
			continue
		}
		pairs := bytes.Split(h.Value, []byte(";"))
		if name != "Set-Cookie" {
			for _, p := range pairs {
				if k, v, ok := bytes.Cut(bytes.TrimSpace(p), []byte("=")); ok {
					out = append(out, harCookie{Name: string(k), Value: string(v)})
				}
			}
			continue
		}
		k, v, ok := bytes.Cut(bytes.TrimSpace(pairs[0]), []byte("="))
		if !ok {
			continue
		}
		c := harCookie{Name: string(k), Value: string(v)}
		for _, a := range pairs[1:] {
			an, av, _ := bytes.Cut(bytes.TrimSpace(a), []byte("="))
			switch strings.ToLower(string(an)) {
			case "path":
				c.Path = string(av)
			case "domain":
				c.Domain = string(av)
			case "expires":
				if t, err := http.ParseTime(string(av)); err == nil {
					c.Expires = t.UTC().Format(time.RFC3339)
				}
			case "httponly":
				c.HTTPOnly = true
			case "secure":
				c.Secure = true
			}
		}
		out = append(out, c)
	}
	return out
}

// contentType is an HTTP message's Content-Type, else what its body
// (decoded) looks like ("" for none: a 204, a 304).
func contentType(m *protocol.HTTPMessage, body []byte) string {
	if t, ok := m.Get("Content-Type"); ok {
		return string(t)
	}
	if len(body) == 0 {
		return ""
	}
	return mimeOf(body)
}

// writeHAR writes a HAR log of the selected exchanges, one entry per line
// so that no entry is held longer than it is written.
func writeHAR(w io.Writer, st store.View, sel selection, opts Options) (Stats, error) {
	var stats Stats
	bw := bufio.NewWriterSize(w, 256<<10)
	hb, err := json.Marshal(harCreator{Name: opts.Creator, Version: opts.Version})
	if err != nil {
		return stats, err
	}
	fmt.Fprintf(bw, "{\"log\":{\"version\":\"1.2\",\"creator\":%s,\"entries\":[\n", escapeControls(hb, &bytes.Buffer{}))
	var buf, spare bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, seq := range sel.rows {
		r, ok := st.Row(seq)
		if !ok {
			continue
		}
		buf.Reset()
		e, ok := entryOf(st, &r)
		if !ok {
			continue
		}
		if err := enc.Encode(&e); err != nil {
			return stats, err
		}
		if stats.Exchanges > 0 {
			bw.WriteString(",\n")
		}
		line := escapeControls(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), &spare)
		if _, err := bw.Write(line); err != nil {
			return stats, err
		}
		stats.Exchanges++
		stats.Messages += btoi(r.Req != 0) + btoi(r.Resp != 0)
	}
	bw.WriteString("\n]}}\n")
	return stats, bw.Flush()
}

// queryOf returns the query string of URL u as HAR lists it: each name and
// value, sorted by name (the values of one name in their order); empty,
// not null, when there is none.
func queryOf(u string) []harNV {
	q := []harNV{}
	if pu, err := url.Parse(u); err == nil {
		for k, vs := range pu.Query() {
			for _, v := range vs {
				q = append(q, harNV{Name: k, Value: v})
			}
		}
		slices.SortStableFunc(q, func(a, b harNV) int { return strings.Compare(a.Name, b.Name) })
	}
	return q
}
