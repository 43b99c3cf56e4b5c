package export

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strings"

	"sockscope/protocol"
)

// maxDecoded bounds what an HTTP body encoded with gzip or deflate is
// decoded to for HAR: a body that decodes to more (a gzip bomb decodes
// 1 MiB to 1 GiB) keeps its encoded bytes, as one that is no gzip or
// deflate does, and its comment says why.
const maxDecoded = 32 << 20

// harBody is an HTTP message's body as HAR shows it: decoded from its
// Content-Encoding (gzip, x-gzip, deflate, in the order they were
// applied; identity), else as it was sent (de-chunked) with a comment
// that says why not.
type harBody struct {
	text    []byte
	decoded bool   // text is the body decoded (and not as sent)
	comment string // why an encoded body was not decoded
}

// bodyOf decodes m's body; truncated says the frame was kept truncated,
// so its body is cut short.
func bodyOf(m *protocol.HTTPMessage, truncated bool) harBody {
	b := harBody{text: m.Body}
	ce, ok := m.Get("Content-Encoding")
	if !ok || len(m.Body) == 0 {
		return b
	}
	var codings []string
	for _, c := range strings.Split(string(ce), ",") {
		if c = strings.ToLower(strings.TrimSpace(c)); c != "" && c != "identity" {
			codings = append(codings, c)
		}
	}
	if len(codings) == 0 {
		return b
	}
	if truncated {
		b.comment = fmt.Sprintf("not decoded (Content-Encoding: %s): the frame was kept truncated, so the body is cut short", ce)
		return b
	}
	text := m.Body
	for i := len(codings) - 1; i >= 0; i-- { // the last applied first
		var err error
		if text, err = decode(codings[i], text); err != nil {
			b.comment = fmt.Sprintf("not decoded (Content-Encoding: %s): %v; the body as sent", ce, err)
			return b
		}
	}
	b.text, b.decoded = text, true
	return b
}

// decode undoes one content coding.
func decode(coding string, data []byte) ([]byte, error) {
	switch coding {
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, named("gzip", err) // gzip: invalid header
		}
		return readAtMost(zr, "gzip")
	case "deflate":
		// HTTP's deflate is a zlib stream; some servers send raw
		// deflate (RFC 1951) instead.
		zr, err := zlib.NewReader(bytes.NewReader(data))
		if err == nil {
			var out []byte
			if out, err = readAtMost(zr, "zlib"); err == nil || errors.Is(err, errTooBig) {
				return out, err
			}
		}
		if out, rawErr := readAtMost(flate.NewReader(bytes.NewReader(data)), "flate"); rawErr == nil || errors.Is(rawErr, errTooBig) {
			return out, rawErr
		}
		return nil, err
	}
	return nil, fmt.Errorf("%s is not a coding sockscope decodes (gzip, deflate)", coding)
}

// errTooBig is readAtMost's error for a body that decodes to more than
// maxDecoded bytes.
var errTooBig = fmt.Errorf("it decodes to more than %d MiB", maxDecoded>>20)

// readAtMost reads r, a decoder of format name, to its end, up to
// maxDecoded bytes.
func readAtMost(r io.Reader, name string) ([]byte, error) {
	out, err := io.ReadAll(io.LimitReader(r, maxDecoded+1))
	switch {
	case err != nil:
		return nil, named(name, err)
	case len(out) > maxDecoded:
		return nil, errTooBig
	}
	return out, nil
}

// named is err of format name, which it names: gzip: unexpected EOF
// (gzip's and flate's own errors name it already).
func named(name string, err error) error {
	if strings.HasPrefix(err.Error(), name+":") {
		return err
	}
	return fmt.Errorf("%s: %w", name, err)
}
