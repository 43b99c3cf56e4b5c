//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sockscope/protocol"
)

// replayDump runs `sockscope replay --dump` with args and returns its
// exchanges by "method #nth" (or "method id ID"), each as "status paths" (paths joined by ,),
// with its stderr and exit status.
func replayDump(t *testing.T, args ...string) (map[string]string, string, int) {
	t.Helper()
	out, errOut, status := runStatus(t, append([]string{"replay", "--headless", "--dump"}, args...)...)
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var e struct {
			Type, Method, Status string
			Nth                  int
			ID                   json.RawMessage
			Paths                []string
		}
		if l == "" || json.Unmarshal([]byte(l), &e) != nil || e.Type != "exchange" {
			continue
		}
		key := e.Method + " #" + strconv.Itoa(e.Nth)
		if e.Nth == 0 {
			key = e.Method + " id " + string(e.ID)
		}
		got[key] = strings.TrimSpace(e.Status + " " + strings.Join(e.Paths, ","))
	}
	return got, errOut, status
}

// A Redis session recorded through the real binary and replayed against
// the same redis-server: plain commands, a RESP3 connection (HELLO 3, whose
// reply's connection id is left out, a map), a transaction pipelined in one
// write (each command's QUEUED, EXEC's array), an error reply, and a
// subscriber (SUBSCRIBE with its first confirmation, the second one a
// notification, PING in subscribe mode, UNSUBSCRIBE, whose second
// confirmation is one too, counted then → now): every reply matches, exit 0. With the data changed, exit 1, and the paths that differ are
// named: the value ($), a map's member, an element of EXEC's array; -w's
// compare records and the text name each request by its place.
func TestReplayRedis(t *testing.T) {
	need(t, "redis-server", "redis-cli")
	dir := shortDir(t)
	up, front := startRedis(t, dir), filepath.Join(dir, "f.sock")
	cli := func(sock string, args ...string) string {
		t.Helper()
		cmd := exec.Command("redis-cli", append([]string{"-s", sock}, args...)...)
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	cli(up, "set", "k", "v1")
	cli(up, "hset", "h", "a", "1", "b", "2")
	rec := filepath.Join(dir, "redis.jsonl")
	stop := started(t, "listening on", "--headless", "-w", rec, "--listen", front, up)
	if got := cli(front, "get", "k"); got != "v1" {
		t.Fatalf("get: %q", got)
	}
	respSay(t, front, "HELLO 3\r\nHGETALL h\r\nMULTI\r\nGET k\r\nHGET h b\r\nEXEC\r\nGET h\r\n", 7)
	respSay(t, front, "SUBSCRIBE c1 c2\r\nPING\r\nUNSUBSCRIBE\r\n", 5)
	stop()

	same := map[string]string{
		"GET #1":   "match",
		"HELLO #1": "match", "HGETALL #2": "match", "MULTI #3": "match", "GET #4": "match", "HGET #5": "match",
		"EXEC #6": "match", "GET #7": "match",
		"SUBSCRIBE #1": "match", "PING #2": "match", "UNSUBSCRIBE #3": "match",
	}
	got, errOut, status := replayDump(t, rec, up)
	if status != 0 || !maps.Equal(got, same) || !strings.Contains(errOut, "11 requests: 11 match, 0 differ") || !strings.Contains(errOut, "not paired, then→now: subscribe 1→1, unsubscribe 1→1") {
		t.Errorf("against the same data: status %d\n%v\n%s", status, got, errOut)
	}

	cli(up, "set", "k", "v2")
	cli(up, "hset", "h", "b", "3")
	want := map[string]string{
		"GET #1":   "differs $",
		"HELLO #1": "match", "HGETALL #2": "differs $.b", "MULTI #3": "match", "GET #4": "match", "HGET #5": "match",
		"EXEC #6": "differs $[0],$[1]", "GET #7": "match",
		"SUBSCRIBE #1": "match", "PING #2": "match", "UNSUBSCRIBE #3": "match",
	}
	got, errOut, status = replayDump(t, rec, up)
	if status != 1 || !maps.Equal(got, want) {
		t.Errorf("against changed data: status %d\n%v\n%s", status, got, errOut)
	}
	// -w's compare records name it by its place too.
	w := filepath.Join(dir, "again.jsonl")
	runStatus(t, "replay", "--headless", "-w", w, rec, up)
	if b, _ := os.ReadFile(w); !strings.Contains(string(b), `{"type":"compare","conn":1,"dir":"c2s","id":null,"nth":1,"method":"GET",`) {
		t.Errorf("-w: no compare record of conn 1's GET:\n%s", b)
	}
	// For people: the request by its place on its connection, and the values.
	out, _, _ := runStatus(t, "replay", "--headless", rec, up)
	for _, w := range []string{`conn 1 GET #1: differs`, `$: "v1" → "v2"`, `conn 2 HGETALL #2: differs`, `$.b: "2" → "3"`} {
		if !strings.Contains(out, w) {
			t.Errorf("the text report lacks %q:\n%s", w, out)
		}
	}
}

// Redis sends a set's members, and a hash's fields, in the order of its
// hash table, which each server seeds anew when it starts: a session
// recorded against one redis-server and replayed against another with the
// same data matches for SMEMBERS (RESP2's array, RESP3's set), KEYS and
// HGETALL (RESP2's fields and values in turn; the hash filled in another
// order), also as EXEC's replies to them queued in a MULTI. They
// differed, at every member out of place. A member or value
// changed still differs, at its place among the sorted members or by name.
func TestReplayRedisUnordered(t *testing.T) {
	need(t, "redis-server", "redis-cli")
	dir := shortDir(t)
	a, b := startRedis(t, subdir(t, dir, "a")), startRedis(t, subdir(t, dir, "b"))
	// 200 members: a set of more than 128 is a hash table in Redis 7.2 and
	// later too (a smaller one of short strings keeps its order there).
	members := []string{"SADD", "s"}
	for i := range 200 {
		members = append(members, fmt.Sprintf("m%03d", i))
	}
	respSay(t, a, respCmd(members, []string{"HSET", "h", "f1", "1", "f2", "2"}), 2)
	respSay(t, b, respCmd(members, []string{"HSET", "h", "f2", "2", "f1", "1"}), 2)
	smembers := respCmd([]string{"SMEMBERS", "s"})
	if respSay(t, a, smembers, 1) == respSay(t, b, smembers, 1) {
		t.Fatal("the two servers give the set's members in one order: the test needs them apart")
	}
	rec, front := filepath.Join(dir, "redis.jsonl"), filepath.Join(dir, "f.sock")
	stop := started(t, "listening on", "--headless", "-w", rec, "--listen", front, a)
	respSay(t, front, respCmd([]string{"SMEMBERS", "s"}, []string{"KEYS", "*"}, []string{"HGETALL", "h"}), 3)
	respSay(t, front, respCmd([]string{"HELLO", "3"}, []string{"HGETALL", "h"}, []string{"SMEMBERS", "s"}), 3)
	respSay(t, front, respCmd([]string{"MULTI"}, []string{"SMEMBERS", "s"}, []string{"KEYS", "*"}, []string{"HGETALL", "h"}, []string{"EXEC"}), 5)
	stop()

	same := map[string]string{
		"SMEMBERS #1": "match", "KEYS #2": "match", "HGETALL #3": "match",
		"HELLO #1": "match", "HGETALL #2": "match", "SMEMBERS #3": "match",
		"MULTI #1": "match", "SMEMBERS #2": "match", "KEYS #3": "match", "HGETALL #4": "match", "EXEC #5": "match",
	}
	got, errOut, status := replayDump(t, rec, b)
	if status != 0 || !maps.Equal(got, same) {
		t.Errorf("against another server with the same data: status %d\n%v\n%s", status, got, errOut)
	}
	respSay(t, b, respCmd([]string{"SREM", "s", "m007"}, []string{"SADD", "s", "m007x"}, []string{"HSET", "h", "f1", "9"}), 3)
	want := map[string]string{
		"SMEMBERS #1": "differs $[7]", "KEYS #2": "match", "HGETALL #3": "differs $.f1",
		"HELLO #1": "match", "HGETALL #2": "differs $.f1", "SMEMBERS #3": "differs $[7]",
		"MULTI #1": "match", "SMEMBERS #2": "match", "KEYS #3": "match", "HGETALL #4": "match", "EXEC #5": "differs $[0][7],$[2].f1",
	}
	got, errOut, status = replayDump(t, rec, b)
	if status != 1 || !maps.Equal(got, want) {
		t.Errorf("against changed data: status %d\n%v\n%s", status, got, errOut)
	}
}

// An HTTP/1.1 session with nginx recorded through the real binary (curl:
// keep-alive, a chunked body, a 204, a 503, HEAD, a 304) and replayed
// against the same nginx: every response matches (Date left out), and a
// request after one that asked to close got no reply then and gets none
// now, exit 0.
// With a file changed, exit 1: its JSON body differs at the member that
// changed, its ETag and Last-Modified too (in HEAD's and a 304's
// headers); a text body differs at $.body;
// --ignore leaves headers out by name. --update then makes the new
// responses the recording's, and the next replay matches; --junit names
// each request by its place on its connection.
func TestReplayHTTP(t *testing.T) {
	need(t, "curl")
	dir := shortDir(t)
	up := startNginx(t, dir)
	os.WriteFile(filepath.Join(dir, "html", "t.txt"), []byte("plain text\n"), 0o644)
	front := filepath.Join(dir, "front.sock")
	rec := filepath.Join(dir, "http.jsonl")
	stop := started(t, "listening on", "--headless", "-w", rec, "--listen", front, up)
	curl := func(args ...string) {
		t.Helper()
		out, err := exec.Command("curl", append([]string{"-sS", "-o", "/dev/null", "--unix-socket", front}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, out)
		}
	}
	curl("http://x/json", "-o", "/dev/null", "http://x/nothing", "-o", "/dev/null", "http://x/fail",
		"-o", "/dev/null", "http://x/chunked/data.json", "-o", "/dev/null", "http://x/data.json", "-o", "/dev/null", "http://x/t.txt")
	curl("-I", "http://x/data.json")
	curl("-H", "If-None-Match: *", "http://x/data.json")
	// Two requests in one write, the first asking to close: the second
	// gets no reply, then as now.
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /fail HTTP/1.1\r\nHost: x\r\n\r\n")
	io.ReadAll(c) // to the server's close
	c.Close()
	// Its end recorded: else it would be open at exit, its request unanswered.
	eventually(t, "the recorded end of conn 4", func() bool {
		b, _ := os.ReadFile(rec)
		return strings.Contains(string(b), `{"type":"close","conn":4,`)
	})
	stop()

	same := map[string]string{
		"GET /json #1": "match", "GET /nothing #2": "match", "GET /fail #3": "match", "GET /chunked/data.json #4": "match",
		"GET /data.json #5": "match", "GET /t.txt #6": "match", "HEAD /data.json #1": "match", "GET /data.json #1": "match",
		"GET /nothing #1": "match", "GET /fail #2": "match",
	}
	got, errOut, status := replayDump(t, rec, up)
	if status != 0 || !maps.Equal(got, same) {
		t.Errorf("against the same files: status %d\n%v\n%s", status, got, errOut)
	}

	// Their ETag and Last-Modified are of their mtime, to the second:
	// one of its own, whenever the test runs.
	changed := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for name, text := range map[string]string{"data.json": `{"hello":"there","n":[1,2,3]}` + "\n", "t.txt": "other text\n"} {
		path := filepath.Join(dir, "html", name)
		os.WriteFile(path, []byte(text), 0o644)
		os.Chtimes(path, changed, changed)
	}
	file := "differs $.body.hello,$.headers.etag,$.headers.last-modified"
	meta := "differs $.headers.etag,$.headers.last-modified"
	want := map[string]string{
		"GET /json #1": "match", "GET /nothing #2": "match", "GET /fail #3": "match", "GET /chunked/data.json #4": "differs $.body.hello",
		"GET /data.json #5": file, "GET /t.txt #6": "differs $.body,$.headers.etag,$.headers.last-modified",
		"HEAD /data.json #1": meta, "GET /data.json #1": meta, // a 304 (If-None-Match: * matches any file) with the file's ETag
		"GET /nothing #1": "match", "GET /fail #2": "match",
	}
	got, errOut, status = replayDump(t, rec, up)
	if status != 1 || !maps.Equal(got, want) {
		t.Errorf("against changed files: status %d\n%v\n%s", status, got, errOut)
	}
	got, _, status = replayDump(t, "--ignore", "etag", "--ignore", "$.headers.last-modified", rec, up)
	if status != 1 || got["HEAD /data.json #1"] != "match" || got["GET /data.json #5"] != "differs $.body.hello" {
		t.Errorf("--ignore headers: status %d\n%v", status, got)
	}

	junit := filepath.Join(dir, "replay.xml")
	runStatus(t, "replay", "--headless", "--junit", junit, rec, up)
	if x, _ := os.ReadFile(junit); !strings.Contains(string(x), `name="GET /t.txt #6"`) || !strings.Contains(string(x), `message="differs at $.body, $.headers.etag, $.headers.last-modified"`) {
		t.Errorf("--junit:\n%s", x)
	}

	if _, errOut, status := runStatus(t, "replay", "--headless", "--update", rec, up); status != 0 || !strings.Contains(errOut, "now holds the replay's responses") {
		t.Fatalf("--update: status %d: %s", status, errOut)
	}
	// The replay's recording holds the request after the close when it
	// went before the close was seen.
	delete(same, "GET /fail #2")
	got, errOut, status = replayDump(t, rec, up)
	if delete(got, "GET /fail #2"); status != 0 || !maps.Equal(got, same) {
		t.Errorf("after --update: status %d\n%v\n%s", status, got, errOut)
	}
}

// replay of a Redis recording in a terminal: the real binary in tmux. Its
// requests carry no id, so the UI finds each one's comparison by its place
// on its connection: the GETs of the key that changed say they differ at
// $, the others that they are the same; status:differs lists those two; a
// GET's detail shows the diff; q exits 1.
func TestReplayRedisUI(t *testing.T) {
	need(t, "redis-server", "redis-cli")
	dir := shortDir(t)
	up, front := startRedis(t, dir), filepath.Join(dir, "f.sock")
	respSay(t, up, "SET k v1\r\nSET j same\r\n", 2)
	rec := filepath.Join(dir, "redis.jsonl")
	stop := started(t, "listening on", "--headless", "-w", rec, "--listen", front, up)
	respSay(t, front, "GET j\r\nGET k\r\nSTRLEN j\r\n", 3)
	respSay(t, front, "ECHO hi\r\nGET k\r\n", 2)
	stop()
	respSay(t, up, "SET k v2\r\n", 1)

	tm := newTerm(t, dir, 200, 40, nil, "sh", "-c", `cd "$1" && shift && exec "$@"`, "sh", dir,
		binary, "replay", rec, up)
	tm.waitScreen("the replay done, 5 compared, 2 differing", func(s string) error {
		if !strings.Contains(s, "compared 5/5 · done") || !strings.Contains(s, "≠ 2 differ") {
			return fmt.Errorf("status bar")
		}
		return nil
	})
	tm.waitScreen("each request flagged", func(s string) error {
		differ, same := 0, 0
		for _, r := range listRows(s) {
			switch {
			case has(r, "GET") && has(r, "differs") && has(r, "$"):
				differ++
			case has(r, "same"):
				same++
			}
		}
		if differ != 2 || same != 3 {
			return fmt.Errorf("%d differing GETs, %d same rows", differ, same)
		}
		return nil
	})
	tm.filter("status:differs")
	tm.waitScreen("status:differs listing the 2 GETs", func(s string) error {
		if !strings.Contains(s, "2 of ") {
			return fmt.Errorf("no '2 of' in the list title")
		}
		return nil
	})
	tm.keys("g", "Enter")
	tm.waitScreen("a GET's diff view", func(s string) error {
		for _, want := range []string{"replay: differs at $", "recorded response", "new response", `"v1"`, `"v2"`} {
			if !strings.Contains(s, want) {
				return fmt.Errorf("no %q", want)
			}
		}
		return nil
	})
	tm.keys("q")
	if st := tm.waitExit(); st != "1" {
		t.Errorf("exit status %s, want 1:\n%s", st, tm.screen())
	}
}

// varlink through the real binary (internal/varlinkpeer on
// github.com/varlink/go) and replayed: against a fresh service every call
// matches, the streamed Count by its last reply, the Fail by its error,
// exit 0; against the service the recording ran on, which has counted the
// recorded oneway Note since (Ping says how many it counted), the Pings
// differ at $.parameters.notes, exit 1.
func TestReplayVarlink(t *testing.T) {
	dir := shortDir(t)
	peer := filepath.Join(dir, "varlinkpeer")
	if out, err := exec.Command("go", "build", "-o", peer, "./internal/varlinkpeer").CombinedOutput(); err != nil {
		t.Fatalf("building varlinkpeer: %v\n%s", err, out)
	}
	serve := func(name string) string {
		up := filepath.Join(dir, name)
		startProc(t, peer, "serve", "unix:"+up)
		dialWait(t, up)
		return up
	}
	up, front := serve("v.sock"), filepath.Join(dir, "f.sock")
	rec := filepath.Join(dir, "varlink.jsonl")
	stop := started(t, "listening on", "--headless", "-w", rec, "--listen", front, up)
	if out, err := exec.Command(peer, "call", "unix:"+front).CombinedOutput(); err != nil || !strings.Contains(string(out), "done") {
		t.Fatalf("varlinkpeer call: %v\n%s", err, out)
	}
	stop()

	const (
		ping  = "org.sockscope.test.Ping #"
		count = "org.sockscope.test.Count #2"
		fail  = "org.sockscope.test.Fail #3"
	)
	got, errOut, status := replayDump(t, rec, serve("fresh.sock"))
	if want := map[string]string{ping + "1": "match", count: "match", fail: "match", ping + "4": "match"}; status != 0 || !maps.Equal(got, want) {
		t.Errorf("against a fresh service: status %d\n%v\n%s", status, got, errOut)
	}
	got, errOut, status = replayDump(t, rec, up)
	if want := map[string]string{ping + "1": "differs $.parameters.notes", count: "match", fail: "match", ping + "4": "differs $.parameters.notes"}; status != 1 || !maps.Equal(got, want) {
		t.Errorf("against the service the recording ran on: status %d\n%v\n%s", status, got, errOut)
	}
}

// Neovim asks its client too (rpcrequest): a replay answers such a
// request with the recorded client's answer, addressed to the new msgid,
// and the call that made Neovim ask gets its reply and matches. The
// request went unanswered: Neovim waited, and the call timed out; the
// recorded answer is not sent as well. (The
// replay runs against a fresh Neovim, as the recording did, so that the
// client's connection is the same channel in both: the call names it.)
func TestReplayMsgpackNeovimAsks(t *testing.T) {
	dir := shortDir(t)
	up, front := startNvim(t, dir, "n.sock"), filepath.Join(dir, "f.sock")
	rec := filepath.Join(dir, "nvim.jsonl")
	stop := started(t, "listening on", "--headless", "-w", rec, "--listen", front, up)
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	f := protocol.NewFramer(protocol.FramingMsgpack, 1<<20)
	buf := make([]byte, 4096)
	var got []string
	// read reads Neovim's messages until it has n in all, answering its
	// requests [1,msgid,nil,42].
	read := func(n int) {
		for len(got) < n {
			k, err := c.Read(buf)
			f.Feed(buf[:k], func(fr *protocol.Frame) {
				v, _ := protocol.AppendView(nil, protocol.FramingMsgpack, fr)
				got = append(got, string(v))
				if info := protocol.ClassifyAs(protocol.FramingMsgpack, fr.Data, protocol.S2C, nil); info.Kind == protocol.KindRequest {
					c.Write(protocol.MsgpackReplyTo([]byte{0x94, 0x01, 0x00, 0xc0, 42}, info.ID))
				}
			})
			if err != nil {
				t.Fatalf("reading Neovim's messages (%d so far, the last %.200s): %v", len(got), got[len(got)-1:], err)
			}
		}
	}
	c.Write(mpCall(6, "nvim_get_api_info"))
	read(1)
	var chanID int
	if _, err := fmt.Sscanf(got[0], "[1,6,null,[%d,", &chanID); err != nil || chanID <= 0 || chanID > 127 {
		t.Fatalf("nvim_get_api_info: %.200s", got[0])
	}
	// nvim_exec_lua: Neovim asks this client "ask" with 41 (its request's
	// msgid is Neovim's own) and returns what the client answers.
	lua := "return vim.rpcrequest(..., 'ask', 41)"
	call := append([]byte{0x94, 0x00, 0x07, 0xad}, "nvim_exec_lua"...)
	call = append(append(append(call, 0x92, 0xd9, byte(len(lua))), lua...), 0x91, byte(chanID))
	c.Write(call)
	read(3)
	c.Close()
	stop()
	if !strings.HasPrefix(got[1], "[0,") || !strings.HasSuffix(got[1], `,"ask",[41]]`) || got[2] != "[1,7,null,42]" {
		t.Fatalf("Neovim sent %q", got[1:])
	}

	res, errOut, status := replayDump(t, "--timeout", "5s", rec, startNvim(t, dir, "n2.sock"))
	if want := map[string]string{"nvim_get_api_info id 6": "match", "nvim_exec_lua id 7": "match"}; status != 0 || !maps.Equal(res, want) ||
		!strings.Contains(errOut, "1 server request answered from the recording (0 by method alone, 0 with a default)") ||
		strings.Contains(errOut, "not paired") { // the recorded answer sent too: "(reply without request) 0→1"
		t.Errorf("replayed: status %d\n%v\n%s", status, res, errOut)
	}
}

// startNvim runs a headless Neovim listening at dir/name (it ends with the
// test) and returns its socket once it answers.
func startNvim(t *testing.T, dir, name string) string {
	t.Helper()
	need(t, "nvim")
	up := filepath.Join(dir, name)
	startProc(t, "nvim", "--headless", "--clean", "--listen", up)
	dialWait(t, up)
	return up
}

// recordNvim runs a headless Neovim whose variable x is "a", records calls
// made to it through sockscope, and returns its socket, the recording and
// the JSON views of the replies.
func recordNvim(t *testing.T, calls ...[]byte) (up, rec string, replies []string) {
	t.Helper()
	dir := shortDir(t)
	up, front := startNvim(t, dir, "n.sock"), filepath.Join(dir, "f.sock")
	mpCalls(t, up, mpCall(1, "nvim_set_var", "x", "a"))
	rec = filepath.Join(dir, "nvim.jsonl")
	stop := started(t, "listening on", "--headless", "-w", rec, "--listen", front, up)
	replies = mpCalls(t, front, calls...)
	stop()
	return up, rec, replies
}

// mpCall is a msgpack-RPC request [0,id,method,args] of string arguments
// (each, and method, under 32 bytes).
func mpCall(id byte, method string, args ...string) []byte {
	str := func(b []byte, s string) []byte { return append(append(b, 0xa0|byte(len(s))), s...) }
	b := str([]byte{0x94, 0x00, id}, method)
	b = append(b, 0x90|byte(len(args)))
	for _, a := range args {
		b = str(b, a)
	}
	return b
}

// mpCalls sends each request on one connection to sock and returns the
// JSON view of the reply it reads after each.
func mpCalls(t *testing.T, sock string, reqs ...[]byte) []string {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f := protocol.NewFramer(protocol.FramingMsgpack, 1<<20)
	buf := make([]byte, 4096)
	var out []string
	for _, req := range reqs {
		c.Write(req)
		for n := len(out); len(out) == n; {
			k, err := c.Read(buf)
			f.Feed(buf[:k], func(fr *protocol.Frame) {
				v, _ := protocol.AppendView(nil, protocol.FramingMsgpack, fr)
				out = append(out, string(v))
			})
			if err != nil {
				t.Fatalf("reading the reply to %q: %v", req, err)
			}
		}
	}
	return out
}

// msgpack-RPC with the real Neovim, through the real binary, replayed: its
// calls pair by msgid; against the same data every reply matches (the
// failing command by its error), exit 0; with the variable read changed,
// its nvim_get_var differs at the result ($[3]), exit 1.
func TestReplayMsgpackNeovim(t *testing.T) {
	up, rec, got := recordNvim(t, mpCall(1, "nvim_get_var", "x"), mpCall(2, "nvim_eval", "1+2"), mpCall(3, "nvim_command", "NoSuchCommand"))
	if len(got) != 3 || got[0] != `[1,1,null,"a"]` || got[1] != `[1,2,null,3]` || !strings.Contains(got[2], "E492") {
		t.Fatalf("nvim replied %q", got)
	}

	want := map[string]string{"nvim_get_var id 1": "match", "nvim_eval id 2": "match", "nvim_command id 3": "match"}
	res, errOut, status := replayDump(t, rec, up)
	if status != 0 || !maps.Equal(res, want) {
		t.Errorf("against the same data: status %d\n%v\n%s", status, res, errOut)
	}
	mpCalls(t, up, mpCall(1, "nvim_set_var", "x", "b"))
	want["nvim_get_var id 1"] = "differs $[3]"
	res, errOut, status = replayDump(t, rec, up)
	if status != 1 || !maps.Equal(res, want) {
		t.Errorf("with x changed: status %d\n%v\n%s", status, res, errOut)
	}
}
