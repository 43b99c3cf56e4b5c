package demo

import (
	"context"
	"encoding/json"
	"net"
	"sync"
	"testing"
	"time"
)

func unixDialer(path string) func(ctx context.Context) (net.Conn, error) {
	return func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}
}

// TestRunClientsAgainstServe runs the demo clients against the demo service
// and checks every call is reported once with the reply the service gives
// that method.
func TestRunClientsAgainstServe(t *testing.T) {
	path := startServer(t)
	var (
		mu      sync.Mutex
		results []Result
	)
	opts := ClientOptions{
		Clients:  3,
		Interval: 5 * time.Millisecond,
		Calls:    40,
		OnResult: func(r Result) {
			mu.Lock()
			results = append(results, r)
			mu.Unlock()
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := RunClients(ctx, unixDialer(path), opts); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("RunClients only returned at the deadline")
	}

	calls, unmatched := 0, 0
	seen := map[[3]int64]bool{} // client, connection-local rid, sent time
	for _, r := range results {
		if r.Rid == 0 {
			unmatched++
			if string(r.Reply) != "{}" {
				t.Errorf("unmatched message %s, want {}", r.Reply)
			}
			continue
		}
		calls++
		key := [3]int64{int64(r.Client), r.Rid, r.Sent.UnixNano()}
		if seen[key] {
			t.Errorf("call reported twice: %+v", r)
		}
		seen[key] = true
		checkResult(t, r)
	}
	if want := opts.Clients * opts.Calls; calls != want {
		t.Errorf("%d calls reported, want %d", calls, want)
	}
	t.Logf("%d calls, %d unmatched {} messages", calls, unmatched)
}

// checkResult checks one call's outcome against what the service does.
func checkResult(t *testing.T, r Result) {
	t.Helper()
	var m struct {
		Success *bool
		Rid     int64
		Data    json.RawMessage
		Error   *string
	}
	if r.Reply != nil {
		if err := json.Unmarshal(r.Reply, &m); err != nil {
			t.Errorf("%s reply %s: %v", r.Method, r.Reply, err)
			return
		}
		if m.Rid != r.Rid || m.Success == nil {
			t.Errorf("%s rid %d: reply %s", r.Method, r.Rid, r.Reply)
			return
		}
	}
	switch r.Method {
	case "boom", "never", "crash":
		if r.Reply != nil {
			t.Errorf("%s answered: %s", r.Method, r.Reply)
		}
	case UnknownMethod:
		if r.Reply != nil && (*m.Success || m.Error != nil || m.Data != nil) {
			t.Errorf("unknown method reply %s", r.Reply)
		}
	case "add":
		if r.Reply != nil && !*m.Success && (m.Error == nil || *m.Error == "") {
			t.Errorf("add failed without an error: %s", r.Reply)
		}
	case "echo", "time", "slow":
		if r.Reply != nil && !*m.Success {
			t.Errorf("%s failed: %s", r.Method, r.Reply)
		}
	default:
		t.Errorf("unexpected method %q", r.Method)
	}
}

// TestRunClientsStopsOnCancel checks that continuous clients end when the
// context does, and that calls with replies were made meanwhile.
func TestRunClientsStopsOnCancel(t *testing.T) {
	path := startServer(t)
	var (
		mu       sync.Mutex
		answered int
	)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- RunClients(ctx, unixDialer(path), ClientOptions{
			Clients:  2,
			Interval: 10 * time.Millisecond,
			OnResult: func(r Result) {
				if r.Reply != nil && r.Rid != 0 {
					mu.Lock()
					answered++
					mu.Unlock()
				}
			},
		})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := answered
		mu.Unlock()
		if n >= 10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d answered calls", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("RunClients = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunClients did not return after cancel")
	}
}

// TestRunClientsGivesUpWithoutService checks a client reports an error when
// nothing listens.
func TestRunClientsGivesUpWithoutService(t *testing.T) {
	if testing.Short() {
		t.Skip("takes several seconds of dial retries")
	}
	dial := func(ctx context.Context) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Err: context.DeadlineExceeded}
	}
	err := RunClients(context.Background(), dial, ClientOptions{Clients: 1, Calls: 1})
	if err == nil {
		t.Fatal("RunClients = nil with no service")
	}
}
