package protocol

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Pairing says how a protocol's responses find their requests.
type Pairing uint8

const (
	// PairByID keys requests by an id the response repeats (JSON-RPC, the
	// seed protocol, QMP, DAP, mpv, msgpack-RPC).
	PairByID Pairing = iota
	// PairByOrder answers the first unanswered request of the connection
	// that went the other way (HTTP/1.1, RESP, varlink).
	PairByOrder
)

// Profile is one protocol sockscope reads: how its bytes are cut into
// frames, what each message is, how it is shown as JSON, and how its
// exchanges pair. A profile is named by its Framing, which is what a
// session file records.
type Profile struct {
	// Name is the --protocol name.
	Name    string
	Framing Framing
	Pairing Pairing
	// Pairs says, for the README and --help, what is paired and how.
	Pairs string
	// Classify decides what a frame that travelled in dir is. ID and
	// Method alias data.
	Classify func(data []byte, dir Dir, idFields []string) Info
	// View appends the frame's JSON view to dst (the bytes themselves stay
	// as they were); nil when the frame is JSON already. It fails on a
	// frame that does not decode (say, truncated).
	View func(dst, data []byte) ([]byte, error)
	// encode writes the frame whose view is v (EncodeView): nil when
	// sockscope does not write frames of the profile from a view.
	encode func(dst []byte, v jvalue) ([]byte, error)
}

// Profiles are the protocols sockscope reads, in the order auto detection
// considers them (see detect).
var Profiles = []*Profile{
	{Name: "lines", Framing: FramingLines, Classify: classifyJSON,
		Pairs: "newline-delimited JSON (the seed protocol, JSON-RPC 2.0, QMP, mpv's JSON IPC): by id (--id fields; rid, id, request_id); mpv's commands without request_id and QMP's without id by order"},
	{Name: "content-length", Framing: FramingContentLength, Classify: classifyJSON,
		Pairs: "Content-Length framed JSON (LSP, DAP): JSON-RPC by id, DAP by seq/request_seq"},
	{Name: "http", Framing: FramingHTTP, Pairing: PairByOrder, Classify: classifyHTTP, View: viewHTTP, encode: encodeHTTP,
		Pairs: "HTTP/1.1: each response with the first unanswered request (pipelining, keep-alive); method and path as the method, 4xx/5xx as errors; 1xx are notifications but 101, which answers its upgrade (an upgrade to h2c switches the connection to http2)"},
	{Name: "resp", Framing: FramingRESP, Pairing: PairByOrder, Classify: classifyRESP, View: viewRESP, encode: encodeRESP,
		Pairs: "Redis RESP2/RESP3: each reply with the first unanswered command (a SUBSCRIBE with its first confirmation, or the error or QUEUED that answers it); -ERR as errors; pub/sub messages, further confirmations, RESP3 pushes and MONITOR's lines are notifications, never paired, as are commands CLIENT REPLY silences and a replication stream (after what answers SYNC or PSYNC)"},
	{Name: "msgpack-rpc", Framing: FramingMsgpack, Classify: classifyMsgpack, View: viewMsgpack, encode: encodeMsgpack,
		Pairs: "msgpack-RPC (Neovim): [0,msgid,method,params] with [1,msgid,error,result] by msgid, per direction; [2,method,params] are notifications"},
	{Name: "varlink", Framing: FramingVarlink, Pairing: PairByOrder, Classify: func(d []byte, _ Dir, _ []string) Info { return classifyVarlink(d) },
		Pairs: "varlink (NUL-terminated JSON): each reply or error with the first unanswered call; \"continues\" replies stay with their call; oneway calls are never paired"},
	{Name: "http2", Framing: FramingHTTP2, Classify: classifyHTTP2, View: viewHTTP2,
		Pairs: "HTTP/2 with prior knowledge, or after an h2c Upgrade: a client's HEADERS with the server's HEADERS on the same stream, by stream id; header blocks decoded (HPACK), a request named by its method and path, a response by its status, 4xx/5xx as errors; DATA, SETTINGS and every other frame are notifications"},
	{Name: "raw", Framing: FramingRaw, Classify: func([]byte, Dir, []string) Info { return Info{Err: "raw stream"} },
		Pairs: "anything else: each read as it came, forwarded byte for byte"},
}

// IsJSON reports whether the frames of framing f are JSON, as what
// sockscope writes is: not HTTP, RESP or msgpack-RPC, which are shown
// through a JSON view of their own (Profile.View).
func IsJSON(f Framing) bool {
	p := ProfileOf(f)
	return p == nil || p.View == nil
}

// ProfileOf returns the profile of framing f (nil for FramingAuto).
func ProfileOf(f Framing) *Profile {
	for _, p := range Profiles {
		if p.Framing == f {
			return p
		}
	}
	return nil
}

// ClassifyAs classifies a frame cut with framing f that travelled in dir.
// The JSON framings (and an undecided stream) use Classify.
func ClassifyAs(f Framing, data []byte, dir Dir, idFields []string) Info {
	var info Info
	ClassifyInto(f, data, dir, idFields, &info)
	return info
}

// ClassifyKept is ClassifyAs for a frame kept truncated, data its start:
// a frame of JSON (lines, Content-Length, varlink) is classified from the
// members that ended before the cut, as a framer classifies a recorded
// frame it reads back cut (SkipCut); the other framings' classifiers read
// only a frame's start.
func ClassifyKept(f Framing, data []byte, dir Dir, idFields []string) Info {
	switch f {
	case FramingHTTP, FramingRESP, FramingMsgpack, FramingHTTP2:
		return ClassifyAs(f, data, dir, idFields)
	}
	w := whole{ids: idFields, varlink: f == FramingVarlink}
	if w.ids == nil {
		w.ids = DefaultIDFields
	}
	w.unseen(data)
	return *w.done()
}

// ClassifyInto is ClassifyAs into *info, which it overwrites whole. It
// spares the caller the copy of an Info returned (the decoder classifies
// into the message it stores).
func ClassifyInto(f Framing, data []byte, dir Dir, idFields []string, info *Info) {
	switch f {
	case FramingHTTP:
		*info = classifyHTTP(data, dir, idFields)
	case FramingRESP:
		*info = classifyRESP(data, dir, idFields)
	case FramingMsgpack:
		*info = classifyMsgpack(data, dir, idFields)
	case FramingVarlink:
		*info = classifyVarlink(data)
	case FramingHTTP2:
		*info = classifyHTTP2(data, dir, idFields)
	default:
		classifyInto(data, idFields, info)
	}
}

// ByOrderIDField returns the member that carries an id given to payload,
// a request that pairs by order (Info.ByOrder) so that its reply comes
// back with it: id for QMP's execute (QEMU refuses any member it does not
// know, request_id too), request_id for mpv's command.
func ByOrderIDField(payload []byte) string {
	var top map[string]json.RawMessage
	if json.Unmarshal(payload, &top) == nil && top["execute"] != nil {
		return "id"
	}
	return "request_id"
}

// PairingOf returns how framing f's exchanges pair.
func PairingOf(f Framing) Pairing {
	switch f {
	case FramingHTTP, FramingRESP, FramingVarlink:
		return PairByOrder
	}
	return PairByID
}

func classifyJSON(data []byte, _ Dir, idFields []string) Info { return Classify(data, idFields) }

// classifyHTTP classifies an HTTP message by its start line: a request's
// method is "METHOD target"; a response's is its status line after the
// version ("404 Not Found"), an error from 400 on; 1xx responses are
// interim, notifications, but for 101, which answers an upgrade.
func classifyHTTP(data []byte, _ Dir, _ []string) Info {
	line := data
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		line = data[:i]
	}
	line = bytes.TrimSuffix(line, []byte("\r"))
	if bytes.HasPrefix(line, []byte("HTTP/1.")) && len(line) >= 12 {
		code := line[9:12]
		switch {
		case string(code) == "101": // the upgrade's answer: the last on HTTP
			return Info{Kind: KindResponse, Method: line[9:]}
		case code[0] == '1':
			return Info{Kind: KindNotification, Method: line[9:]}
		case code[0] < '1' || code[0] > '9':
			return Info{Err: "http: bad status line"}
		}
		return Info{Kind: KindResponse, Method: line[9:], IsError: code[0] >= '4'}
	}
	if i := bytes.LastIndex(line, []byte(" HTTP/1.")); i > 0 {
		return Info{Kind: KindRequest, Method: line[:i]}
	}
	return Info{Err: "http: not a request or status line"}
}

// classifyRESP classifies a RESP value: every command a client sends is a
// request, named by its first word (the pub/sub ones too: one is answered
// by its first confirmation, see RESPSub); what the server sends is a
// reply, an error reply ('-' or '!'), or, for a RESP3 push ('>'), a
// RESP2 pub/sub message or confirmation and a MONITOR line, a
// notification.
func classifyRESP(data []byte, dir Dir, _ []string) Info {
	if len(data) == 0 {
		return Info{Err: "resp: empty"}
	}
	if dir == C2S {
		return Info{Kind: KindRequest, Method: commandName(respFirst(data))}
	}
	switch data[0] {
	case '>':
		return Info{Kind: KindNotification, Method: respFirst(data)}
	case '-', '!':
		return Info{Kind: KindResponse, IsError: true, Method: respErrCode(data)}
	case '*':
		if name := respFirst(data); isPubSubMessage(name) {
			return Info{Kind: KindNotification, Method: name}
		}
	case '+':
		if isMonitorLine(data) {
			return Info{Kind: KindNotification, Method: monitorMethod}
		}
	}
	return Info{Kind: KindResponse}
}

// monitorMethod is the method of a line MONITOR sends.
var monitorMethod = []byte("MONITOR")

// isMonitorLine reports whether a simple string a server sent is one of
// the lines a connection gets after MONITOR, one a command the server
// ran: +1339518083.107412 [0 127.0.0.1:60866] "keys" "*" (a time,
// then the database and client in brackets). No reply reads so.
func isMonitorLine(data []byte) bool {
	i := 1
	for i < len(data) && data[i] >= '0' && data[i] <= '9' {
		i++
	}
	if i == 1 || i >= len(data) || data[i] != '.' {
		return false
	}
	j := i + 1
	for j < len(data) && data[j] >= '0' && data[j] <= '9' {
		j++
	}
	return j > i+1 && j+2 < len(data) && data[j] == ' ' && data[j+1] == '[' && data[j+2] >= '0' && data[j+2] <= '9'
}

// respFirst returns the first bulk or simple string of an aggregate
// (a command's name), or the first word of an inline command.
func respFirst(data []byte) []byte {
	if data[0] != '*' && data[0] != '>' {
		line, _, _ := bytes.Cut(data, []byte("\n"))
		line = bytes.TrimSpace(line)
		w, _, _ := bytes.Cut(line, []byte(" "))
		return w
	}
	_, rest, ok := bytes.Cut(data, []byte("\n"))
	if !ok || len(rest) == 0 {
		return nil
	}
	line, rest, ok := bytes.Cut(rest, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if !ok || len(line) == 0 {
		return nil
	}
	switch line[0] {
	case '+':
		return line[1:]
	case '$':
		n, err := strconv.Atoi(string(line[1:]))
		if err != nil || n < 0 || n > len(rest) {
			return nil
		}
		return rest[:n]
	}
	return nil
}

// respErrCode returns an error reply's first word (ERR, WRONGTYPE, …).
func respErrCode(data []byte) []byte {
	line, _, _ := bytes.Cut(data[1:], []byte("\n"))
	if data[0] == '!' {
		return nil
	}
	w, _, _ := bytes.Cut(bytes.TrimSuffix(line, []byte("\r")), []byte(" "))
	return w
}

// SubWord names a Redis pub/sub command by the word its confirmations
// start with ("subscribe" for SUBSCRIBE); SubNone is any other command or
// reply.
type SubWord uint8

// The pub/sub commands.
const (
	SubNone SubWord = iota
	SubSubscribe
	SubUnsubscribe
	SubPSubscribe
	SubPUnsubscribe
	SubSSubscribe
	SubSUnsubscribe
)

var subWords = [...]string{"", "SUBSCRIBE", "UNSUBSCRIBE", "PSUBSCRIBE", "PUNSUBSCRIBE", "SSUBSCRIBE", "SUNSUBSCRIBE"}

// subWordOf returns the pub/sub command name is, whatever its case.
func subWordOf(name []byte) SubWord {
	switch len(name) {
	case 9, 10, 11, 12:
	default:
		return SubNone
	}
	for i, s := range subWords[1:] {
		if bytes.EqualFold(name, []byte(s)) {
			return SubWord(i + 1)
		}
	}
	return SubNone
}

// RESPSub says what a RESP message, data classified as info that
// travelled in dir, is to pub/sub. A command (P|S)SUBSCRIBE or
// (P|S)UNSUBSCRIBE gets one confirmation a channel it names, each a
// message of its own, instead of one reply (but for an error, or +QUEUED
// inside MULTI): for it, RESPSub returns its word and how many, 0 for one
// or more (an UNSUBSCRIBE of all: one a channel it was subscribed to, or
// one saying none). For a confirmation a server sent, it returns its word
// and 0. For anything else, SubNone.
func RESPSub(data []byte, dir Dir, info *Info) (SubWord, int) {
	if len(data) == 0 {
		return SubNone, 0
	}
	if dir == C2S {
		w := SubNone
		if info.Kind == KindRequest {
			w = subWordOf(info.Method)
		}
		if w == SubNone {
			return SubNone, 0
		}
		if data[0] != '*' {
			return w, max(len(inlineArgs(data))-1, 0)
		}
		line, _, _ := bytes.Cut(data[1:], []byte("\r\n"))
		n, ok := respInt(line)
		if !ok {
			return w, 0
		}
		return w, int(max(min(n-1, 1<<30), 0))
	}
	if info.Kind != KindNotification || data[0] != '*' && data[0] != '>' {
		return SubNone, 0
	}
	return subWordOf(info.Method), 0
}

// Replies says which of a connection's Redis commands get a reply, as
// CLIENT REPLY sets it, and whether they are queued inside MULTI (where
// CLIENT REPLY is queued too, and runs with EXEC); the zero value is
// every one, outside MULTI.
type Replies uint8

const (
	// RepliesOn: every command gets its reply.
	RepliesOn Replies = iota
	// RepliesOff: none does (CLIENT REPLY OFF) until CLIENT REPLY ON.
	RepliesOff
	// RepliesSkip: the next command gets none (CLIENT REPLY SKIP).
	RepliesSkip
)

// The bits of Replies above its mode (On, Off, Skip).
const (
	repliesMode Replies = 3
	// repliesMulti: inside MULTI, commands are queued, each answered
	// by +QUEUED (or an error) when replies are on.
	repliesMulti Replies = 4
	// The CLIENT REPLY commands queued, as the mode they leave after
	// EXEC: repliesQueuedOn or repliesQueuedOff, the last ON or OFF,
	// and repliesQueuedSkip, a SKIP (which ON does not undo).
	repliesQueuedOn   Replies = 8
	repliesQueuedOff  Replies = 16
	repliesQueuedSkip Replies = 32
)

// clientReply returns the mode a CLIENT REPLY command sets, and false for
// any other command.
func clientReply(data []byte, info *Info) (Replies, bool) {
	if string(info.Method) != "CLIENT" {
		return 0, false
	}
	if args := RESPArgs(data); len(args) == 3 && bytes.EqualFold(args[1], []byte("REPLY")) {
		switch {
		case bytes.EqualFold(args[2], []byte("ON")):
			return RepliesOn, true
		case bytes.EqualFold(args[2], []byte("OFF")):
			return RepliesOff, true
		case bytes.EqualFold(args[2], []byte("SKIP")):
			return RepliesSkip, true
		}
	}
	return 0, false
}

// RESPReplies says whether a Redis command, data classified as info, gets
// a reply on a connection whose replies are r, and what they are after
// it: CLIENT REPLY OFF and SKIP get none (the command after SKIP none
// either), ON gets its +OK whatever r was, RESET its +RESET (and turns
// replies on, MULTI off). Inside MULTI every command but EXEC, DISCARD,
// MULTI, WATCH, QUIT and RESET is queued and answered (+QUEUED) when
// replies are on, a CLIENT REPLY too: it takes effect after EXEC's reply
// (Redis runs it inside EXEC, whose array then lacks the replies it
// silenced), and DISCARD drops it.
func RESPReplies(data []byte, info *Info, r Replies) (answered bool, next Replies) {
	mode, multi := r&repliesMode, r&repliesMulti != 0
	answered = mode == RepliesOn
	if mode == RepliesSkip {
		mode = RepliesOn // the skipped command was this one
	}
	switch string(info.Method) {
	case "RESET":
		return true, RepliesOn
	case "MULTI":
		return answered, mode | repliesMulti | r&^(repliesMode|repliesMulti)
	case "EXEC":
		if !multi {
			return answered, mode
		}
		switch {
		case r&repliesQueuedOff != 0 || mode == RepliesOff && r&repliesQueuedOn == 0:
			return answered, RepliesOff
		case r&repliesQueuedSkip != 0:
			return answered, RepliesSkip
		}
		return answered, RepliesOn
	case "DISCARD":
		return answered, mode
	case "WATCH", "QUIT":
		return answered, mode | r&^repliesMode
	}
	set, ok := clientReply(data, info)
	if multi {
		if ok {
			// Queued: what it leaves after EXEC, from the mode then.
			off := r&repliesQueuedOff != 0 || mode == RepliesOff && r&repliesQueuedOn == 0
			switch set {
			case RepliesOn:
				r = r&^repliesQueuedOff | repliesQueuedOn
			case RepliesOff:
				r = r&^repliesQueuedOn | repliesQueuedOff
			case RepliesSkip:
				if !off {
					r |= repliesQueuedSkip
				}
			}
		}
		return answered, mode | r&^repliesMode
	}
	if ok {
		switch set {
		case RepliesOn:
			return true, RepliesOn
		case RepliesOff:
			return false, RepliesOff
		}
		if r == RepliesOff {
			return false, RepliesOff
		}
		return false, RepliesSkip
	}
	return answered, mode
}

// RESPExecFailed returns the replies of a connection after an EXEC that
// failed, whose replies were r before it: none of the commands queued
// since MULTI ran, a CLIENT REPLY among them neither. (RESPReplies
// returns them as after an EXEC that ran its commands, as nearly every
// one does; an EXEC's reply says which it was: RESPExecRan.)
func RESPExecFailed(r Replies) Replies { return r & repliesMode }

// RESPExecRan reports whether data, the reply to an EXEC, says that it
// ran the commands queued since MULTI: an array, not an error
// (-EXECABORT: a command was refused while queued) nor a null array (a
// key WATCH named changed: RESP2's *-1, RESP3's _).
func RESPExecRan(data []byte, info *Info) bool {
	if info.IsError || len(data) == 0 {
		return false
	}
	switch {
	case data[0] == '_', bytes.HasPrefix(data, []byte("*-1\r")):
		return false
	}
	return data[0] == '*'
}

// Replication says where a Redis connection is in replication: a replica
// (or redis-cli --rdb or --replica) asks with SYNC or PSYNC, and what
// answers it (+FULLRESYNC or +CONTINUE to PSYNC, the snapshot itself to
// SYNC) starts a stream: the snapshot, then the commands the master runs
// one way and REPLCONF ACK the other, none of them answered. The zero
// value is a connection that did not ask.
type Replication uint8

const (
	// ReplNone: no SYNC or PSYNC was sent.
	ReplNone Replication = iota
	// ReplAsked: SYNC or PSYNC was sent, and is not answered yet.
	ReplAsked
	// ReplStream: the connection is a replication stream.
	ReplStream
)

// RESPReplication classifies again a Redis message, data classified as
// info that travelled in dir, on a connection in replication state r, and
// returns the state after it: once the stream began, every message is a
// notification (a command the master sends named as a command is). Asked,
// the connection's messages are what they are until the reply paired
// with the SYNC or PSYNC (RESPSyncAnswered): the replies to the commands
// before it come first, and they are not one a command (a SUBSCRIBE's
// confirmations, pub/sub messages).
func RESPReplication(data []byte, dir Dir, info *Info, r Replication) Replication {
	switch r {
	case ReplNone:
		if dir == C2S && info.Kind == KindRequest && (string(info.Method) == "SYNC" || string(info.Method) == "PSYNC") {
			return ReplAsked
		}
		return r
	case ReplAsked:
		return r
	}
	if dir == S2C && len(data) > 0 && data[0] == '*' {
		info.Method = commandName(respFirst(data))
	}
	info.Kind, info.IsError = KindNotification, false
	return r
}

// RESPSyncAnswered returns the replication state of a connection whose
// SYNC or PSYNC got the reply classified as info: a stream, or none if it
// was refused.
func RESPSyncAnswered(info *Info) Replication {
	if info.IsError {
		return ReplNone
	}
	return ReplStream
}

// isPubSubMessage reports whether an array a server sent, starting with
// name, is a pub/sub message or confirmation.
func isPubSubMessage(name []byte) bool {
	switch string(name) {
	case "message", "pmessage", "smessage":
		return true
	}
	return subWordOf(name) != SubNone
}
