package capture

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"sockscope/protocol"
)

// mpServer serves msgpack-RPC on svc: each request [0,msgid,method,…] is
// answered [1,msgid,nil,method] at once, but for method "hold", answered
// only once the next request has come (then before it).
func mpServer(t *testing.T, svc string) {
	t.Helper()
	ln, err := net.Listen("unix", svc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				fr := protocol.NewFramer(protocol.FramingMsgpack, 1<<20)
				buf := make([]byte, 4096)
				var held []byte
				for {
					k, err := c.Read(buf)
					fr.Feed(buf[:k], func(f *protocol.Frame) {
						info := protocol.ClassifyAs(protocol.FramingMsgpack, f.Data, protocol.C2S, nil)
						reply, _ := protocol.EncodeView(protocol.FramingMsgpack, []byte(`[1,`+string(info.ID)+`,null,"`+string(info.Method)+`"]`))
						if string(info.Method) == "hold" {
							held = reply
							return
						}
						c.Write(append(held, reply...))
						held = nil
					})
					if err != nil {
						return
					}
				}
			}()
		}
	}()
}

// A msgpack-RPC request sockscope sends on a live connection gets a msgid
// of its own, and its reply is withheld; a client request that then comes
// with that same msgid, while sockscope's is in flight, is given another
// on its way, and its reply gets the client's back: the client sees only
// the replies to its own requests, each with its msgid.
func TestSendMsgpackRemapsCollidingMsgid(t *testing.T) {
	dir := shortTemp(t)
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	mpServer(t, svc)
	e := relayTo(t, Config{}, front, svc)
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	var got [][]byte
	fr := protocol.NewFramer(protocol.FramingMsgpack, 1<<20)
	buf := make([]byte, 4096)
	next := func() string {
		t.Helper()
		for len(got) == 0 {
			k, err := c.Read(buf)
			fr.Feed(buf[:k], func(f *protocol.Frame) { got = append(got, bytes.Clone(f.Data)) })
			if err != nil {
				t.Fatalf("the client read: %v", err)
			}
		}
		v, _ := protocol.AppendView(nil, protocol.FramingMsgpack, &protocol.Frame{Data: got[0]})
		got = got[1:]
		return string(v)
	}
	send := func(view string) {
		t.Helper()
		b, err := protocol.EncodeView(protocol.FramingMsgpack, []byte(view))
		if err != nil {
			t.Fatal(err)
		}
		c.Write(b)
	}
	send(`[0,1,"ping",[]]`)
	if v := next(); v != `[1,1,null,"ping"]` {
		t.Fatalf("ping: %s", v)
	}
	conn := answeredConn(t, e, "ping")
	sent, err := e.Send(context.Background(), conn, protocol.C2S, []byte(`[0,7,"hold",[]]`))
	if err != nil {
		t.Fatal(err)
	}
	if sent.WireID != "2147483646" {
		t.Fatalf("wire msgid %q", sent.WireID)
	}
	send(`[0,2147483646,"mine",[]]`) // sockscope's msgid, in flight
	if v := next(); v != `[1,2147483646,null,"mine"]` {
		t.Fatalf("the client got %s, want the reply to its own request (sockscope's withheld)", v)
	}
	if _, err := e.Send(context.Background(), conn, protocol.C2S, []byte(`[0,7,"hold"]`)); err == nil {
		t.Error("a view that is no msgpack-RPC message was sent")
	}
}
