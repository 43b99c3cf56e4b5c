package replay

import (
	"strconv"
	"testing"
)

// A replay stopped early says how many it compared of all it was to: the
// plan counts, not only the requests sent. An error counts as failing, a
// request unanswered when recorded as reported, not failed.
func TestLiveStatusCountsThePlan(t *testing.T) {
	l := NewLive("seed.jsonl", "unix:/tmp/s.sock", Ignore{}, nil)
	l.Plan(12)
	for i := 1; i <= 6; i++ {
		id := strconv.Itoa(i)
		l.Expect(1, id)
		c := Compared{Conn: 1, ID: id}
		switch i {
		case 5:
			c.Verdict = Error
		case 6:
			c.Verdict = Unanswered
		}
		l.Record(c)
	}
	l.Finish()
	if st := l.Status(); st.Expected != 12 || st.Compared != 6 || st.Differ != 1 || st.Races != 1 {
		t.Errorf("status %+v, want 6 of 12 compared, 1 differing, 1 reported", st)
	}
}
