package observe

import "sockscope/protocol"

// execWait is a Redis EXEC whose reply says what the connection's replies
// are after it: a CLIENT REPLY queued since MULTI runs with the commands
// EXEC runs, and not when EXEC fails (-EXECABORT, or the null array of a
// changed WATCHed key: protocol.RESPExecRan). Until that reply comes, the
// commands the client sends after EXEC are held, copied, and classified
// and paired once it is known, in their order (their rows come after the
// reply's); at most maxHeld of them, or maxHeldBytes: past that, and when
// EXEC gets no reply, EXEC is taken to have run them, as nearly every one
// does.
type execWait struct {
	row    uint64           // EXEC's row (0 until it is added)
	dir    protocol.Dir     // the direction EXEC travelled
	failed protocol.Replies // the replies after EXEC if it fails
	held   []step           // the commands sent after it
	bytes  int
}

// Bounds of the commands an execWait holds.
const (
	maxHeld      = 256
	maxHeldBytes = 1 << 20
)

// hold keeps a copy of s, a command sent after EXEC, and reports whether
// there was room.
func (w *execWait) hold(s *step) bool {
	m := &s.msg
	n := len(m.Frame.Data) + len(m.Info.ID) + len(m.Info.Method)
	if len(w.held) >= maxHeld || w.bytes+n > maxHeldBytes {
		return false
	}
	h := *s
	buf := make([]byte, 0, n)
	keep := func(b []byte) []byte {
		if b == nil {
			return nil
		}
		i := len(buf)
		buf = append(buf, b...)
		return buf[i:len(buf):len(buf)]
	}
	h.msg.Frame.Data = keep(m.Frame.Data)
	h.msg.Info.ID, h.msg.Info.Method = keep(m.Info.ID), keep(m.Info.Method)
	w.held = append(w.held, h)
	w.bytes += n
	return true
}

// execDone ends c's wait for its EXEC's reply: with ran false, the
// commands queued since MULTI did not run, CLIENT REPLY among them, and
// the replies are as they were before EXEC. The commands held meanwhile
// are then classified and paired.
func (o *Observer) execDone(c *conn, ran bool) {
	w := c.exec
	c.exec = nil
	if !ran {
		c.replies = w.failed
	}
	if len(w.held) > 0 {
		o.frames(c, w.held, 0)
	}
}
