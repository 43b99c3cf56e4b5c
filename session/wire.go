package session

import "sockscope/protocol"

// AppendRecord appends rec, encoded as a line of a session file (newline
// included), to dst: the records of a session file sent over another
// stream (an attached viewer's feed). A header record needs rec.Header;
// an end record is not encoded (a stream ends by closing).
func AppendRecord(dst []byte, rec Record) []byte {
	switch rec.Type {
	case TypeHeader:
		if rec.Header != nil {
			return appendHeader(dst, *rec.Header)
		}
	case TypeOpen:
		return appendOpen(dst, rec.Conn, rec.At, rec.Client, rec.Listen, rec.Upstream, rec.PID, rec.UID, rec.Process, rec.Own)
	case TypeFrame:
		framing, _ := protocol.ParseFraming(rec.Framing)
		f := protocol.Frame{Data: rec.Data, Size: rec.Size, Wire: rec.Wire, Truncated: rec.Truncated, Err: rec.Err, Whole: rec.Whole}
		return appendFrame(dst, rec.Conn, rec.Dir, rec.At, f, framing, rec.Marks)
	case TypeGap:
		return appendGap(dst, rec.Conn, rec.Dir, rec.At, rec.Bytes)
	case TypeClose:
		return appendClose(dst, rec.Conn, rec.At, rec.Err)
	}
	return dst
}

// ParseRecord decodes one line of a session file (without its newline).
// Records of types this version does not know come back with their Type
// and nothing else.
func ParseRecord(line []byte) (Record, error) { return parse(line) }
