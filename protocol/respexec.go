package protocol

import "bytes"

// An EXEC's reply that CLIENT REPLY cut short. Redis writes EXEC's array
// header with one element per queued command before it runs them, then
// leaves out the replies CLIENT REPLY silences as they run: a queued
// CLIENT REPLY OFF or SKIP (which never reply), and every command after
// an OFF until an ON. So "MULTI, CLIENT REPLY OFF, EXEC" is answered
// "*1\r\n" and nothing more, and the next value on the wire (the +OK of a
// later CLIENT REPLY ON) is not the array's element. The framer of the
// commands notes, for each EXEC, how many commands it runs and how many of
// their replies are silenced (execNote, on the link); the framer of the
// replies takes the array that answers it as that many elements shorter.
//
// It finds that array by what comes before it: one +QUEUED a command
// queued (errors refusing MULTI or WATCH inside it may come between), so
// an EXEC's array of n elements follows n of them; -EXECABORT, or a null
// array (a WATCHed key changed), answers one that ran nothing.
//
// The commands normally reach the observer before their replies, which
// the framers rely on; a reply framed before its EXEC (the two directions
// are read in parallel) is framed as Redis's header says, as it was.

// respCmdMax is the length of the longest command, as an array, that
// matters outside MULTI: "*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n".
const respCmdMax = 37

// maxExecNotes bounds the EXECs a link remembers whose replies are not
// framed yet.
const maxExecNotes = 64

// respCmds is what a RESP framer that frames commands knows of them for
// the replies: whether CLIENT REPLY OFF is on (when it is, EXEC's header
// is not sent), and inside MULTI the commands queued, and how many of
// their replies EXEC will leave out.
type respCmds struct {
	off bool // CLIENT REPLY OFF is on (an EXEC taken as run until its reply says otherwise)
	// gen counts the changes of off: an EXEC that failed (its note's)
	// gives off back only if it was the last.
	gen      uint32
	multi    bool // inside MULTI
	queued   int  // commands queued since MULTI
	silenced int  // ... whose replies EXEC's array will lack
	offRun   bool // OFF as they will run, so far, from replies on
	set      int8 // the last CLIENT REPLY ON (1) or OFF (-1) queued; 0: none
}

// execNote is an EXEC framed by from: it runs n commands, whose replies
// lack silenced of them. Had it failed, off would have stayed offBefore
// (respCmds.gen was gen after it).
type execNote struct {
	from        *respFramer
	n, silenced int
	offBefore   bool
	gen         uint32
}

// noteExec notes an EXEC.
func (l *httpLink) noteExec(e execNote) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.execs) >= maxExecNotes {
		l.execs = append(l.execs[:0], l.execs[1:]...)
	}
	l.execs = append(l.execs, e)
}

// failedExec returns the note of the last EXEC of r's that failed since
// the last call, if any.
func (l *httpLink) failedExec(r *respFramer) (execNote, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.failed
	if e.from != r {
		return execNote{}, false
	}
	l.failed = execNote{}
	return e, true
}

// execReply takes the note of the EXEC whose reply r begins: an array of
// n elements (n < 0: an EXEC that ran nothing, the oldest note), and
// returns how many of them are silenced. Older notes, of EXECs whose
// replies were not recognised, are dropped with it.
func (l *httpLink) execReply(r *respFramer, n int64) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, e := range l.execs {
		if e.from == r || n >= 0 && int64(e.n) != n {
			continue
		}
		l.execs = append(l.execs[:0], l.execs[i+1:]...)
		if n < 0 {
			l.failed = e // it ran nothing, CLIENT REPLY neither
			return 0
		}
		return e.silenced
	}
	return 0
}

// respQueued is the reply to a command queued inside MULTI.
const respQueued = "+QUEUED\r\n"

// framed notes what the frame ending at offset end of chunk means for the
// other direction: a command (SYNC, MULTI and what is queued in it,
// EXEC, CLIENT REPLY) or, for the replies, how many +QUEUED came last.
// It is called for every frame of a linked framer: the common case (a
// reply, a command of no interest) is a few comparisons.
func (r *respFramer) framed(chunk []byte, end int) {
	n := r.g.size + end - r.g.start
	switch r.top {
	case '*':
		if r.replies {
			r.queued = 0
			var b [respPubSubHead]byte
			if isPubSubMessage(respFirst(r.g.head(b[:], chunk, end))) {
				r.began-- // a confirmation or a message, no command's reply (asked)
			}
			return
		}
	case '+':
		r.replies = true
		if n == len(respQueued) && string(r.g.view(chunk, end)) == respQueued {
			r.queued++
		} else {
			r.queued = 0
		}
		return
	case '-', '!', '>':
		r.replies = true // errors keep the run of +QUEUED (MULTI, WATCH refused inside it); pushes come between anything
		return
	case '$', ':', '_', ',', '#', '(', '=', '~', '%', '|':
		r.replies, r.queued = true, 0
		return
	}
	if r.replies {
		return
	}
	counted := !r.cmd.off && !r.skipNext
	if counted && (r.cmd.multi || !r.pubSub(chunk, end)) {
		r.asked++ // its reply comes before the next command's
	}
	r.skipNext = false
	if !r.cmd.multi && n > respCmdMax {
		return
	}
	r.command(r.g.view(chunk, end), n, counted)
}

// respPubSubHead is how much of a frame's start says whether it is a
// pub/sub command, confirmation or message: "*3\r\n$12\r\npunsubscribe\r\n"
// and then some.
const respPubSubHead = 32

// pubSub reports whether the command ending at offset end of chunk is a
// pub/sub one, answered by confirmations (but inside MULTI, by +QUEUED).
func (r *respFramer) pubSub(chunk []byte, end int) bool {
	var b [respPubSubHead]byte
	return subWordOf(respWord(r.g.head(b[:], chunk, end))) != SubNone
}

// command notes command p (of n bytes), a whole frame; counted says
// framed counted it in asked (it gets a reply).
func (r *respFramer) command(p []byte, n int, counted bool) {
	if n <= syncLen && isSync(p) {
		owed := r.asked
		if counted {
			owed-- // SYNC's own
		}
		r.link.sync.Store(&syncNote{from: r, owed: owed}) // its answer may be a snapshot
		return
	}
	c := &r.cmd
	w := respWord(p)
	if !c.multi {
		switch {
		case len(w) == 5 && bytes.EqualFold(w, []byte("MULTI")):
			*c = respCmds{off: c.off, gen: c.gen, multi: true}
		case len(w) == 5 && bytes.EqualFold(w, []byte("RESET")):
			c.off, c.gen = false, c.gen+1
		case len(w) == 6 && bytes.EqualFold(w, []byte("CLIENT")):
			switch clientReplyOf(p) {
			case "ON":
				c.off, c.gen = false, c.gen+1
			case "OFF":
				c.off, c.gen = true, c.gen+1
				if counted {
					r.asked-- // it has no reply
				}
			case "SKIP":
				if counted {
					r.asked-- // no reply, nor the next command
					r.skipNext = true
				}
			}
		}
		return
	}
	switch {
	case bytes.EqualFold(w, []byte("EXEC")):
		if e, ok := r.link.failedExec(r); ok && e.gen == c.gen {
			c.off = e.offBefore // the EXEC that set it ran nothing
		}
		e := execNote{from: r, n: c.queued, silenced: c.silenced, offBefore: c.off}
		if c.set != 0 {
			c.off = c.set < 0
		}
		c.multi, c.gen = false, c.gen+1
		if !e.offBefore && e.n > 0 { // with OFF on, no header is sent
			e.gen = c.gen
			r.link.noteExec(e)
		}
	case bytes.EqualFold(w, []byte("DISCARD")):
		c.multi = false
	case bytes.EqualFold(w, []byte("RESET")):
		c.multi, c.off, c.gen = false, false, c.gen+1
	case bytes.EqualFold(w, []byte("MULTI")), bytes.EqualFold(w, []byte("WATCH")), bytes.EqualFold(w, []byte("QUIT")):
		// Not queued: refused inside MULTI (QUIT closes).
	default:
		c.queued++
		reply := ""
		if len(w) == 6 && bytes.EqualFold(w, []byte("CLIENT")) {
			reply = clientReplyOf(p)
		}
		switch {
		case reply == "ON":
			c.offRun, c.set = false, 1
		case reply == "OFF":
			c.offRun, c.set = true, -1
			c.silenced++
		case reply == "SKIP" || c.offRun:
			c.silenced++ // SKIP has no reply, and takes effect after EXEC
		}
	}
}

// respWord returns the first word of command p: an array's first bulk
// string, or an inline command's first word.
func respWord(p []byte) []byte {
	if len(p) == 0 || p[0] != '*' {
		p = bytes.TrimLeft(p, " \t")
		if i := bytes.IndexAny(p, " \t\r\n"); i >= 0 {
			p = p[:i]
		}
		return p
	}
	i := bytes.IndexByte(p, '\n')
	if i < 0 || i+1 >= len(p) || p[i+1] != '$' {
		return nil
	}
	j, size := i+2, 0
	for ; j < len(p) && p[j] >= '0' && p[j] <= '9' && size < 1<<20; j++ {
		size = size*10 + int(p[j]-'0')
	}
	if j+2+size > len(p) || p[j] != '\r' || p[j+1] != '\n' {
		return nil
	}
	return p[j+2 : j+2+size]
}

// clientReplyOf returns the mode a CLIENT command p sets ("ON", "OFF",
// "SKIP"), "" when it is no CLIENT REPLY.
func clientReplyOf(p []byte) string {
	if len(p) > 64 {
		return ""
	}
	args := RESPArgs(p)
	if len(args) != 3 || !bytes.EqualFold(args[1], []byte("REPLY")) {
		return ""
	}
	for _, m := range []string{"ON", "OFF", "SKIP"} {
		if bytes.EqualFold(args[2], []byte(m)) {
			return m
		}
	}
	return ""
}

// execShort returns how many elements fewer the array starting a frame,
// whose header says n, has than that: the replies of EXEC's commands that
// CLIENT REPLY silenced, when it follows n +QUEUED. A null array after
// them answers an EXEC that ran nothing.
func (r *respFramer) execShort(n int64) int64 {
	switch {
	case n < 0:
		r.link.execReply(r, -1)
		return 0
	case n != int64(r.queued):
		return 0
	}
	return int64(min(r.link.execReply(r, n), int(n)))
}
