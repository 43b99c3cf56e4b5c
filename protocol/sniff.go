package protocol

import (
	"bytes"
	"maps"
	"strings"
	"sync/atomic"
)

// httpMethods are the request methods that mark a stream as HTTP.
var httpMethods = [...]string{"GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE ", "HTTP/1."}

// detectProfile looks at the first bytes of a stream (rest, after leading
// whitespace; p, all of them) for the protocols beyond plain JSON: HTTP/1.1
// by its request or status line, RESP by a type line ending "\r\n" or an
// inline command (ended by a bare "\n" too, as nc and redis-cli --pipe
// send a text file's lines, when every whole line is one and the other
// direction did not speak first: otherSpoke), msgpack-RPC by its array
// header and message type, varlink by a JSON object ended by NUL before
// any newline, HTTP/2 with prior knowledge by the client's preface or the
// server's first frame (SETTINGS on stream 0). sure is false when none of them applies, so that detect
// goes on; ok is false while it needs more bytes.
func detectProfile(p, rest []byte, otherSpoke bool) (f Framing, ok, sure bool) {
	switch c := rest[0]; {
	case c == 'P' && len(rest) < len(h2Preface) && string(rest) == h2Preface[:len(rest)]:
		return FramingAuto, false, true // perhaps HTTP/2's preface: wait for it
	case c == 'P' && len(rest) >= len(h2Preface) && string(rest[:len(h2Preface)]) == h2Preface && len(rest) == len(p):
		return FramingHTTP2, true, true
	case c == 0 && len(rest) == len(p):
		// A server's HTTP/2 preface: a SETTINGS frame on stream 0.
		switch yes, more := h2SettingsHead(rest); {
		case more:
			return FramingAuto, false, true
		case yes:
			return FramingHTTP2, true, true
		}
	case c == 0x93 || c == 0x94:
		if len(rest) < 2 {
			return FramingAuto, false, true
		}
		if rest[1] <= 2 {
			return FramingMsgpack, true, true
		}
		return 0, false, false
	case c == '{':
		window := p[:min(len(p), autoWindow)]
		if i := bytes.IndexAny(window, "\x00\n"); i >= 0 {
			switch {
			case window[i] == '\n':
				return FramingLines, true, true
			case looksText(window[:i]): // a JSON object, then its NUL
				return FramingVarlink, true, true
			}
			return 0, false, false // binary that starts with '{' (raw bytes after a gap)
		}
		if len(p) < autoWindow {
			return FramingAuto, false, true
		}
		return FramingLines, true, true
	case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
		window := rest[:min(len(rest), autoWindow)]
		line, whole := firstLine(window)
		head, _, _ := bytes.Cut(window, []byte("\n")) // the first line, whole or not
		// Lines ended by a bare "\n" that all read as inline commands.
		lf := !whole && !otherSpoke && inlineLines(window)
		for _, m := range httpMethods {
			n := min(len(m), len(rest))
			if string(rest[:n]) == m[:n] {
				if n < len(m) {
					return FramingAuto, false, true
				}
				if !whole && !lf || m == "HTTP/1." || bytes.Contains(head, []byte(" HTTP/1.")) {
					return FramingHTTP, true, true
				}
			}
		}
		if whole && inlineCommand(line) || lf {
			return FramingRESP, true, true
		}
	case bytes.IndexByte([]byte("*+-:$%>_#,(=!|~"), c) >= 0:
		window := rest[:min(len(rest), autoWindow)]
		i := bytes.IndexByte(window, '\n')
		if i < 0 {
			if len(p) < autoWindow {
				return FramingAuto, false, true
			}
			return 0, false, false
		}
		if i >= 2 && window[i-1] == '\r' && respLine(window[:i-1]) {
			return FramingRESP, true, true
		}
	}
	return 0, false, false
}

// firstLine returns p's first line without its "\r\n", and whether it
// is whole (ended by "\r\n").
func firstLine(p []byte) ([]byte, bool) {
	i := bytes.IndexByte(p, '\n')
	if i < 1 || p[i-1] != '\r' {
		return nil, false
	}
	return p[:i-1], true
}

// inlineCommand reports whether line is a Redis inline command: text whose
// first word is a command Redis knows (redis-cli and telnet users type
// "PING", "get k"; its replies would detect RESP, but the client speaks
// first).
func inlineCommand(line []byte) bool {
	word, _, _ := bytes.Cut(line, []byte(" "))
	_, ok := redisCommand(word)
	return ok && looksText(line)
}

// inlineLines reports whether p starts with a whole line, and every whole
// line of it (ended by "\n", with or without "\r") is an inline Redis
// command or empty, up to a RESP array (redis-cli --pipe ends what it
// sends with an ECHO of its own).
func inlineLines(p []byte) bool {
	seen := false
	for {
		line, rest, ok := bytes.Cut(p, []byte("\n"))
		if !ok {
			return seen
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		switch {
		case seen && len(line) > 1 && line[0] == '*' && respLine(line):
			return true
		case len(line) > 0 && !inlineCommand(line):
			return false
		}
		seen, p = true, rest
	}
}

// redisCommand returns the name of the Redis command word is, in capitals
// whatever its case (GET for get), if Redis has it.
func redisCommand(word []byte) ([]byte, bool) {
	if len(word) > 16 {
		return nil, false
	}
	var up [16]byte
	for i, b := range word {
		if b >= 'a' && b <= 'z' {
			b -= 'a' - 'A'
		}
		up[i] = b
	}
	name, ok := redisCommands[string(up[:len(word)])]
	return name, ok
}

// redisCommands are the Redis commands known by name: inline commands
// start with one, and a command's method is its name in capitals.
var redisCommands = map[string][]byte{}

// commandName returns a command's method: its name in capitals, as Redis
// reads it whatever its case (get and GET are one command; a module's or
// a command redisCommands lacks too). A name in lower case that is not a
// known command is kept in capitals in upperNames, up to maxUpperNames
// of up to 64 bytes, so that most frames' methods cost no copy.
func commandName(word []byte) []byte {
	if c, ok := redisCommand(word); ok {
		return c
	}
	lower := false
	for _, b := range word {
		lower = lower || b >= 'a' && b <= 'z'
	}
	if !lower {
		return word // in capitals already (or no letters): the frame's own bytes
	}
	if len(word) > 64 {
		return upper(nil, word)
	}
	var buf [64]byte
	up := upper(buf[:0], word)
	names, n := upperNames.Load(), 0
	if names != nil {
		if name, ok := (*names)[string(up)]; ok {
			return name
		}
		n = len(*names)
	}
	name := bytes.Clone(up)
	if n < maxUpperNames {
		m := make(map[string][]byte, n+1)
		if names != nil {
			maps.Copy(m, *names)
		}
		m[string(name)] = name
		upperNames.CompareAndSwap(names, &m) // one lost to a race is kept next time
	}
	return name
}

// upper appends word to dst with its ASCII letters in capitals.
func upper(dst, word []byte) []byte {
	for _, b := range word {
		if b >= 'a' && b <= 'z' {
			b -= 'a' - 'A'
		}
		dst = append(dst, b)
	}
	return dst
}

// upperNames maps the names commandName put in capitals to themselves; it
// is replaced whole (copy on write), and read without a lock.
var upperNames atomic.Pointer[map[string][]byte]

// maxUpperNames bounds upperNames.
const maxUpperNames = 1024

func init() {
	for _, c := range strings.Fields(`APPEND AUTH BGSAVE BITCOUNT BLPOP BRPOP CLIENT CLUSTER COMMAND CONFIG DBSIZE DECR DECRBY DEL DISCARD
		DUMP ECHO EVAL EVALSHA EXEC EXISTS EXPIRE EXPIREAT FLUSHALL FLUSHDB GET GETDEL GETEX GETRANGE GETSET HDEL HELLO
		HEXISTS HGET HGETALL HINCRBY HKEYS HLEN HMGET HMSET HSET HSETNX HVALS INCR INCRBY INCRBYFLOAT INFO KEYS LASTSAVE
		LINDEX LINSERT LLEN LPOP LPUSH LRANGE LREM LSET LTRIM MGET MONITOR MOVE MSET MSETNX MULTI OBJECT PERSIST PEXPIRE
		PING PSUBSCRIBE PSYNC PTTL PUBLISH PUBSUB PUNSUBSCRIBE QUIT RANDOMKEY RENAME RENAMENX REPLCONF RESET ROLE RPOP RPOPLPUSH RPUSH
		SADD SAVE SCAN SCARD SCRIPT SDIFF SELECT SET SETEX SETNX SETRANGE SHUTDOWN SINTER SISMEMBER SLOWLOG SMEMBERS
		SMOVE SORT SPOP SRANDMEMBER SREM SSCAN STRLEN SUBSCRIBE SUNION SWAPDB SYNC TIME TOUCH TTL TYPE UNLINK UNSUBSCRIBE
		UNWATCH WAIT WATCH XADD XDEL XLEN XRANGE XREAD XREADGROUP ZADD ZCARD ZCOUNT ZINCRBY ZRANGE ZRANK ZREM ZSCORE`) {
		redisCommands[c] = []byte(c)
	}
}

// respLine reports whether line (without "\r\n") is a RESP type line.
func respLine(line []byte) bool {
	switch line[0] {
	case '+', '-':
		return looksText(line[1:])
	case ':', '(':
		_, ok := respInt(bytes.TrimPrefix(line[1:], []byte("-")))
		return ok
	case '_':
		return len(line) == 1
	case '#':
		return string(line) == "#t" || string(line) == "#f"
	case ',':
		return len(line) > 1
	case '$':
		if len(line) == 5+rdbMark && bytes.HasPrefix(line, []byte("$EOF:")) {
			return true // a snapshot a master sends a replica (SYNC)
		}
	}
	_, ok := respInt(line[1:])
	return ok
}
