//go:build unix

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sockscope/internal/nodetest"
	"sockscope/protocol"
)

// JSON-RPC 2.0 batches through the real binary, to a Node server that
// answers a batch with one array of replies in reverse order
// (testdata/node/lib/jsonrpc-echo.js): a batch is one request, paired with
// its reply array by the set of its ids, an error when one of the replies
// is; a batch of notifications is one notification; an empty or invalid
// batch, answered by errors with a null id, leaves orphans, and nothing
// else breaks. The live --dump, the summary and `show` of the recording
// agree.
func TestJSONRPCBatches(t *testing.T) {
	svc, front := paths(t)
	rec := filepath.Join(filepath.Dir(svc), "batch.jsonl")
	nodetest.Start(t, "jsonrpc-echo.js", svc).Expect(t, "listening")
	cmd := exec.Command(binary, "--dump", "--lossless", "-w", rec, "--listen", front, svc)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitListening(t, front)

	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	call := func(line string, wantReply bool) string {
		t.Helper()
		if _, err := fmt.Fprintln(c, line); err != nil {
			t.Fatal(err)
		}
		if !wantReply {
			return ""
		}
		reply, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return reply
	}
	if reply := call(`[{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]},{"jsonrpc":"2.0","id":2,"method":"fail"}]`, true); !strings.HasPrefix(reply, `[{"jsonrpc":"2.0","id":2,"error"`) {
		t.Fatalf("the server answered %q, want the replies in reverse order", reply)
	}
	call(`[{"jsonrpc":"2.0","method":"log"},{"jsonrpc":"2.0","method":"log"}]`, false)
	call(`[{"jsonrpc":"2.0","id":"a","method":"echo","params":[]},{"jsonrpc":"2.0","method":"log"},{"jsonrpc":"2.0","id":"b","method":"echo","params":["é"]}]`, true)
	if reply := call(`[]`, true); !strings.Contains(reply, `"id":null`) || reply[0] != '{' {
		t.Fatalf("an empty batch: %q, want one error object", reply)
	}
	call(`[1]`, true)
	call(`{"jsonrpc":"2.0","id":3,"method":"echo","params":{}}`, true)
	c.Close()

	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sockscope: %v\n%s", err, errb.String())
	}
	// 11 messages: 6 lines each way but for the notifications' batch.
	summary := "11 messages, 3 requests: 2 ok, 1 error, 0 no-reply, 2 orphan, 0 duplicate; 3 notifications, 0 raw"
	if !strings.Contains(errb.String(), summary) {
		t.Errorf("summary %q, want %q", errb.String(), summary)
	}
	show, errShow, status := runStatus(t, "show", "--dump", rec)
	if status != 0 {
		t.Fatalf("show: %d\n%s", status, errShow)
	}
	for name, dump := range map[string][]byte{"--dump": out.Bytes(), "show --dump": []byte(show)} {
		var exchanges, messages []string
		for _, l := range dumpLines(t, dump) {
			id := ""
			if l["id"] != nil {
				id = jsonText(t, l["id"])
			}
			switch l["type"] {
			case "exchange":
				exchanges = append(exchanges, fmt.Sprintf("%v %s %v", l["method"], id, l["status"]))
			case "message":
				messages = append(messages, fmt.Sprintf("%v %v %s %v error=%v", l["dir"], l["kind"], id, l["method"], l["error"] == true))
			}
		}
		wantExchanges := []string{
			`batch(echo,fail) [1,2] error`,
			`batch(echo,log,echo) ["a","b"] ok`,
			`<nil>  orphan`, // the answer to [], a single error object
			`<nil>  orphan`, // the answer to [1], an array of one error with a null id
			`echo 3 ok`,
		}
		if got, want := strings.Join(exchanges, "\n"), strings.Join(wantExchanges, "\n"); got != want {
			t.Errorf("%s: exchanges\n%s\nwant\n%s", name, got, want)
		}
		wantMessages := []string{
			`c2s request [1,2] batch(echo,fail) error=false`,
			`s2c response [1,2] <nil> error=true`,
			`c2s notification  batch(log×2) error=false`,
			`c2s request ["a","b"] batch(echo,log,echo) error=false`,
			`s2c response ["a","b"] <nil> error=false`,
			`c2s other  <nil> error=false`,
			`s2c response  <nil> error=true`,
			`c2s other  <nil> error=false`,
			`s2c response  <nil> error=true`,
			`c2s request 3 echo error=false`,
			`s2c response 3 <nil> error=false`,
		}
		// Each direction in its order: across them, a reply's read may
		// reach the decoder after the client's next message (the relay
		// forwards first, and queues what it read after).
		for _, dir := range []string{"c2s ", "s2c "} {
			of := func(ms []string) string {
				var in []string
				for _, m := range ms {
					if strings.HasPrefix(m, dir) {
						in = append(in, m)
					}
				}
				return strings.Join(in, "\n")
			}
			if got, want := of(messages), of(wantMessages); got != want {
				t.Errorf("%s: %smessages\n%s\nwant\n%s", name, dir, got, want)
			}
		}
	}

	// The recording replayed against the server: each batch's reply
	// compares with the recorded one.
	replayed, errReplay, status := runStatus(t, "replay", "--dump", rec, svc)
	if status != 0 {
		t.Fatalf("replay: %d\n%s", status, errReplay)
	}
	var verdicts []string
	for _, l := range dumpLines(t, []byte(replayed)) {
		if l["type"] == "exchange" {
			verdicts = append(verdicts, fmt.Sprintf("%v %v", l["method"], l["status"]))
		}
	}
	if got, want := strings.Join(verdicts, ", "), "batch(echo,fail) match, batch(echo,log,echo) match, echo match"; got != want {
		t.Errorf("replay: %s, want %s\n%s", got, want, errReplay)
	}

	// The recording standing in for the server: a batch with other ids
	// gets the recorded replies, each with the id of its request.
	served := filepath.Join(filepath.Dir(svc), "served.sock")
	stopServe := started(t, "listening on", "serve", rec, "--listen", served)
	sc, err := net.Dial("unix", served)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	sc.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintln(sc, `[{"jsonrpc":"2.0","id":"x","method":"echo","params":[1]},{"jsonrpc":"2.0","id":9,"method":"fail"}]`)
	sr := bufio.NewReader(sc)
	reply, err := sr.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"jsonrpc":"2.0","id":9,"error":{"code":-32000,"message":"fail"}},{"jsonrpc":"2.0","id":"x","result":[1]}]` + "\n"; reply != want {
		t.Errorf("serve answered %q, want %q", reply, want)
	}
	// One it has no reply to gets an error for each of its requests (the
	// recording has no batch like it: each request misses alone, and
	// counts as a miss of its own).
	fmt.Fprintln(sc, `[{"jsonrpc":"2.0","id":5,"method":"nosuch"},{"jsonrpc":"2.0","method":"log"},{"jsonrpc":"2.0","id":6,"method":"nosuch"}]`)
	if reply, err = sr.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	b, _ := protocol.BatchOf([]byte(reply), nil)
	if got := protocol.Classify([]byte(strings.TrimSpace(reply)), nil); got.Kind != protocol.KindResponse || string(got.ID) != "[5,6]" || b.String() != "2 responses, 2 errors" {
		t.Errorf("serve's miss: %q, want an array of two errors with ids 5 and 6", reply)
	}
	sc.Close()
	if out := stopServe(); !strings.Contains(out, "1 request answered from the recording, 2 misses") {
		t.Errorf("serve: %s", out)
	}
}

// jsonText is v, decoded from JSON, as JSON again.
func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
