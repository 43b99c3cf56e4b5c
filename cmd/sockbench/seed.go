//go:build unix

package main

import (
	"context"
	"net"
	"strconv"

	"sockscope/demo"
)

// demoConns is how many connections the demo scenario drives at once: as
// many as `sockscope demo` runs clients.
const demoConns = 3

// startDemo serves the demo's seed-protocol service on a unix socket at
// path; stop ends it.
func startDemo(path string) (stop func(), err error) {
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		demo.Serve(ctx, ln)
		close(done)
	}()
	return func() { cancel(); <-done }, nil
}

// appendAdd appends the seed request {"rid":ID,"method":"add","args":[ID,2]}
// and a newline: the demo service answers it at once, with
// {"success":true,"rid":ID,"data":ID+2}.
func appendAdd(b []byte, id int64) []byte {
	b = append(b, `{"rid":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"method":"add","args":[`...)
	b = strconv.AppendInt(b, id, 10)
	return append(b, ",2]}\n"...)
}
