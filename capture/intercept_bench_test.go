package capture

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"sockscope/event"
	"sockscope/protocol"
	"sockscope/proxy"
)

// Frame-aware forwarding through the interceptor's verdict, beside
// proxy's BenchmarkRelayFramed*: without rules (as once sockscope has sent
// on a connection), and with rules that match nothing (each frame is
// classified and tested against every rule).
func BenchmarkInterceptNoRules64B(b *testing.B) { benchIntercept(b, 64, nil) }
func BenchmarkInterceptNoRules16K(b *testing.B) { benchIntercept(b, 16<<10, nil) }
func BenchmarkInterceptMiss64B(b *testing.B)    { benchIntercept(b, 64, missRules) }
func BenchmarkInterceptMiss16K(b *testing.B)    { benchIntercept(b, 16<<10, missRules) }

var missRules = []string{"method:nothing drop", "dir:s2c kind:response status:error delay:1s", "id:999999999 error:-1:x"}

// benchIntercept pipelines b.N JSON-RPC requests of size bytes through a
// relay to an echo server, both directions frame-aware through the
// Engine's verdict with rules.
func benchIntercept(b *testing.B, size int, rules []string) {
	var ic Intercept
	for _, spec := range rules {
		r, err := ParseRule("", spec)
		if err != nil {
			b.Fatal(err)
		}
		ic.Rules = append(ic.Rules, r)
	}
	e, err := New(Config{Intercept: ic})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	up := filepath.Join(dir, "up.sock")
	uln, err := net.Listen("unix", up)
	if err != nil {
		b.Fatal(err)
	}
	defer uln.Close()
	go func() {
		for {
			c, err := uln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	ln, err := net.Listen("unix", filepath.Join(dir, "front.sock"))
	if err != nil {
		b.Fatal(err)
	}
	q := event.NewQueue(0, false)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		var evs []event.Event
		for ok := true; ok; {
			evs, ok = q.Take(evs[:0])
		}
	}()
	src := NewRelay(ln, proxy.Addr{Network: "unix", Address: up})
	src.r.Queue = q
	src.r.Prepare = func(c *proxy.Conn) {
		tbl := src.table(c.ID(), e.cfg.IDFields)
		for _, d := range []protocol.Dir{protocol.C2S, protocol.S2C} {
			c.SetFraming(d, protocol.FramingLines, e.verdictFor(c, d, tbl), nil, 0)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { src.r.Serve(ctx); close(served) }()
	c, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	head := `{"jsonrpc":"2.0","id":1,"method":"textDocument/hover","params":"`
	msg := []byte(head + strings.Repeat("x", max(size-len(head)-3, 0)) + `"}` + "\n")
	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	go func() {
		for range b.N {
			if _, err := c.Write(msg); err != nil {
				return
			}
		}
	}()
	if _, err := io.CopyN(io.Discard, c, int64(b.N*len(msg))); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	c.Close()
	cancel()
	<-served
	q.Close()
	<-drained
	if ev, _ := q.Dropped(); ev > 0 {
		b.ReportMetric(float64(ev), "dropped")
	}
	if rs := e.Rules(); len(rs) > 0 && rs[0].Matched != 0 {
		b.Fatal(fmt.Sprintf("a rule matched: %+v", rs[0]))
	}
}
