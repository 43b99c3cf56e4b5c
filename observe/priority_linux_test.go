package observe

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sockscope/event"
	"sockscope/protocol"
	"sockscope/store"
)

// idleThreads returns the ids of this process's threads in SCHED_IDLE
// (policy 5, the 41st field of /proc/self/task/TID/stat).
func idleThreads(t *testing.T) []string {
	t.Helper()
	stats, err := filepath.Glob("/proc/self/task/*/stat")
	if err != nil {
		t.Fatal(err)
	}
	var idle []string
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread ended
		}
		// The command name, in parentheses, may hold spaces: count fields
		// from after it (field 3 on).
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 41-3 && f[41-3] == "5" {
			idle = append(idle, filepath.Base(filepath.Dir(p)))
		}
	}
	return idle
}

// TestRunDecodesAtIdlePriority: with SOCKSCOPE_DECODER_PRIORITY=idle,
// while Run runs, one thread of the process is in SCHED_IDLE and decodes
// what the queue carries; once Run returns, that thread is gone (no other
// goroutine ever runs at its priority).
func TestRunDecodesAtIdlePriority(t *testing.T) {
	t.Setenv("SOCKSCOPE_DECODER_PRIORITY", "idle")
	if n := idleThreads(t); len(n) != 0 {
		t.Fatalf("threads %v in SCHED_IDLE before Run", n)
	}
	q := event.NewQueue(0, false)
	st := store.New(store.Config{})
	o := New(Config{Store: st, Yield: true})
	done := startRun(o, q)
	t0 := time.Now()
	q.Put(event.Event{Type: event.Open, Conn: 1, At: t0, Peer: &event.Peer{PID: -1, UID: -1}})
	q.Put(event.Event{Type: event.Data, Conn: 1, Dir: protocol.C2S, At: t0, Data: []byte(`{"id":1,"method":"m"}` + "\n")})
	for st.Totals().Messages == 0 || len(idleThreads(t)) == 0 {
		select {
		case <-done:
			t.Fatal("Run returned")
		case <-time.After(time.Millisecond):
		}
		if time.Since(t0) > time.Minute {
			t.Fatalf("after a minute: %d messages decoded, idle threads %v", st.Totals().Messages, idleThreads(t))
		}
	}
	if n := idleThreads(t); len(n) != 1 {
		t.Errorf("threads %v in SCHED_IDLE, want one", n)
	}
	q.Close()
	<-done
	for len(idleThreads(t)) > 0 {
		if time.Since(t0) > time.Minute {
			t.Fatalf("threads %v still in SCHED_IDLE after Run returned", idleThreads(t))
		}
		time.Sleep(time.Millisecond)
	}
}
