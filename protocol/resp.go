package protocol

import "bytes"

// respFramer cuts one direction of Redis's RESP2/RESP3 into values: a
// frame is one top-level value (a command's array, a reply, a push) as on
// the wire. It counts the values still to come instead of parsing them, so
// its state is a few integers however deep or long the value. A line that
// starts with no type byte at the start of a frame is an inline command.
type respFramer struct {
	g    gather
	need int   // values still to read to complete the frame; 0 between frames
	skip int64 // bytes of a bulk string (and its CRLF) still to pass
	// hdr holds the start of a type line (its type byte and number, or
	// a snapshot's "$EOF:<mark>") that spans chunks; hdrN counts its
	// bytes, beyond len(hdr) too.
	hdr  [6 + rdbMark]byte
	hdrN int
	// rdb: the next value is a snapshot (RDB) a master sends a replica,
	// a bulk string without the CRLF that ends others; it follows
	// +FULLRESYNC, the answer to PSYNC.
	rdb bool
	// sniffing: a bulk string that answers SYNC (the other direction's
	// framer framed one: link) may be a snapshot that no +FULLRESYNC
	// announced (a client that did not say REPLCONF capa eof): its first
	// bytes are gathered in magic, and if they read "REDIS" and a
	// four-digit version, no CRLF is taken after it. Any other bulk
	// string that starts so is a value (GET of one a client stored).
	sniffing bool
	magicN   int
	magic    [len(rdbMagic) + 4]byte
	// marking: a snapshot sent as "$EOF:<mark>" (diskless replication,
	// redis-cli --rdb) is being read: it ends with the 40 bytes of mark.
	// tail holds its last tailN bytes, for a mark split across chunks.
	marking bool
	mark    [rdbMark]byte
	tail    [rdbMark - 1]byte
	tailN   int
	// link is shared with the framer of the connection's other
	// direction (nil: none): a SYNC framed here is noted there, and an
	// EXEC with what CLIENT REPLY leaves out of its reply (respexec.go).
	link *httpLink
	// top is the type byte of the frame being read (an inline command's
	// first byte). replies is set once a frame only a server sends was
	// framed here, or from the start for the server's framer of a pair
	// (setDir); queued counts the +QUEUED framed since the last value
	// but errors; cmd is what the commands framed here said (respexec.go).
	top     byte
	replies bool
	queued  int
	cmd     respCmds
	// asked counts the commands framed here that get a reply (CLIENT
	// REPLY not OFF), began the values begun here: the replies owed
	// before a SYNC's answer, and those that came (syncNote). Pub/sub
	// counts on neither side: its commands are answered by confirmations,
	// one a channel, and messages come unasked, as pushes in RESP3 and as
	// arrays that start with a pub/sub word in RESP2 (isPubSubMessage).
	asked, began int64
	skipNext     bool // CLIENT REPLY SKIP: the next command has no reply
}

// syncNote is a SYNC command a RESP framer framed: its answer is the
// other direction's reply after the owed replies to the commands framed
// before it (a GET pipelined before SYNC in one write is answered by a
// bulk string before the snapshot).
type syncNote struct {
	from *respFramer
	owed int64
}

// syncLen is the length of the longest frame that may be the command
// SYNC: "*1\r\n$4\r\nSYNC\r\n".
const syncLen = 14

// isSync reports whether p, a whole frame, is the command SYNC, as an
// array or inline.
func isSync(p []byte) bool {
	if len(p) > 0 && p[0] == '*' {
		if !bytes.HasPrefix(p, []byte("*1\r\n$4\r\n")) {
			return false
		}
		p = p[len("*1\r\n$4\r\n"):]
	}
	p = bytes.TrimRight(p, "\r\n")
	return len(p) == 4 && bytes.EqualFold(p, []byte("SYNC"))
}

// answersSync reports whether a value of type t, at the start of a
// frame, answers a SYNC the other direction's framer framed, and if so
// forgets that SYNC: its answer is a bulk string (the snapshot) or an
// error, once the replies owed to the commands before it have begun;
// anything else (a reply to a command before it) leaves it.
func (r *respFramer) answersSync(t byte) bool {
	if r.link == nil || t != '$' && t != '-' {
		return false
	}
	p := r.link.sync.Load()
	return p != nil && p.from != r && r.began >= p.owed && r.link.sync.CompareAndSwap(p, nil)
}

// rdbMark is the length of the mark that ends a snapshot sent as
// "$EOF:<mark>".
const rdbMark = 40

// rdbMagic starts a snapshot (RDB), before its four-digit version.
const rdbMagic = "REDIS"

// isRDB reports whether p (rdbMagic and four bytes) starts a snapshot.
func isRDB(p []byte) bool {
	if string(p[:len(rdbMagic)]) != rdbMagic {
		return false
	}
	for _, c := range p[len(rdbMagic):] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Feed implements Framer.
func (r *respFramer) Feed(chunk []byte, emit func(*Frame)) {
	g := &r.g
	if !g.feed(chunk, emit) {
		return
	}
	i := 0
	for i < len(chunk) {
		if r.marking {
			if i = r.scanMark(chunk, i); r.marking {
				break
			}
			r.need--
		} else if r.skip > 0 {
			if r.sniffing {
				k := copy(r.magic[r.magicN:], chunk[i:])
				if r.magicN += k; r.magicN == len(r.magic) {
					r.sniffing = false
					if isRDB(r.magic[:]) {
						r.skip -= 2 // a snapshot: no CRLF after it
					}
				}
			}
			k := int(min(r.skip, int64(len(chunk)-i)))
			i += k
			if r.skip -= int64(k); r.skip > 0 {
				break
			}
			r.need--
		} else {
			// A type line: find its end.
			j := i
			for j < len(chunk) && chunk[j] != '\n' {
				j++
			}
			line := chunk[i:j]
			if r.hdrN > 0 || j == len(chunk) {
				n := copy(r.hdr[min(r.hdrN, len(r.hdr)):], line)
				line = r.hdr[:min(r.hdrN+n, len(r.hdr))]
				r.hdrN += j - i
			}
			if j == len(chunk) {
				i = j
				break
			}
			i = j + 1
			r.hdrN = 0
			if r.need == 0 && (len(line) == 0 || len(line) == 1 && line[0] == '\r') {
				// An empty line between commands (redis-cli --pipe sends
				// one): no command, and Redis answers none.
				g.skip(i)
				continue
			}
			if why := r.value(line); why != "" {
				g.breakRaw(chunk, "resp: "+why+"; raw from here", emit)
				return
			}
		}
		if r.need == 0 {
			if r.link != nil {
				r.framed(chunk, i)
			}
			g.complete(chunk, i, emit)
		}
	}
	g.carry(chunk)
}

// value reads the type line of the next value (its '\n' removed): a
// simple value is done, a bulk string is skipped, an aggregate adds its
// elements to the values still needed.
func (r *respFramer) value(line []byte) string {
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	start := r.need == 0
	rdb := start && r.rdb
	if start {
		r.need, r.rdb = 1, false
	}
	if len(line) == 0 {
		return "empty type line"
	}
	if start {
		r.top = line[0]
	}
	sync := start && r.answersSync(line[0])
	if start && line[0] != '>' {
		r.began++
	}
	switch line[0] {
	case '+', '-', ':', ',', '#', '_', '(':
		r.need--
		r.rdb = start && bytes.HasPrefix(line, []byte("+FULLRESYNC "))
		if start && r.link != nil && (line[0] == '_' && r.queued > 0 || line[0] == '-' && bytes.HasPrefix(line, []byte("-EXECABORT"))) {
			r.link.execReply(r, -1) // an EXEC that ran nothing
			r.queued = 0
		}
	case '$', '=', '!':
		if start && len(line) == 5+rdbMark && bytes.HasPrefix(line, []byte("$EOF:")) {
			r.marking, r.tailN = true, 0
			copy(r.mark[:], line[5:])
			return ""
		}
		n, ok := respInt(line[1:])
		switch {
		case !ok:
			return "bad bulk length"
		case n < 0 || rdb && n == 0:
			r.need--
		case rdb && line[0] == '$':
			r.skip = n // a snapshot: no CRLF after it
		default:
			r.skip = n + 2
			// Perhaps a snapshot nothing announced (SYNC's answer).
			r.sniffing, r.magicN = sync && line[0] == '$' && n >= int64(len(r.magic)), 0
		}
	case '*', '~', '>', '%', '|':
		n, ok := respInt(line[1:])
		if ok && start && line[0] == '*' && r.queued > 0 {
			n -= r.execShort(n) // EXEC's, shorter by the replies CLIENT REPLY silenced
		}
		switch {
		case !ok:
			return "bad aggregate length"
		case n < 0:
			r.need--
			return ""
		case n > 1<<32:
			return "aggregate too long"
		}
		switch line[0] {
		case '%':
			n *= 2
		case '|':
			n = 2*n + 1 // the attribute's pairs, then the value it is about
		}
		r.need += int(n) - 1
	default:
		if !start {
			return "unknown type byte " + notJSON[line[0]][len("not JSON: starts with "):]
		}
		r.need = 0 // an inline command: the line is the frame
	}
	return ""
}

// scanMark reads a snapshot sent as "$EOF:<mark>" in chunk from i, and
// returns the offset after its mark, or len(chunk) (marking still set)
// when the mark is not in it.
func (r *respFramer) scanMark(chunk []byte, i int) int {
	rest := chunk[i:]
	if r.tailN > 0 {
		// A mark that began in the chunks before.
		var buf [2*rdbMark - 2]byte
		b := append(append(buf[:0], r.tail[:r.tailN]...), rest[:min(len(rest), rdbMark-1)]...)
		if k := bytes.Index(b, r.mark[:]); k >= 0 {
			r.marking = false
			return i + k + rdbMark - r.tailN
		}
	}
	if k := bytes.Index(rest, r.mark[:]); k >= 0 {
		r.marking = false
		return i + k + rdbMark
	}
	if len(rest) >= len(r.tail) {
		r.tailN = copy(r.tail[:], rest[len(rest)-len(r.tail):])
	} else {
		keep := min(r.tailN, len(r.tail)-len(rest))
		copy(r.tail[:], r.tail[r.tailN-keep:r.tailN])
		r.tailN = keep + copy(r.tail[keep:], rest)
	}
	return len(chunk)
}

// respInt parses a RESP length: decimal digits, or -1.
func respInt(p []byte) (int64, bool) {
	if len(p) == 2 && p[0] == '-' && p[1] == '1' {
		return -1, true
	}
	if len(p) == 0 || len(p) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range p {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// skipGap takes a gap inside a bulk string as part of the value
// (SkipGap), and a recording's cut (rest) as the value's end, where the
// recording measured it.
func (r *respFramer) skipGap(c Cut, rest bool, emit func(*Frame)) bool {
	n, gap := c.N, int(c.Gap)
	g := &r.g
	switch {
	case g.broken != "" || g.size == 0:
		return false
	case rest:
		r.need, r.skip, r.hdrN, r.marking, r.sniffing = 0, 0, 0, false, false
		g.cut(int(n), gap, emit)
		return true
	case n > r.skip: // past the string (or in a snapshot, whose mark may be in the gap)
		return false
	}
	g.hole(int(n), gap)
	r.sniffing = false
	if r.skip -= n; r.skip == 0 {
		if r.need--; r.need == 0 {
			g.complete(nil, 0, emit)
		}
	}
	return true
}

// Flush implements Framer.
func (r *respFramer) Flush(emit func(*Frame)) {
	r.g.flush(ErrMidFrame, emit)
	r.need, r.skip, r.hdrN, r.rdb, r.marking, r.sniffing = 0, 0, 0, false, false, false
}

// Reset implements Framer: after a gap a value's start cannot be found, so
// the rest of the stream is raw.
func (r *respFramer) Reset() {
	r.g.buf, r.g.size = nil, 0
	r.g.broken = "resp: bytes lost (gap); raw from here"
}

func (r *respFramer) pending() int { return r.g.pending() }

// Framing implements Framer.
func (*respFramer) Framing() Framing { return FramingRESP }
