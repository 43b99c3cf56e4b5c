// Package winetest runs sockscope.exe between Windows named-pipe peers of
// its own under wine, in CI: the test builds them (pipepeer is the server
// and client), a stub bcryptprimitives.dll (stub/) for wine before 8.13,
// and a throwaway wine prefix. This file is the seed protocol both peers
// and the test agree on, byte for byte.
package winetest

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Register is the line the server sends first on every connection.
const Register = `{"action":"register","methods":["add","echo","bye"]}` + "\n"

// Request is the line a client sends as request rid (from 1): every third
// an echo of a string with multi-byte characters, the others an add.
func Request(rid int) string {
	if rid%3 == 0 {
		return fmt.Sprintf(`{"rid":%d,"method":"echo","args":[%q]}`+"\n", rid, echoArg(rid))
	}
	return fmt.Sprintf(`{"rid":%d,"method":"add","args":[%d,%d,%d]}`+"\n", rid, rid, 2*rid, 3*rid)
}

// Bye is the last request of a client: the server answers it and hangs up.
func Bye(rid int) string {
	return fmt.Sprintf(`{"rid":%d,"method":"bye","args":[]}`+"\n", rid)
}

// WantReply is the line the server answers Request(rid) or Bye(rid) with,
// computed from rid alone, so that a client checks what came back
// without trusting the server's parsing.
func WantReply(rid int, bye bool) string {
	switch {
	case bye:
		return fmt.Sprintf(`{"rid":%d,"success":true,"data":"bye"}`+"\n", rid)
	case rid%3 == 0:
		return fmt.Sprintf(`{"rid":%d,"success":true,"data":%q}`+"\n", rid, echoArg(rid))
	}
	return fmt.Sprintf(`{"rid":%d,"success":true,"data":%d}`+"\n", rid, 6*rid)
}

func echoArg(rid int) string {
	return fmt.Sprintf("héllo ✓ %d %s", rid, strings.Repeat("x", rid%61))
}

// Answer is the server's reply to one request line, and whether it hangs
// up after it.
func Answer(line []byte) (reply string, hangUp bool) {
	var req struct {
		Rid    int             `json:"rid"`
		Method string          `json:"method"`
		Args   json.RawMessage `json:"args"`
	}
	if err := json.Unmarshal(line, &req); err != nil {
		return `{"success":false,"error":"bad request"}` + "\n", false
	}
	switch req.Method {
	case "add":
		var xs []int
		json.Unmarshal(req.Args, &xs)
		sum := 0
		for _, x := range xs {
			sum += x
		}
		return fmt.Sprintf(`{"rid":%d,"success":true,"data":%d}`+"\n", req.Rid, sum), false
	case "echo":
		var xs []string
		json.Unmarshal(req.Args, &xs)
		if len(xs) == 1 {
			return fmt.Sprintf(`{"rid":%d,"success":true,"data":%q}`+"\n", req.Rid, xs[0]), false
		}
	case "bye":
		return fmt.Sprintf(`{"rid":%d,"success":true,"data":"bye"}`+"\n", req.Rid), true
	}
	return fmt.Sprintf(`{"success":false,"rid":%d}`+"\n", req.Rid), false
}
