//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// subscriber runs redis-cli SUBSCRIBE (RESP3 with resp3 set) and returns
// its output lines once it has confirmed the subscription.
func subscriber(t *testing.T, sock, channel string, resp3 bool) <-chan string {
	t.Helper()
	args := []string{"-s", sock, "subscribe", channel}
	if resp3 {
		args = append([]string{"-3"}, args...)
	}
	cmd := exec.Command("redis-cli", args...)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 16)
	sc := bufio.NewScanner(out)
	for _, want := range []string{"subscribe", channel, "1"} {
		if !sc.Scan() || sc.Text() != want {
			t.Fatalf("redis-cli subscribe said %q, want %q", sc.Text(), want)
		}
	}
	go func() {
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	return lines
}

// The real redis-server behind the real binary: redis-cli's commands pair
// with their replies (a SUBSCRIBE with its confirmation), WRONGTYPE is an
// error, values show as JSON, pub/sub messages in RESP2 and RESP3 pushes
// are notifications that pair with nothing, and redis-benchmark's
// pipelined commands (-P 16) all pair.
func TestRedis(t *testing.T) {
	need(t, "redis-server", "redis-cli", "redis-benchmark")
	dir := shortDir(t)
	up, front := startRedis(t, dir), filepath.Join(dir, "f.sock")
	rec := filepath.Join(dir, "s.jsonl")
	stop := sockscope(t, "--dump", "--lossless", "--record", rec, "--listen", front, up)
	dialWait(t, front)

	cli := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("redis-cli", append([]string{"-s", front}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	cli("set", "k", "v")
	cli("rpush", "l", "a", "b", "c")
	if got := cli("lrange", "l", "0", "-1"); got != "a\nb\nc" {
		t.Fatalf("lrange: %q", got)
	}
	cli("incr", "l") // WRONGTYPE
	cli("-3", "hgetall", "nohash")
	for _, resp3 := range []bool{false, true} {
		ch := "ch2"
		if resp3 {
			ch = "ch3"
		}
		sub := subscriber(t, front, ch, resp3)
		cli("publish", ch, "hi")
		for _, want := range []string{"message", ch, "hi"} {
			if got := <-sub; got != want {
				t.Fatalf("subscriber got %q, want %q", got, want)
			}
		}
	}
	bench := exec.Command("redis-benchmark", "-s", front, "-P", "16", "-n", "2000", "-c", "4", "-q", "-t", "set,get,lpush,lrange_100")
	if out, err := bench.CombinedOutput(); err != nil {
		t.Fatalf("redis-benchmark: %v\n%s", err, out)
	}
	lines := dumpLines(t, stop())

	counts := map[string]int{}
	var errs []string
	for _, e := range ofType(lines, "exchange") {
		counts[e["status"].(string)]++
		if e["status"] == "error" {
			errs = append(errs, e["method"].(string))
		}
	}
	var requests, notes, pushes, lranges int
	for _, m := range ofType(lines, "message") {
		switch m["kind"] {
		case "request":
			requests++
		case "notification":
			notes++
			if f, _ := m["frame"].([]any); m["dir"] == "s2c" && len(f) == 3 && f[0] == "message" {
				pushes++
			}
		default:
			if m["kind"] != "response" {
				t.Errorf("not decoded: %v", m)
			}
		}
		if f, _ := m["frame"].([]any); m["method"] == "LRANGE" && len(f) > 0 && f[0] == "lrange" { // redis-cli's, as typed
			lranges++
			if len(f) != 4 || f[1] != "l" {
				t.Errorf("lrange shown as %v", m["frame"])
			}
		}
	}
	if lranges != 1 {
		t.Errorf("redis-cli's lrange seen %d times, want once", lranges)
	}
	if requests < 4*2000 || counts["ok"]+counts["error"] != requests {
		t.Errorf("%d requests, exchanges %v: every command must pair", requests, counts)
	}
	if counts["orphan"] != 0 || counts["no-reply"] != 0 {
		t.Errorf("exchanges %v", counts)
	}
	if len(errs) != 1 || errs[0] != "INCR" { // as typed "incr": one method, in capitals
		t.Errorf("error exchanges %v, want the one incr", errs)
	}
	// The recording decodes again to the same exchanges.
	shown, err := exec.Command(binary, "show", "--dump", rec).Output()
	if err != nil {
		t.Fatalf("show: %v", err)
	}
	again := map[string]int{}
	for _, e := range ofType(dumpLines(t, shown), "exchange") {
		again[e["status"].(string)]++
	}
	if again["ok"] != counts["ok"] || again["error"] != counts["error"] || len(again) != len(counts) {
		t.Errorf("show's exchanges %v, live %v", again, counts)
	}
	// Two SUBSCRIBEs (requests, each answered by its confirmation), two
	// confirmations (notifications by their shape), two messages (one a
	// RESP3 push).
	if pushes != 2 || notes != 4 {
		t.Errorf("%d pub/sub messages, %d notifications; want 2 and 4", pushes, notes)
	}
}

// readRESP reads one RESP value (a whole reply, aggregates and all) and
// returns its bytes.
func readRESP(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("reading a reply: %v", err)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	switch line[0] {
	case '$', '=', '!':
		if n < 0 {
			return line
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(br, b); err != nil {
			t.Fatalf("reading a reply: %v", err)
		}
		return line + string(b)
	case '*', '>', '~', '%':
		if line[0] == '%' {
			n *= 2
		}
		for range max(n, 0) {
			line += readRESP(t, br)
		}
	}
	return line
}

// respSay writes text to the server at sock on a connection of its own,
// and returns the n replies it reads, together, once it has closed it.
func respSay(t *testing.T, sock, text string, n int) string {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, text)
	br := bufio.NewReader(c)
	var replies string
	for range n {
		replies += readRESP(t, br)
	}
	return replies
}

// respCmd writes each command as a RESP array.
func respCmd(cmds ...[]string) string {
	var b strings.Builder
	for _, c := range cmds {
		fmt.Fprintf(&b, "*%d\r\n", len(c))
		for _, a := range c {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
	}
	return b.String()
}

// Redis's pub/sub commands through the real binary: a SUBSCRIBE that the
// server refuses (a wrong number of arguments, an ACL's NOPERM) or queues
// inside MULTI is answered by that reply, and the commands after it pair
// with their own; one that succeeds is answered by its first confirmation;
// its other confirmations, the messages and RESP3's pushes are
// notifications; PING in subscribe mode pairs.
func TestRedisPubSubAnswers(t *testing.T) {
	need(t, "redis-server", "redis-cli")
	dir := shortDir(t)
	up, front := startRedis(t, dir), filepath.Join(dir, "f.sock")
	if out, err := exec.Command("redis-cli", "-s", up, "acl", "setuser", "nosub", "on", "nopass", "+@all", "~*", "resetchannels").CombinedOutput(); err != nil {
		t.Fatalf("acl setuser: %v\n%s", err, out)
	}
	rec := filepath.Join(dir, "s.jsonl")
	stop := sockscope(t, "--dump", "--lossless", "--record", rec, "--listen", front, up)
	dialWait(t, front)

	// session sends each step's commands at once and reads as many
	// replies as the step says, on one connection.
	session := func(steps ...any) {
		t.Helper()
		c, err := net.Dial("unix", front)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		br := bufio.NewReader(c)
		for i := 0; i < len(steps); i += 2 {
			switch s := steps[i].(type) {
			case string:
				io.WriteString(c, s)
			case func():
				s()
			}
			for range steps[i+1].(int) {
				readRESP(t, br)
			}
		}
	}
	publish := func(ch string) func() {
		return func() {
			if out, err := exec.Command("redis-cli", "-s", up, "publish", ch, "hi").CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "1" {
				t.Fatalf("publish %s: %v %q", ch, err, out)
			}
		}
	}
	// 1: SUBSCRIBE without a channel; GET.
	session(respCmd([]string{"SUBSCRIBE"}, []string{"GET", "k"}), 2)
	// 2: MULTI; SUBSCRIBE ch9; EXEC; GET (refused in subscribe mode).
	session(respCmd([]string{"MULTI"}, []string{"SUBSCRIBE", "ch9"}, []string{"EXEC"}, []string{"GET", "k"}), 4)
	// 3: a user with no channels: NOPERM.
	session(respCmd([]string{"AUTH", "nosub", "x"}, []string{"SUBSCRIBE", "ch"}, []string{"PING"}), 3)
	// 4: SUBSCRIBE a b (two confirmations); PSUBSCRIBE p*; a message;
	// PING in subscribe mode; UNSUBSCRIBE of all (two); PUNSUBSCRIBE; GET.
	session(respCmd([]string{"subscribe", "a", "b"}, []string{"PSUBSCRIBE", "p*"}), 3,
		publish("a"), 1,
		respCmd([]string{"PING"}, []string{"UNSUBSCRIBE"}, []string{"PUNSUBSCRIBE"}, []string{"GET", "k"}), 5)
	// 5: RESP3: pushes; GET while subscribed.
	session(respCmd([]string{"HELLO", "3"}, []string{"SUBSCRIBE", "c3"}, []string{"GET", "k"}), 3,
		publish("c3"), 1,
		respCmd([]string{"UNSUBSCRIBE", "c3"}), 1)
	lines := dumpLines(t, stop())

	// Connection 1 was dialWait's. A confirmation is a notification by
	// its shape (its message's kind) whether or not it answers a command.
	want := map[float64]string{
		2: "SUBSCRIBE error, GET ok",
		3: "MULTI ok, SUBSCRIBE ok, EXEC ok, GET error",
		4: "AUTH ok, SUBSCRIBE error, PING ok",
		5: "SUBSCRIBE ok, PSUBSCRIBE ok, PING ok, UNSUBSCRIBE ok, PUNSUBSCRIBE ok, GET ok",
		6: "HELLO ok, SUBSCRIBE ok, GET ok, UNSUBSCRIBE ok",
	}
	wantNotes := map[float64]string{
		5: "subscribe, subscribe, psubscribe, message, unsubscribe, unsubscribe, punsubscribe",
		6: "subscribe, message, unsubscribe",
	}
	check := func(lines []map[string]any, from string) {
		t.Helper()
		got, notes := byConn(lines)
		for c := 2.0; c <= 6; c++ {
			if g := strings.Join(got[c], ", "); g != want[c] {
				t.Errorf("%s: connection %v: exchanges %q, want %q", from, c, g, want[c])
			}
			if g := strings.Join(notes[c], ", "); g != wantNotes[c] {
				t.Errorf("%s: connection %v: notifications %q, want %q", from, c, g, wantNotes[c])
			}
		}
	}
	check(lines, "live")
	// The recording decodes again to the same.
	shown, err := exec.Command(binary, "show", "--dump", rec).Output()
	if err != nil {
		t.Fatalf("show: %v", err)
	}
	check(dumpLines(t, shown), "show")
}

// byConn returns what a dump's lines say of each connection: its
// exchanges ("METHOD status") and the methods of its notifications.
func byConn(lines []map[string]any) (exchanges, notes map[float64][]string) {
	exchanges, notes = map[float64][]string{}, map[float64][]string{}
	for _, e := range ofType(lines, "exchange") {
		c := e["conn"].(float64)
		exchanges[c] = append(exchanges[c], fmt.Sprint(e["method"], " ", e["status"]))
	}
	for _, m := range ofType(lines, "message") {
		if m["kind"] == "notification" {
			c := m["conn"].(float64)
			notes[c] = append(notes[c], fmt.Sprint(m["method"]))
		}
	}
	return exchanges, notes
}

// startRedis runs the real redis-server on a Unix socket in dir, saving
// nothing, with args after its own, and returns the socket once it takes
// connections.
func startRedis(t *testing.T, dir string, args ...string) string {
	t.Helper()
	up := filepath.Join(dir, "r.sock")
	startProc(t, "redis-server", append([]string{"--port", "0", "--unixsocket", up, "--save", "", "--appendonly", "no", "--dir", dir}, args...)...)
	dialWait(t, up)
	return up
}

// A client that connects, asks once and exits (redis-cli, as curl and nc
// do) is named by its process: five redis-cli PINGs, five connections of
// "redis-cli". The name was read by the decoder's process, which naps up
// to 20 ms when idle: four in five had exited and showed no name. It is
// read as the connection is accepted, before the client can have its
// reply.
func TestShortLivedClientsNamed(t *testing.T) {
	need(t, "redis-server", "redis-cli")
	dir := shortDir(t)
	up, front := startRedis(t, dir), filepath.Join(dir, "f.sock")
	stop := sockscope(t, "--dump", "--listen", front, up)
	dialWait(t, front)
	for range 5 {
		if out, err := exec.Command("redis-cli", "-s", front, "ping").CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "PONG" {
			t.Fatalf("redis-cli ping: %v %s", err, out)
		}
	}
	var named, opens int
	for _, l := range strings.Split(string(stop()), "\n") {
		var e struct{ Type, Process string }
		if json.Unmarshal([]byte(l), &e) != nil || e.Type != "open" {
			continue
		}
		opens++ // dialWait's connection is the test's own
		if e.Process == "redis-cli" {
			named++
		}
	}
	if opens != 6 || named != 5 {
		t.Errorf("%d of %d redis-cli connections named (%d opened)", named, 5, opens)
	}
}

// Inline commands ended by a bare "\n", as nc sends what is typed and
// redis-cli --pipe a text file: Redis takes them, and so does sockscope's
// detection: each pairs with its reply. And commands as typed: a method is
// the command's name in capitals, known to sockscope by name or not.
func TestRedisInlineLF(t *testing.T) {
	need(t, "redis-server", "redis-cli")
	dir := shortDir(t)
	up, front := startRedis(t, dir), filepath.Join(dir, "f.sock")
	stop := sockscope(t, "--dump", "--lossless", "--listen", front, up)
	dialWait(t, front)

	if got := respSay(t, front, "PING\nSET key:1 1\nget key:1\n", 3); got != "+PONG\r\n+OK\r\n$1\r\n1\r\n" {
		t.Fatalf("redis replied %q", got)
	}
	// Commands in lower case that sockscope does not know by name: their
	// methods are in capitals all the same, as Redis reads them.
	respSay(t, front, respCmd([]string{"zrangebyscore", "z", "0", "1"}, []string{"nosuch", "x"}), 2)
	pipe := exec.Command("redis-cli", "-s", front, "--pipe")
	pipe.Stdin = strings.NewReader("SET a 1\nINCR a\n")
	if out, err := pipe.CombinedOutput(); err != nil || !strings.Contains(string(out), "errors: 0, replies: 2") {
		t.Fatalf("redis-cli --pipe: %v\n%s", err, out)
	}
	// Connection 1 was dialWait's; redis-cli --pipe ends with an ECHO of
	// its own, in RESP.
	wantExchanges(t, dumpLines(t, stop()), func(e map[string]any) string { return fmt.Sprint(e["method"], " ", e["status"]) },
		map[float64]string{2: "PING ok, SET ok, GET ok", 3: "ZRANGEBYSCORE ok, NOSUCH error", 4: "SET ok, INCR ok, ECHO ok"})
}

// redis-cli MONITOR through the real binary: MONITOR pairs with its +OK,
// and the lines that follow, one a command another client ran, are
// notifications, not orphan replies.
func TestRedisMonitor(t *testing.T) {
	need(t, "redis-server", "redis-cli")
	dir := shortDir(t)
	up, front := startRedis(t, dir), filepath.Join(dir, "f.sock")
	stop := sockscope(t, "--dump", "--lossless", "--listen", front, up)
	dialWait(t, front)

	mon := exec.Command("redis-cli", "-s", front, "monitor")
	out, _ := mon.StdoutPipe()
	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mon.Process.Kill(); mon.Wait() })
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "OK" {
		t.Fatalf("redis-cli monitor said %q", sc.Text())
	}
	for _, args := range [][]string{{"set", "k", "v"}, {"get", "k"}} {
		if out, err := exec.Command("redis-cli", append([]string{"-s", front}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
	}
	for _, want := range []string{`"set" "k" "v"`, `"get" "k"`} {
		if !sc.Scan() || !strings.HasSuffix(sc.Text(), want) {
			t.Fatalf("monitor said %q, want a line ending %s", sc.Text(), want)
		}
	}
	mon.Process.Kill()
	mon.Wait()
	lines := dumpLines(t, stop())

	// Connection 1 was dialWait's.
	var got []string
	for _, e := range ofType(lines, "exchange") {
		if e["conn"] == 2.0 {
			got = append(got, fmt.Sprint(e["method"], " ", e["status"]))
		}
	}
	if g := strings.Join(got, ", "); g != "MONITOR ok" {
		t.Errorf("the monitor's exchanges: %q, want MONITOR ok", g)
	}
	notes := 0
	for _, m := range ofType(lines, "message") {
		if m["conn"] == 2.0 && m["dir"] == "s2c" && m["kind"] == "notification" && m["method"] == "MONITOR" {
			notes++
		}
	}
	if notes != 2 {
		t.Errorf("%d MONITOR lines as notifications, want 2", notes)
	}
}

// CLIENT REPLY OFF and SKIP against the real redis-server: the commands
// it answers pair with their replies, those it leaves without one are
// notifications (each reply paired with the command before its own).
func TestRedisClientReply(t *testing.T) {
	need(t, "redis-server")
	dir := shortDir(t)
	up, front := startRedis(t, dir), filepath.Join(dir, "f.sock")
	stop := sockscope(t, "--dump", "--lossless", "--listen", front, up)
	dialWait(t, front)

	if got := respSay(t, front, "CLIENT REPLY OFF\r\nSET q 1\r\nCLIENT REPLY ON\r\nGET q\r\n"+
		respCmd([]string{"CLIENT", "REPLY", "SKIP"}, []string{"SET", "q", "2"}, []string{"GET", "q"}), 3); got != "+OK\r\n$1\r\n1\r\n$1\r\n2\r\n" {
		t.Fatalf("redis replied %q", got)
	}
	lines := dumpLines(t, stop())
	var got []string
	for _, e := range ofType(lines, "exchange") {
		got = append(got, fmt.Sprint(e["method"], " ", e["status"]))
	}
	if g := strings.Join(got, ", "); g != "CLIENT ok, GET ok, GET ok" {
		t.Errorf("exchanges %q, want CLIENT ok, GET ok, GET ok", g)
	}
	var silent []string
	for _, m := range ofType(lines, "message") {
		if m["kind"] == "notification" {
			silent = append(silent, m["method"].(string))
		}
	}
	if g := strings.Join(silent, " "); g != "CLIENT SET CLIENT SET" {
		t.Errorf("notifications %q, want CLIENT SET CLIENT SET (OFF, its SET, SKIP, its SET)", g)
	}
}

// Replication through the real binary: redis-cli --rdb and --replica ask
// the real redis-server with SYNC, and get the snapshot as "$EOF:<mark>"
// (diskless), which answers SYNC; what the master then sends (the
// commands it runs) and the replica's REPLCONF ACK are notifications.
// The snapshot was a bad bulk length, the rest of the stream raw.
func TestRedisReplication(t *testing.T) {
	need(t, "redis-server", "redis-cli")
	dir := shortDir(t)
	up, front := startRedis(t, dir, "--repl-diskless-sync-delay", "0"), filepath.Join(dir, "f.sock")
	stop := sockscope(t, "--dump", "--lossless", "--listen", front, up)
	dialWait(t, front)

	rdb := filepath.Join(dir, "dump.rdb")
	if out, err := exec.Command("redis-cli", "-s", front, "--rdb", rdb).CombinedOutput(); err != nil || !strings.Contains(string(out), "Transfer finished with success") {
		t.Fatalf("redis-cli --rdb: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(rdb); err != nil || !strings.HasPrefix(string(b), "REDIS") {
		t.Fatalf("the snapshot: %v %.10q", err, b)
	}
	rep := exec.Command("redis-cli", "-s", front, "--replica")
	out, _ := rep.StdoutPipe()
	rep.Stderr = rep.Stdout
	if err := rep.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rep.Process.Kill(); rep.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "SYNC done") {
	}
	if out, err := exec.Command("redis-cli", "-s", front, "set", "k", "v").CombinedOutput(); err != nil {
		t.Fatalf("redis-cli set: %v\n%s", err, out)
	}
	for sc.Scan() && sc.Text() != `"set","k","v"` {
	}
	rep.Process.Kill()
	rep.Wait()
	// A client that says only SYNC (no REPLCONF capa eof) gets the
	// snapshot as "$<size>" and its bytes without a CRLF, then the
	// stream: the commands the master runs.
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "SYNC\r\n")
	br := bufio.NewReader(c)
	line, err := br.ReadString('$')
	if err != nil || strings.Trim(line, "\n") != "$" {
		t.Fatalf("SYNC: %q %v", line, err)
	}
	if line, err = br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	size, _ := strconv.Atoi(strings.TrimSpace(line))
	if _, err := io.CopyN(io.Discard, br, int64(size)); err != nil || size == 0 {
		t.Fatalf("the snapshot (%d bytes): %v", size, err)
	}
	if out, err := exec.Command("redis-cli", "-s", front, "set", "k2", "v2").CombinedOutput(); err != nil {
		t.Fatalf("redis-cli set: %v\n%s", err, out)
	}
	for {
		if v := readRESP(t, br); strings.Contains(v, "k2") {
			break
		}
	}
	c.Close()
	lines := dumpLines(t, stop())

	// Connection 1 was dialWait's; 2 redis-cli --rdb, 3 --replica, 4 the
	// set, 5 the SYNC, 6 the second set.
	got, _ := byConn(lines)
	for conn, want := range map[float64]string{2: "REPLCONF ok, REPLCONF ok, SYNC ok", 3: "REPLCONF ok, REPLCONF ok, SYNC ok", 5: "SYNC ok"} {
		if g := strings.Join(got[conn], ", "); g != want {
			t.Errorf("connection %v: exchanges %q, want %q", conn, g, want)
		}
	}
	var stream, sync []string
	snapshots := 0
	for _, m := range ofType(lines, "message") {
		if m["kind"] == "raw" {
			t.Errorf("not decoded: %v", m)
		}
		if m["conn"] == 3.0 && m["kind"] == "notification" && m["method"] != "PING" {
			stream = append(stream, fmt.Sprint(m["dir"], " ", m["method"]))
		}
		if m["conn"] == 5.0 && m["kind"] == "notification" && m["method"] != "PING" {
			sync = append(sync, fmt.Sprint(m["dir"], " ", m["method"]))
		}
		if f, _ := m["frame"].(map[string]any); f["rdb"] != nil && m["kind"] == "response" {
			snapshots++
		}
	}
	if snapshots != 3 {
		t.Errorf("%d snapshots shown as {\"rdb\":size} answering SYNC, want 3", snapshots)
	}
	if g := strings.Join(sync, ", "); !strings.HasPrefix(g, "s2c SELECT, s2c SET") {
		t.Errorf("the stream after SYNC: %q, want SELECT and SET", g)
	}
	if g := strings.Join(stream, ", "); !strings.HasPrefix(g, "c2s REPLCONF") || !strings.Contains(g, "s2c SELECT, s2c SET") {
		t.Errorf("the replication stream: %q, want REPLCONF ACK, then SELECT and SET", g)
	}
}

// CLIENT REPLY inside MULTI through the real binary: it is queued like
// any command (+QUEUED), and silences only what comes after it runs,
// inside EXEC and after it; DISCARD drops it. redis-server 7 writes
// EXEC's array header with one element per queued command, then leaves
// out the replies it silenced (Valkey 9 refuses CLIENT REPLY in MULTI):
// EXEC's reply is that short array, and the values after it are the
// replies of the commands after it. Before, the array took them as its
// elements: CLIENT REPLY ON's +OK, a PING's +PONG (after SKIP), and the
// commands were left with no reply. The recording, shown again, decodes
// alike.
func TestRedisClientReplyMulti(t *testing.T) {
	need(t, "redis-server")
	dir := shortDir(t)
	up, front := startRedis(t, dir), filepath.Join(dir, "f.sock")
	rec := filepath.Join(dir, "s.jsonl")
	stop := sockscope(t, "--dump", "--lossless", "--record", rec, "--listen", front, up)
	dialWait(t, front)

	// say sends each text on a connection of its own, and reads the
	// want after it, what redis-server 7 answers (a client that believed
	// the array header would wait for elements that never come).
	say := func(textWant ...string) {
		t.Helper()
		c, err := net.Dial("unix", front)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for i := 0; i < len(textWant); i += 2 {
			text, want := textWant[i], textWant[i+1]
			io.WriteString(c, text)
			got := make([]byte, len(want))
			if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
				t.Fatalf("%q: redis replied %q, %v; want %q", text, got, err, want)
			}
		}
	}
	// Connection 2: DISCARD drops the queued CLIENT REPLY OFF.
	say("SET q 1\r\nMULTI\r\nCLIENT REPLY OFF\r\nDISCARD\r\nGET q\r\n", "+OK\r\n+OK\r\n+QUEUED\r\n+OK\r\n$1\r\n1\r\n")
	// Connection 3: EXEC runs it, its array empty; the SET after EXEC
	// gets no reply, CLIENT REPLY ON its +OK.
	say("MULTI\r\nCLIENT REPLY OFF\r\nEXEC\r\nSET q 2\r\nCLIENT REPLY ON\r\n", "+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n")
	// Connection 4: SKIP has no reply in EXEC's array, and silences the
	// command after EXEC.
	say("MULTI\r\nCLIENT REPLY SKIP\r\nGET a\r\nEXEC\r\nPING\r\nPING\r\n", "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n$-1\r\n+PONG\r\n")
	// Connection 5: OFF then ON inside: the array lacks OFF's reply and
	// GET a's.
	say("MULTI\r\nCLIENT REPLY OFF\r\nGET a\r\nCLIENT REPLY ON\r\nGET b\r\nEXEC\r\nPING\r\n",
		"+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*4\r\n+OK\r\n$-1\r\n+PONG\r\n")
	// Connection 6: a WATCH refused inside MULTI comes between the
	// +QUEUED; a command before MULTI answered by an array as long as
	// EXEC's.
	say("RPUSH l x\r\nLRANGE l 0 0\r\nMULTI\r\nCLIENT REPLY OFF\r\nWATCH x\r\nEXEC\r\nCLIENT REPLY ON\r\nPING\r\n",
		":1\r\n*1\r\n$1\r\nx\r\n+OK\r\n+QUEUED\r\n-ERR WATCH inside MULTI is not allowed\r\n*1\r\n+OK\r\n+PONG\r\n")
	// Connection 7: a transaction refused (its CLIENT REPLY OFF not
	// run), then one with SKIP, once the refusal came.
	say("MULTI\r\nCLIENT REPLY OFF\r\nNOSUCH\r\nEXEC\r\n",
		"+OK\r\n+QUEUED\r\n-ERR unknown command 'NOSUCH', with args beginning with: \r\n-EXECABORT Transaction discarded because of previous errors.\r\n",
		"MULTI\r\nCLIENT REPLY SKIP\r\nEXEC\r\nPING\r\nPING\r\n", "+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n")
	live := dumpLines(t, stop())
	shown, _ := showRun(t, "show", "--dump", rec)
	for what, lines := range map[string][]map[string]any{"live": live, "show": dumpLines(t, []byte(shown))} {
		ex, notes := byConn(lines)
		execs := map[float64]any{}
		for _, m := range ofType(lines, "message") {
			if m["dir"] == "s2c" && strings.HasPrefix(fmt.Sprint(m["frame"]), "[") {
				execs[m["conn"].(float64)] = m["frame"]
			}
		}
		for conn, want := range map[float64][3]string{
			2: {"SET ok, MULTI ok, CLIENT ok, DISCARD ok, GET ok", ""},
			3: {"MULTI ok, CLIENT ok, EXEC ok, CLIENT ok", "SET", "[]"},
			4: {"MULTI ok, CLIENT ok, GET ok, EXEC ok, PING ok", "PING", "[<nil>]"},
			5: {"MULTI ok, CLIENT ok, GET ok, CLIENT ok, GET ok, EXEC ok, PING ok", "", "[OK <nil>]"},
			6: {"RPUSH ok, LRANGE ok, MULTI ok, CLIENT ok, WATCH error, EXEC ok, CLIENT ok, PING ok", "", "[]"},
			7: {"MULTI ok, CLIENT ok, NOSUCH error, EXEC error, MULTI ok, CLIENT ok, EXEC ok, PING ok", "PING", "[]"},
		} {
			if g := strings.Join(ex[conn], ", "); g != want[0] {
				t.Errorf("%s: connection %v: exchanges %q, want %q", what, conn, g, want[0])
			}
			if g := strings.Join(notes[conn], " "); g != want[1] {
				t.Errorf("%s: connection %v: notifications %q, want %q", what, conn, g, want[1])
			}
			if g := fmt.Sprint(execs[conn]); want[2] != "" && g != want[2] {
				t.Errorf("%s: connection %v: EXEC's reply %s, want %s", what, conn, g, want[2])
			}
		}
	}
}

// A transaction that fails leaves the CLIENT REPLY queued in it unrun:
// EXEC answered -EXECABORT (a command refused while queued) or a null
// array (a WATCHed key changed) runs none of its commands, so the replies
// stay on and the commands after it pair, whether they were sent with
// the transaction, before its answer, or after it. Before, a failed EXEC
// was taken as if its queued CLIENT REPLY OFF ran: the commands after it
// were notifications and their replies orphans.
func TestRedisClientReplyExecAbort(t *testing.T) {
	need(t, "redis-server")
	dir := shortDir(t)
	up, front := startRedis(t, dir), filepath.Join(dir, "f.sock")
	rec := filepath.Join(dir, "s.jsonl")
	stop := sockscope(t, "--dump", "--lossless", "--record", rec, "--listen", front, up)
	dialWait(t, front)

	// Connection 2: all at once, the commands after EXEC sent before its
	// answer came.
	if got := respSay(t, front, "MULTI\r\nCLIENT REPLY OFF\r\nNOSUCH\r\nEXEC\r\nSET q 1\r\nGET q\r\n", 6); !strings.HasPrefix(got, "+OK\r\n+QUEUED\r\n-ERR unknown command") ||
		!strings.HasSuffix(got, "-EXECABORT Transaction discarded because of previous errors.\r\n+OK\r\n$1\r\n1\r\n") {
		t.Fatalf("redis replied %q", got)
	}
	// Connection 3: the commands after EXEC sent once its answer came.
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	io.WriteString(c, "MULTI\r\nCLIENT REPLY SKIP\r\nSET q\r\nEXEC\r\n")
	for range 4 {
		readRESP(t, br)
	}
	io.WriteString(c, "SET q 2\r\nGET q\r\n")
	if got := readRESP(t, br) + readRESP(t, br); got != "+OK\r\n$1\r\n2\r\n" {
		t.Fatalf("redis replied %q", got)
	}
	c.Close()
	// Connection 4: WATCH, the key changed on connection 5, EXEC's null
	// array.
	c, err = net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	br = bufio.NewReader(c)
	io.WriteString(c, "WATCH w\r\n")
	readRESP(t, br)
	respSay(t, front, "SET w 1\r\n", 1)
	io.WriteString(c, "MULTI\r\nCLIENT REPLY OFF\r\nEXEC\r\nSET q 3\r\nGET q\r\n")
	var got string
	for range 5 {
		got += readRESP(t, br)
	}
	if got != "+OK\r\n+QUEUED\r\n*-1\r\n+OK\r\n$1\r\n3\r\n" {
		t.Fatalf("redis replied %q", got)
	}
	c.Close()
	live := dumpLines(t, stop())
	// The recording, shown again, decodes alike.
	shown, _ := showRun(t, "show", "--dump", rec)
	for what, lines := range map[string][]map[string]any{"live": live, "show": dumpLines(t, []byte(shown))} {
		ex, notes := byConn(lines)
		for conn, want := range map[float64]string{
			2: "MULTI ok, CLIENT ok, NOSUCH error, EXEC error, SET ok, GET ok",
			3: "MULTI ok, CLIENT ok, SET error, EXEC error, SET ok, GET ok",
			4: "WATCH ok, MULTI ok, CLIENT ok, EXEC ok, SET ok, GET ok",
		} {
			if g := strings.Join(ex[conn], ", "); g != want {
				t.Errorf("%s: connection %v: exchanges %q, want %q", what, conn, g, want)
			}
			if len(notes[conn]) > 0 {
				t.Errorf("%s: connection %v: notifications %q, want none", what, conn, notes[conn])
			}
		}
	}
}

// A value that starts as a snapshot does ("REDIS" and a four-digit
// version), stored and read back through the real redis-server, is a
// value: GET's reply a bulk string with its CRLF, shown as the string,
// and the replies after it pair, whether it is read alone, pipelined, or
// in an array. Only SYNC's answer is read as a snapshot
// (TestRedisReplication). Before, any such bulk string at the top level
// was taken for a snapshot ({"rdb":N}).
func TestRedisValueLikeSnapshot(t *testing.T) {
	need(t, "redis-server", "redis-cli")
	dir := shortDir(t)
	up, front := startRedis(t, dir), filepath.Join(dir, "f.sock")
	stop := sockscope(t, "--dump", "--lossless", "--listen", front, up)
	dialWait(t, front)

	const v = "REDIS0009 is a value, not a snapshot"
	if out, err := exec.Command("redis-cli", "-s", front, "set", "k", v).CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "OK" {
		t.Fatalf("redis-cli set: %v %q", err, out)
	}
	if out, err := exec.Command("redis-cli", "-s", front, "--no-raw", "get", "k").CombinedOutput(); err != nil || !strings.Contains(string(out), "REDIS0009") {
		t.Fatalf("redis-cli get: %v %q", err, out)
	}
	bulk := fmt.Sprintf("$%d\r\n%s\r\n", len(v), v)
	if got := respSay(t, front, respCmd([]string{"GET", "k"}, []string{"PING"}, []string{"MGET", "k"}, []string{"GET", "k"}), 4); got != bulk+"+PONG\r\n*1\r\n"+bulk+bulk {
		t.Fatalf("redis replied %q", got)
	}
	lines := dumpLines(t, stop())
	var ex []string
	for _, e := range ofType(lines, "exchange") {
		if e["conn"] != 1.0 {
			ex = append(ex, fmt.Sprint(e["method"], " ", e["status"]))
		}
	}
	if g := strings.Join(ex, ", "); g != "SET ok, GET ok, GET ok, PING ok, MGET ok, GET ok" {
		t.Errorf("exchanges %q", g)
	}
	gets := 0
	for _, m := range ofType(lines, "message") {
		if m["dir"] != "s2c" {
			continue
		}
		if f, ok := m["frame"].(map[string]any); ok && f["rdb"] != nil {
			t.Errorf("a reply taken for a snapshot: %v", m)
		}
		if m["frame"] == v {
			gets++
			if m["size"] != float64(len(bulk)) {
				t.Errorf("GET's reply of %v bytes, want %d (its CRLF too)", m["size"], len(bulk))
			}
		}
	}
	if gets != 3 {
		t.Errorf("%d replies shown as the value, want 3 (the GETs)", gets)
	}
}

// A command pipelined before SYNC in one write (GET k, then SYNC) is
// answered first: its bulk string is GET's reply, never SYNC's answer,
// even when the value starts as a snapshot does. (Before, the GET's reply
// took SYNC's mark and was read as a snapshot, without its CRLF.) The
// real redis-server refuses such a SYNC ("invalid with pending output"):
// that error answers it.
func TestRedisSyncAfterPipelined(t *testing.T) {
	need(t, "redis-server", "redis-cli")
	dir := shortDir(t)
	up, front := startRedis(t, dir), filepath.Join(dir, "f.sock")
	stop := sockscope(t, "--dump", "--lossless", "--listen", front, up)
	dialWait(t, front)
	const v = "REDIS0009 is a value, not a snapshot"
	if out, err := exec.Command("redis-cli", "-s", front, "set", "k", v).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli set: %v\n%s", err, out)
	}
	bulk := fmt.Sprintf("$%d\r\n%s\r\n", len(v), v)
	got := respSay(t, front, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nSYNC\r\n*1\r\n$4\r\nPING\r\n", 3)
	if !strings.HasPrefix(got, bulk+"-ERR ") || !strings.HasSuffix(got, "+PONG\r\n") {
		t.Fatalf("redis replied %q", got)
	}
	lines := dumpLines(t, stop())
	// Connection 1 was dialWait's, 2 the set, 3 GET, SYNC and PING.
	ex, _ := byConn(lines)
	if g := strings.Join(ex[3], ", "); g != "GET ok, SYNC error, PING ok" {
		t.Errorf("exchanges %q, want GET ok, SYNC error, PING ok", g)
	}
	for _, m := range ofType(lines, "message") {
		if f, ok := m["frame"].(map[string]any); ok && f["rdb"] != nil {
			t.Errorf("a reply taken for a snapshot: %v", m)
		}
		if m["conn"] == 3.0 && m["dir"] == "s2c" && m["frame"] == v && m["size"] != float64(len(bulk)) {
			t.Errorf("GET's reply of %v bytes, want %d (its CRLF too)", m["size"], len(bulk))
		}
	}
}
