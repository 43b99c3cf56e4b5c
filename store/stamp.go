package store

import (
	"math"
	"time"
	"unsafe"
)

// noTime stamps the zero time.
const noTime = math.MinInt64

// A stamp is a time as nanoseconds since the store's epoch: measured on the
// monotonic clock when the time has a reading (so latencies stay right when
// the wall clock steps), on the wall clock otherwise; noTime for the zero
// time. Every message and row is stamped, most with a time of its own, so
// stamp reads the time's representation directly (a few instructions)
// instead of through time's methods (Round(0) to tell a monotonic reading,
// Unix, Nanosecond, Sub: a hundred). TestStampMatchesTime holds it to what
// those methods say, on this Go version's representation.

// timeRep is the representation of a time.Time: see the time package.
type timeRep struct {
	wall uint64 // hasMono, then 33 bits of seconds since 1885 and 30 of nanoseconds; or 30 bits of nanoseconds alone
	ext  int64  // monotonic nanoseconds with hasMono; seconds since year 1 without
	loc  *time.Location
}

const (
	hasMono  = 1 << 63
	nsecMask = 1<<30 - 1
	// unixToInternal is the Unix time of year 1 January 1st, negated.
	unixToInternal = (1969*365 + 1969/4 - 1969/100 + 1969/400) * 86400
)

// The check that time.Time is laid out as timeRep (TestStampMatchesTime
// checks the meaning of the fields).
var _ [unsafe.Sizeof(time.Time{}) - unsafe.Sizeof(timeRep{})]byte
var _ [unsafe.Sizeof(timeRep{}) - unsafe.Sizeof(time.Time{})]byte
var _ [unsafe.Sizeof(timeKey{}) - unsafe.Sizeof(time.Time{})]byte

func repOf(t *time.Time) *timeRep { return (*timeRep)(unsafe.Pointer(t)) }

// clock is what stamp needs of the epoch.
type clock struct {
	mono   uint64 // hasMono if the epoch has a monotonic reading (time.Now's always has), else 0
	monoAt int64  // the epoch's monotonic reading
	sec    int64  // its seconds since year 1
	nsec   int64  // and nanoseconds
}

func clockFrom(epoch time.Time) clock {
	r := repOf(&epoch)
	return clock{mono: r.wall & hasMono, monoAt: r.ext, sec: epoch.Unix() + unixToInternal,
		nsec: int64(epoch.Nanosecond())}
}

// stamp returns *t's stamp; s.lastT.utc then says whether *t was in UTC
// (read it in a statement after the call's: Go leaves a call and a field
// read of one statement unordered).
// The frames of one read share their time (and a request's row its
// message's), so most times are the one stamped last: stamp inlines the
// check for it (one result, to stay within the inlining budget), and
// newStamp, a call, computes the others.
func (s *Store) stamp(t *time.Time) int64 {
	if *(*timeKey)(unsafe.Pointer(t)) != s.lastT.key {
		return s.newStamp(t)
	}
	return s.lastT.at
}

// Stamp returns *t as the store reads times: nanoseconds since its epoch,
// on the monotonic clock when *t has a reading. Within one store, stamps
// order as the times do (the zero time's below every other), so a caller
// can keep a stamp, a number, where a time.Time (which holds a pointer, its
// location) would cost a write barrier's check and a typed copy. Stamping
// the time stamped last (a message's, just stored) costs a comparison.
func (tx *Tx) Stamp(t *time.Time) int64 { return tx.s.stamp(t) }

// timeKey is a time's representation with its location as a number: kept,
// it costs no write barrier, and a location freed and another allocated at
// its address changes nothing (neither is UTC, and the stamp is of wall and
// ext alone).
type timeKey struct {
	wall uint64
	ext  int64
	loc  uintptr
}

// lastStamp is the time stamped last, its stamp, and whether it was in UTC.
type lastStamp struct {
	key timeKey
	at  int64
	utc bool
}

// newStamp is stamp of a time other than the last one, which it becomes.
func (s *Store) newStamp(t *time.Time) int64 {
	r, c := repOf(t), &s.clock
	var at int64
	var utc bool
	if r.wall&c.mono != 0 {
		at, utc = r.ext-c.monoAt, r.loc == nil
	} else if d := r.ext - c.sec; r.wall&hasMono == 0 && d > -1<<32 && d < 1<<32 {
		at, utc = d*int64(time.Second)+int64(r.wall&nsecMask)-c.nsec, r.loc == nil || r.loc == time.UTC
	} else {
		at, utc = s.slowStamp(*t)
	}
	l := &s.lastT
	l.key.wall, l.key.ext, l.key.loc = r.wall, r.ext, uintptr(unsafe.Pointer(r.loc))
	l.at, l.utc = at, utc
	return at
}

// slowStamp is stamp of a time far from the epoch (the zero time is), or
// of any time if the epoch has no monotonic reading, through time's
// methods.
func (s *Store) slowStamp(t time.Time) (int64, bool) {
	if t.IsZero() {
		return noTime, false
	}
	// Sub saturates ~292 years away; keep the far past off the sentinel.
	return max(int64(t.Sub(s.epoch)), noTime+1), t.Location() == time.UTC
}

// unstamp returns the time stamp encodes: in UTC when it was, otherwise in
// local time.
func (s *Store) unstamp(n int64, utc bool) time.Time {
	if n == noTime {
		return time.Time{}
	}
	t := s.epoch.Add(time.Duration(n))
	if utc {
		return t.UTC()
	}
	return t
}
