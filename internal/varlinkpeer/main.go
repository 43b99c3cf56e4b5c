// Command varlinkpeer is a varlink service and client built on
// github.com/varlink/go, the real peers of sockscope's varlink test:
//
//	varlinkpeer serve unix:PATH   serve org.sockscope.test
//	varlinkpeer call unix:PATH    call every method once; print "done"
//
// The interface: Ping echoes, Count streams n replies ("more"), Fail
// answers with an error, Note is called oneway and counted (Ping's notes
// says how many arrived).
package main

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"

	"github.com/varlink/go/varlink"
)

const description = `interface org.sockscope.test

method Ping(text: string) -> (text: string, notes: int)
method Count(n: int) -> (i: int)
method Fail() -> ()
method Note(text: string) -> ()

error Failed (why: string)
`

// test implements org.sockscope.test.
type test struct{ notes atomic.Int64 }

// VarlinkDispatch answers one call.
func (t *test) VarlinkDispatch(ctx context.Context, c varlink.Call, method string) error {
	var in struct {
		Text string `json:"text"`
		N    int    `json:"n"`
	}
	if err := c.GetParameters(&in); err != nil {
		return c.ReplyInvalidParameter(ctx, "parameters")
	}
	switch method {
	case "Ping":
		return c.Reply(ctx, map[string]any{"text": in.Text, "notes": t.notes.Load()})
	case "Count":
		for i := 1; i <= in.N; i++ {
			c.Continues = i < in.N && c.WantsMore()
			if err := c.Reply(ctx, map[string]int{"i": i}); err != nil {
				return err
			}
		}
		return nil
	case "Fail":
		return c.ReplyError(ctx, "org.sockscope.test.Failed", map[string]string{"why": "asked to"})
	case "Note":
		t.notes.Add(1)
		return c.Reply(ctx, struct{}{})
	}
	return c.ReplyMethodNotFound(ctx, method)
}

// VarlinkGetName names the interface.
func (*test) VarlinkGetName() string { return "org.sockscope.test" }

// VarlinkGetDescription describes it.
func (*test) VarlinkGetDescription() string { return description }

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: varlinkpeer serve|call unix:PATH")
		os.Exit(2)
	}
	ctx := context.Background()
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(ctx, os.Args[2])
	case "call":
		err = call(ctx, os.Args[2])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "varlinkpeer:", err)
		os.Exit(1)
	}
}

func serve(ctx context.Context, addr string) error {
	s, err := varlink.NewService("sockscope", "varlinkpeer", "1", "https://example.invalid")
	if err != nil {
		return err
	}
	if err := s.RegisterInterface(&test{}); err != nil {
		return err
	}
	return s.Listen(ctx, addr, 0)
}

func call(ctx context.Context, addr string) error {
	c, err := varlink.NewConnection(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	var pong struct {
		Text  string `json:"text"`
		Notes int    `json:"notes"`
	}
	if err := c.Call(ctx, "org.sockscope.test.Ping", map[string]string{"text": "héllo"}, &pong); err != nil {
		return err
	}
	fmt.Println("ping", pong.Text)
	recv, err := c.Send(ctx, "org.sockscope.test.Count", map[string]int{"n": 3}, varlink.More)
	if err != nil {
		return err
	}
	for {
		var out struct {
			I int `json:"i"`
		}
		flags, err := recv(ctx, &out)
		if err != nil {
			return err
		}
		fmt.Println("count", out.I)
		if flags&varlink.Continues == 0 {
			break
		}
	}
	err = c.Call(ctx, "org.sockscope.test.Fail", struct{}{}, nil)
	if e, ok := err.(*varlink.Error); !ok || e.Name != "org.sockscope.test.Failed" {
		return fmt.Errorf("Fail: %v", err)
	}
	fmt.Println("failed as asked")
	if _, err := c.Send(ctx, "org.sockscope.test.Note", map[string]string{"text": "fire and forget"}, varlink.Oneway); err != nil {
		return err
	}
	if err := c.Call(ctx, "org.sockscope.test.Ping", map[string]string{"text": "again"}, &pong); err != nil {
		return err
	}
	fmt.Println("notes", pong.Notes)
	fmt.Println("done")
	return nil
}
