package session

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"sockscope/protocol"
)

// The encoders below append one record, newline included, to dst. They are
// hand-rolled so that recording a frame allocates nothing once dst has grown.

const hexDigits = "0123456789abcdef"

// plain marks the bytes that stand for themselves in a JSON string.
var plain = func() (t [256]bool) {
	for b := 0x20; b < 0x7f; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

// appendJSONString appends s as a JSON string (RFC 8259). Besides what JSON
// requires ('"', '\\' and U+0000–U+001F), it escapes U+007F, the C1
// controls U+0080–U+009F and U+2028/U+2029, so that the file is safe to
// print on a terminal and to embed in JavaScript. The short escapes \b \f
// \n \r \t are used where they exist.
//
// If s is not valid UTF-8: with strict set, appendJSONString returns dst
// unchanged and false; otherwise each invalid byte becomes U+FFFD.
func appendJSONString[T ~string | ~[]byte](dst []byte, s T, strict bool) ([]byte, bool) {
	orig := len(dst)
	dst = append(dst, '"')
	start := 0 // s[start:i] is pending, needing no escape
	for i := 0; i < len(s); {
		b := s[i]
		if plain[b] {
			i++
			continue
		}
		if b < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, n := decodeRune(s, i)
		switch {
		case n == 0: // invalid
			if strict {
				return dst[:orig], false
			}
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
		case r <= 0x9f || r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', hexDigits[r>>12], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
			i += n
			start = i
		default:
			i += n
		}
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"'), true
}

// decodeRune decodes the multi-byte UTF-8 sequence at s[i] (s[i] >= 0x80),
// per RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
// n is 0 when the sequence is invalid or incomplete.
func decodeRune[T ~string | ~[]byte](s T, i int) (r rune, n int) {
	b := s[i]
	lo, hi := byte(0x80), byte(0xbf) // the range of the second byte
	switch {
	case b >= 0xc2 && b <= 0xdf:
		n = 2
	case b >= 0xe0 && b <= 0xef:
		n = 3
		if b == 0xe0 {
			lo = 0xa0
		} else if b == 0xed {
			hi = 0x9f
		}
	case b >= 0xf0 && b <= 0xf4:
		n = 4
		if b == 0xf0 {
			lo = 0x90
		} else if b == 0xf4 {
			hi = 0x8f
		}
	default:
		return 0, 0
	}
	if i+n > len(s) {
		return 0, 0
	}
	r = rune(b) & (0x7f >> n)
	for k := 1; k < n; k++ {
		c := s[i+k]
		if k == 1 && (c < lo || c > hi) || c&0xc0 != 0x80 {
			return 0, 0
		}
		r = r<<6 | rune(c&0x3f)
	}
	return r, n
}

// appendString appends a JSON string, replacing invalid UTF-8.
func appendString(dst []byte, s string) []byte {
	dst, _ = appendJSONString(dst, s, false)
	return dst
}

// appendAt appends `,"<key>":"<RFC 3339 time in UTC>"`.
func appendAt(dst []byte, key string, t time.Time) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, key...)
	dst = append(dst, '"', ':', '"')
	dst = t.UTC().AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

// appendStart appends `{"type":"<typ>","conn":<conn>`.
func appendStart(dst []byte, typ string, conn uint64) []byte {
	dst = append(dst, `{"type":"`...)
	dst = append(dst, typ...)
	dst = append(dst, `","conn":`...)
	return strconv.AppendUint(dst, conn, 10)
}

func appendHeader(dst []byte, h Header) []byte {
	dst = append(dst, `{"type":"header","format":"`+FormatName+`","version":`...)
	dst = strconv.AppendInt(dst, FormatVersion, 10)
	dst = appendAt(dst, "started", h.Started)
	dst = append(dst, `,"upstream":`...)
	dst = appendString(dst, h.Upstream)
	dst = append(dst, `,"listen":`...)
	dst = appendString(dst, h.Listen)
	dst = append(dst, `,"framing":`...)
	dst = appendString(dst, h.Framing)
	dst = append(dst, `,"id_fields":[`...)
	for i, f := range h.IDFields {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, f)
	}
	return append(dst, "]}\n"...)
}

func appendOpen(dst []byte, conn uint64, at time.Time, client, listen, upstream string, pid, uid int, process string, own bool) []byte {
	dst = appendStart(dst, TypeOpen, conn)
	dst = appendAt(dst, "at", at)
	dst = append(dst, `,"client":`...)
	dst = appendString(dst, client)
	dst = append(dst, `,"listen":`...)
	dst = appendString(dst, listen)
	dst = append(dst, `,"upstream":`...)
	dst = appendString(dst, upstream)
	if pid >= 0 {
		dst = append(dst, `,"pid":`...)
		dst = strconv.AppendInt(dst, int64(pid), 10)
	}
	if uid >= 0 {
		dst = append(dst, `,"uid":`...)
		dst = strconv.AppendInt(dst, int64(uid), 10)
	}
	if process != "" {
		dst = append(dst, `,"process":`...)
		dst = appendString(dst, process)
	}
	if own {
		dst = append(dst, `,"own":true`...)
	}
	return append(dst, "}\n"...)
}

func appendFrame(dst []byte, conn uint64, dir protocol.Dir, at time.Time, f protocol.Frame, framing protocol.Framing, m Marks) []byte {
	dst = appendStart(dst, TypeFrame, conn)
	dst = append(dst, `,"dir":"`...)
	dst = append(dst, dir.String()...)
	dst = append(dst, '"')
	dst = appendAt(dst, "at", at)
	if !m.Began.IsZero() {
		dst = appendAt(dst, "began", m.Began)
	}
	dst = append(dst, `,"framing":"`...)
	dst = append(dst, framing.String()...)
	dst = append(dst, `","size":`...)
	size := max(f.Size, len(f.Data))
	dst = strconv.AppendInt(dst, int64(size), 10)
	dst = append(dst, `,"wire":`...)
	dst = strconv.AppendInt(dst, int64(f.Wire), 10)
	if f.Truncated || len(f.Data) < size {
		dst = append(dst, `,"truncated":true`...)
	}
	if m.Injected {
		dst = append(dst, `,"injected":true`...)
	}
	if m.Withheld {
		dst = append(dst, `,"withheld":true`...)
	}
	if n := m.Note; n != nil {
		dst = append(dst, `,"note":{"act":`...)
		dst = appendString(dst, n.Act.String())
		if n.Rule != "" {
			dst = append(dst, `,"rule":`...)
			dst = appendString(dst, n.Rule)
		}
		if n.Held > 0 {
			dst = append(dst, `,"held_us":`...)
			dst = strconv.AppendInt(dst, n.Held.Microseconds(), 10)
		}
		if n.Diff != "" {
			dst = append(dst, `,"diff":`...)
			dst = appendString(dst, n.Diff)
		}
		if n.Was != nil {
			dst = append(dst, `,"was":`...)
			var ok bool
			if dst, ok = appendJSONString(dst, n.Was, true); !ok {
				dst = dst[:len(dst)-len(`"was":`)]
				dst = append(dst, `"was_b64":"`...)
				dst = base64.StdEncoding.AppendEncode(dst, n.Was)
				dst = append(dst, '"')
			}
		}
		dst = append(dst, '}')
	}
	if f.Err != "" {
		dst = append(dst, `,"err":`...)
		dst = appendString(dst, f.Err)
	}
	if f.Whole != nil && f.Truncated {
		dst = appendWhole(dst, f.Whole)
	}
	dst = append(dst, `,"text":`...)
	var ok bool
	if dst, ok = appendJSONString(dst, f.Data, true); !ok {
		dst = dst[:len(dst)-len(`"text":`)]
		dst = append(dst, `"b64":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, f.Data)
		dst = append(dst, '"')
	}
	return append(dst, "}\n"...)
}

// appendWhole appends `,"whole":{…}`: what the decoder classified a
// truncated frame as from all of its bytes, which its kept start may not
// say (a reply's id after a long result, varlink's continues).
func appendWhole(dst []byte, i *protocol.Info) []byte {
	dst = append(dst, `,"whole":{"kind":"`...)
	dst = append(dst, i.Kind.String()...)
	dst = append(dst, '"')
	if i.ID != nil && json.Valid(i.ID) {
		dst = append(append(dst, `,"id":`...), i.ID...)
	}
	if i.Method != nil {
		n := len(dst)
		var ok bool
		if dst, ok = appendJSONString(append(dst, `,"method":`...), i.Method, true); !ok {
			dst = dst[:n]
		}
	}
	if i.IsError {
		dst = append(dst, `,"error":true`...)
	}
	if i.Continues {
		dst = append(dst, `,"continues":true`...)
	}
	if i.ByOrder {
		dst = append(dst, `,"by_order":true`...)
	}
	if i.Err != "" {
		dst = append(dst, `,"reason":`...)
		dst = appendString(dst, i.Err)
	}
	return append(dst, '}')
}

func appendGap(dst []byte, conn uint64, dir protocol.Dir, at time.Time, n int64) []byte {
	dst = appendStart(dst, TypeGap, conn)
	dst = append(dst, `,"dir":"`...)
	dst = append(dst, dir.String()...)
	dst = append(dst, '"')
	dst = appendAt(dst, "at", at)
	dst = append(dst, `,"bytes":`...)
	dst = strconv.AppendInt(dst, n, 10)
	return append(dst, "}\n"...)
}

func appendClose(dst []byte, conn uint64, at time.Time, err string) []byte {
	dst = appendStart(dst, TypeClose, conn)
	dst = appendAt(dst, "at", at)
	if err != "" {
		dst = append(dst, `,"err":`...)
		dst = appendString(dst, err)
	}
	return append(dst, "}\n"...)
}

// appendEnd appends an end record; with next set, the end of a file whose
// recording continues in the file named next, which has no drop totals.
func appendEnd(dst []byte, at time.Time, droppedEvents, droppedBytes uint64, next string) []byte {
	dst = append(dst, `{"type":"end"`...)
	dst = appendAt(dst, "at", at)
	if next != "" {
		dst = append(dst, `,"continues":`...)
		dst = appendString(dst, next)
		return append(dst, "}\n"...)
	}
	dst = append(dst, `,"dropped_events":`...)
	dst = strconv.AppendUint(dst, droppedEvents, 10)
	dst = append(dst, `,"dropped_bytes":`...)
	dst = strconv.AppendUint(dst, droppedBytes, 10)
	return append(dst, "}\n"...)
}
