//go:build unix

package split

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"testing"
	"time"

	"sockscope/capture"
	"sockscope/protocol"
)

// fakeIC is an interceptor that notes each call with its arguments and
// answers with fixed values, or with err.
type fakeIC struct {
	calls []string
	err   error
}

var (
	fakeHeld = []capture.Held{{ID: 7, Conn: 2, Dir: protocol.S2C, Since: time.Unix(1, 5).UTC(), Rule: "r1",
		Payload: []byte(`{"id":1}`), Info: protocol.Info{Kind: protocol.KindResponse, ID: []byte("1")}}}
	fakeRule = capture.Rule{Name: "r2", Match: "method:add", Action: "drop", Count: "once", Disabled: true, Matched: 3, Hits: 1}
)

func (f *fakeIC) note(format string, a ...any) { f.calls = append(f.calls, fmt.Sprintf(format, a...)) }

func (f *fakeIC) Held() []capture.Held           { f.note("Held"); return fakeHeld }
func (f *fakeIC) Forward(id uint64) error        { f.note("Forward %d", id); return f.err }
func (f *fakeIC) ForwardAll() int                { f.note("ForwardAll"); return 4 }
func (f *fakeIC) Drop(id uint64) error           { f.note("Drop %d", id); return f.err }
func (f *fakeIC) Edit(id uint64, p []byte) error { f.note("Edit %d %s", id, p); return f.err }
func (f *fakeIC) Fabricate(id uint64, r []byte) error {
	f.note("Fabricate %d %s", id, r)
	return f.err
}
func (f *fakeIC) ReplyTemplate(id uint64, failed bool) ([]byte, error) {
	f.note("ReplyTemplate %d %v", id, failed)
	return []byte(`{"result":null}`), f.err
}
func (f *fakeIC) Sticky(_ context.Context, id uint64, p []byte, fab bool) (capture.Rule, error) {
	f.note("Sticky %d %s %v", id, p, fab)
	return fakeRule, f.err
}
func (f *fakeIC) SetIntercept(_ context.Context, expr string, on bool) error {
	f.note("SetIntercept %s %v", expr, on)
	return f.err
}
func (f *fakeIC) Intercepting() (string, bool) { f.note("Intercepting"); return "dir:c2s", true }
func (f *fakeIC) Rules() []capture.Rule        { f.note("Rules"); return []capture.Rule{fakeRule} }
func (f *fakeIC) AddRule(_ context.Context, spec string) (capture.Rule, error) {
	f.note("AddRule %s", spec)
	return fakeRule, f.err
}
func (f *fakeIC) EnableRule(_ context.Context, name string, on bool) error {
	f.note("EnableRule %s %v", name, on)
	return f.err
}
func (f *fakeIC) RemoveRule(name string) error { f.note("RemoveRule %s", name); return f.err }
func (f *fakeIC) Notices() []string            { f.note("Notices"); return []string{"a hold timed out"} }

// remoteTo is a Source whose link reaches ic, served as the relay's
// process serves its engine's.
func remoteTo(t *testing.T, ic capture.Interceptor) *Source {
	a, b := net.Pipe()
	served := newLink(b, func(m msg) msg {
		if a, ok := serveIntercept(ic, m); ok {
			return a
		}
		return unknown(m)
	})
	s := &Source{link: newLink(a, unknown)}
	t.Cleanup(func() { s.link.close(); served.close() })
	return s
}

// Every interceptor call reaches the relay's engine with its arguments,
// and brings back what it returns, values and errors alike.
func TestRemoteInterceptor(t *testing.T) {
	f := &fakeIC{}
	s := remoteTo(t, f)
	ctx := context.Background()
	if got := s.Held(); !reflect.DeepEqual(got, fakeHeld) {
		t.Errorf("Held: %+v, want %+v", got, fakeHeld)
	}
	s.Forward(1)
	if n := s.ForwardAll(); n != 4 {
		t.Errorf("ForwardAll: %d", n)
	}
	s.Drop(2)
	s.Edit(3, []byte(`{"a":1}`))
	s.Fabricate(4, []byte(`{"b":2}`))
	if b, err := s.ReplyTemplate(5, true); err != nil || string(b) != `{"result":null}` {
		t.Errorf("ReplyTemplate: %s, %v", b, err)
	}
	if r, err := s.Sticky(ctx, 6, []byte(`{"c":3}`), true); err != nil || r != fakeRule {
		t.Errorf("Sticky: %+v, %v", r, err)
	}
	s.SetIntercept(ctx, "method:x", true)
	if expr, on := s.Intercepting(); expr != "dir:c2s" || !on {
		t.Errorf("Intercepting: %q %v", expr, on)
	}
	if rs := s.Rules(); len(rs) != 1 || rs[0] != fakeRule {
		t.Errorf("Rules: %+v", rs)
	}
	if r, err := s.AddRule(ctx, "method:add drop once"); err != nil || r != fakeRule {
		t.Errorf("AddRule: %+v, %v", r, err)
	}
	s.EnableRule(ctx, "r2", false)
	s.RemoveRule("r3")
	if ns := s.Notices(); len(ns) != 1 || ns[0] != "a hold timed out" {
		t.Errorf("Notices: %q", ns)
	}
	want := []string{"Held", "Forward 1", "ForwardAll", "Drop 2", `Edit 3 {"a":1}`, `Fabricate 4 {"b":2}`,
		"ReplyTemplate 5 true", `Sticky 6 {"c":3} true`, "SetIntercept method:x true", "Intercepting", "Rules",
		"AddRule method:add drop once", "EnableRule r2 false", "RemoveRule r3", "Notices"}
	if !reflect.DeepEqual(f.calls, want) {
		t.Errorf("calls:\n%q\nwant\n%q", f.calls, want)
	}

	f.err = errors.New("no such hold")
	for name, err := range map[string]error{
		"Forward": s.Forward(1), "Drop": s.Drop(1), "Edit": s.Edit(1, nil), "Fabricate": s.Fabricate(1, nil),
		"SetIntercept": s.SetIntercept(ctx, "", false), "EnableRule": s.EnableRule(ctx, "r", true), "RemoveRule": s.RemoveRule("r"),
	} {
		if err == nil || err.Error() != "no such hold" {
			t.Errorf("%s: %v, want the engine's error", name, err)
		}
	}
	if _, err := s.AddRule(ctx, "x"); err == nil || err.Error() != "no such hold" {
		t.Errorf("AddRule: %v, want the engine's error", err)
	}
}

// What the relay's process warns of (Decoder.Warn) is the decoder's
// process's Source.Warning, for its UI's status bar, until it changes; a
// warning may come before the process is Ready.
func TestWarn(t *testing.T) {
	a, b := net.Pipe()
	s := &Source{}
	s.link = newLink(a, s.serve)
	d := &Decoder{link: newLink(b, unknown)}
	t.Cleanup(func() { s.link.close(); d.link.close() })
	if w := s.Warning(); w != "" {
		t.Fatalf("Warning before any: %q", w)
	}
	const text = "new clients bypass sockscope"
	if err := d.Warn(text); err != nil {
		t.Fatal(err)
	}
	if w := s.Warning(); w != text {
		t.Errorf("Warning: %q, want %q", w, text)
	}
	if err := d.Warn(""); err != nil || s.Warning() != "" {
		t.Errorf("Warn(\"\"): %v; Warning %q, want none", err, s.Warning())
	}
}
