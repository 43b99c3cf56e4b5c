package protocol

import (
	"bytes"
	"strconv"
	"time"
)

// Act is what sockscope did to a frame on its way, besides forwarding it
// as it was: the short flag the list shows beside a row's status.
type Act uint8

const (
	// ActNone: nothing; the frame went through as it was read.
	ActNone Act = iota
	// ActHeld: held by the intercept filter or a hold rule, then forwarded as it was.
	ActHeld
	// ActEdited: forwarded changed (by hand, or a set, garbage or truncate rule).
	ActEdited
	// ActDropped: not forwarded.
	ActDropped
	// ActFabricated: a reply sockscope made up, or the request it answered
	// (which never reached the other peer).
	ActFabricated
	// ActDelayed: forwarded late (delay, bandwidth or slice rule).
	ActDelayed
	// ActDuplicated: forwarded twice.
	ActDuplicated
	// ActClosed: the connection was ended at this frame (close or reset rule).
	ActClosed
	// ActTimeout: held until --hold-timeout, then forwarded as it was.
	ActTimeout
)

var actNames = [...]string{"", "held", "edit", "drop", "fab", "delay", "dup", "close", "timeout"}

// String returns the act's flag ("held", "edit", "drop", "fab", ...), ""
// for ActNone.
func (a Act) String() string {
	if int(a) < len(actNames) {
		return actNames[a]
	}
	return "act" + strconv.Itoa(int(a))
}

// ParseAct is the inverse of Act.String.
func ParseAct(s string) (Act, bool) {
	for i, n := range actNames {
		if n == s {
			return Act(i), true
		}
	}
	return ActNone, false
}

// Note says what sockscope did to one frame on its way, so that a
// recording says exactly what each peer received: the act, the rule that
// did it ("" by hand), how long it was held, and for an edit what changed.
type Note struct {
	Act  Act
	Rule string        // the rule's name; "" when the user did it
	Held time.Duration // how long the frame was held, if it was
	// Diff, for an edit, is what changed ("-old\n+new" lines, each cut
	// short past 2 KiB); for other acts, more words (a delay, why a hold
	// ended).
	Diff string
	// Was, for an edit, is the payload as its sender sent it, whole: what
	// replay expects of a server whose reply sockscope edited.
	Was []byte
}

// String describes the note in a line: "edit by rule r1 after 1.2s held".
func (n *Note) String() string {
	if n == nil {
		return ""
	}
	s := n.Act.String()
	switch {
	case n.Rule != "":
		s += " by rule " + n.Rule
	case n.byHand():
		s += " by hand"
	}
	if n.Held > 0 {
		s += ", held " + n.Held.Round(time.Millisecond).String()
	}
	return s
}

// byHand reports whether a note without a rule is of a user's act: not of
// a hold's own end (its timeout, its connection's close) nor of a frame
// not held, which say why in Diff.
func (n *Note) byHand() bool {
	switch n.Act {
	case ActEdited, ActFabricated:
		return true
	case ActHeld, ActDropped:
		return n.Diff == ""
	}
	return false
}

// AppendBinary appends n in the compact form the store keeps: act, held
// nanoseconds, rule and the length of Was, separated by NULs, then Was
// and Diff.
func (n *Note) AppendBinary(dst []byte) []byte {
	dst = append(dst, byte(n.Act))
	dst = strconv.AppendInt(dst, int64(n.Held), 10)
	dst = append(dst, 0)
	dst = append(dst, n.Rule...)
	dst = append(dst, 0)
	dst = strconv.AppendInt(dst, int64(len(n.Was)), 10)
	dst = append(dst, 0)
	dst = append(dst, n.Was...)
	return append(dst, n.Diff...)
}

// ParseNote reads what AppendBinary wrote; nil for an empty b.
func ParseNote(b []byte) *Note {
	if len(b) == 0 {
		return nil
	}
	n := &Note{Act: Act(b[0])}
	parts := bytes.SplitN(b[1:], []byte{0}, 4)
	if len(parts) == 4 {
		held, _ := strconv.ParseInt(string(parts[0]), 10, 64)
		was, _ := strconv.Atoi(string(parts[2]))
		rest := parts[3]
		was = min(max(was, 0), len(rest))
		n.Held, n.Rule, n.Diff = time.Duration(held), string(parts[1]), string(rest[was:])
		if was > 0 {
			n.Was = bytes.Clone(rest[:was])
		}
	}
	return n
}
