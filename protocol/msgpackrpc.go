package protocol

import "math"

// MsgpackReplyTo returns msgpack-RPC response resp ([1,msgid,error,result])
// addressed to request msgid id instead (as Info.ID gives it: decimal
// text), or nil when resp is no response or id no msgid.
func MsgpackReplyTo(resp []byte, id []byte) []byte {
	if len(resp) < 3 || resp[1] != 1 {
		return nil
	}
	return MsgpackWithID(resp, id)
}

// MsgpackWithID returns msgpack-RPC request or response m
// ([0,msgid,method,params] or [1,msgid,error,result]) with msgid id (as
// Info.ID gives it: decimal text) instead of its own, or nil when m is
// neither or id no msgid.
func MsgpackWithID(m []byte, id []byte) []byte {
	v, ok := msgid(id)
	if len(m) < 3 || m[0] != 0x94 || m[1] > 1 || !ok {
		return nil
	}
	_, rest, ok := mpUint(m[2:])
	if !ok {
		return nil
	}
	out := appendMpUint([]byte{0x94, m[1]}, v)
	return append(out, rest...)
}

// MsgpackErrorReply returns the msgpack-RPC response to request msgid id
// (decimal text) with error why and no result, or nil when id is no msgid.
func MsgpackErrorReply(id []byte, why string) []byte {
	v, ok := msgid(id)
	if !ok {
		return nil
	}
	out := appendMpUint([]byte{0x94, 1}, v)
	out = appendMpStr(out, why)
	return append(out, 0xc0)
}

// msgid reads a msgid as Info.ID gives it: decimal text of a uint32.
func msgid(id []byte) (uint64, bool) {
	var v uint64
	for _, c := range id {
		if c < '0' || c > '9' || v > math.MaxUint32/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, len(id) > 0 && v <= math.MaxUint32
}

// appendMpUint appends v as the shortest msgpack unsigned integer.
func appendMpUint(dst []byte, v uint64) []byte {
	switch {
	case v <= 0x7f:
		return append(dst, byte(v))
	case v <= math.MaxUint8:
		return append(dst, 0xcc, byte(v))
	case v <= math.MaxUint16:
		return append(dst, 0xcd, byte(v>>8), byte(v))
	case v <= math.MaxUint32:
		return append(dst, 0xce, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return append(dst, 0xcf, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// appendMpStr appends s as a msgpack string.
func appendMpStr(dst []byte, s string) []byte {
	if n := len(s); n <= 31 {
		dst = append(dst, 0xa0|byte(n))
	} else {
		dst = appendMpLen(dst, 0xd9, n)
	}
	return append(dst, s...)
}

// appendMpLen appends the head of a str, bin or ext of n bytes: code8, the
// code of one with a one-byte length (code8+1 and code8+2 are those of two
// and four bytes), and the length.
func appendMpLen(dst []byte, code8 byte, n int) []byte {
	switch {
	case n <= math.MaxUint8:
		return append(dst, code8, byte(n))
	case n <= math.MaxUint16:
		return append(dst, code8+1, byte(n>>8), byte(n))
	}
	return append(dst, code8+2, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}
