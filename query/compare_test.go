package query

import (
	"testing"
	"time"

	"sockscope/store"
)

// status:differs, matches, race and compared test a replay's verdicts,
// beside the statuses; unbound, they match nothing; a pending verdict is
// undecided; WithConn keeps the binding.
func TestFilterCompare(t *testing.T) {
	verdicts := map[string]Compare{"1": CompareMatch, "2": CompareDiffers, "3": CompareRace, "4": ComparePending}
	rows := []store.Row{{Conn: 1, ID: "1"}, {Conn: 1, ID: "2"}, {Conn: 1, ID: "3"}, {Conn: 1, ID: "4"}, {Conn: 1, ID: "5"}}
	cmp := func(r *store.Row) Compare { return verdicts[r.ID] }
	for src, want := range map[string]string{
		"status:differs":         "2",
		"status:diff":            "2",
		"status:matches":         "1",
		"status:race,differs":    "23",
		"status:compared":        "123",
		"-status:differs":        "1345",
		"status:differs,ok":      "2",
		"status:ok,none,matches": "12345",
	} {
		q, err := Parse(src)
		if err != nil {
			t.Fatal(src, err)
		}
		if !q.NeedsCompare() {
			t.Errorf("%s: no verdict terms", src)
		}
		var unbound string
		for i := range rows {
			if q.MatchRow(nil, &rows[i], time.Now()) {
				unbound += rows[i].ID
			}
		}
		q = q.WithConn(0)
		q.BindCompare(cmp)
		q = q.WithConn(1)
		var got string
		for i := range rows {
			if q.MatchRow(nil, &rows[i], time.Now()) {
				got += rows[i].ID
			}
		}
		if got != want {
			t.Errorf("%s: rows %q, want %q", src, got, want)
		}
		if src == "status:differs" && unbound != "" {
			t.Errorf("%s unbound matched %q", src, unbound)
		}
		if !q.Undecided(&rows[3]) || q.Undecided(&rows[1]) {
			t.Errorf("%s: row 4 is pending, row 2 decided", src)
		}
	}
	if q, _ := Parse("status:ok"); q.NeedsCompare() {
		t.Error("status:ok has no verdict")
	}
}
