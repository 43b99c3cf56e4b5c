package capture

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"sockscope/protocol"
)

// A command sent on a connection of an mpv client that gives its commands
// no request_id: mpv answers such commands with request_id 0, the client
// pairs its replies by order, and a reply to sockscope's command would be
// the answer to the client's next. So it goes with an id of sockscope's,
// its reply is withheld, and the two pair as an injected exchange; the
// client's next command gets its own reply.
func TestSendOnAnMpvClientWithoutIDs(t *testing.T) {
	mpv, err := exec.LookPath("mpv")
	if err != nil {
		t.Skip("mpv is not installed")
	}
	dir := shortTemp(t)
	up, front := filepath.Join(dir, "m.sock"), filepath.Join(dir, "f.sock")
	startPeer(t, "mpv's socket", up, exec.Command(mpv, "--idle=yes", "--no-config", "--no-video", "--ao=null", "--no-terminal", "--input-ipc-server="+up))
	e := relayTo(t, Config{IDFields: protocol.DefaultIDFields}, front, up)
	reply := lineClient(t, front, "mpv")
	if r := reply(`{"command":["set_property","volume",21]}`); r["error"] != "success" {
		t.Fatalf("set_property: %v", r)
	}
	conn := answeredConn(t, e, "set_property")
	s, err := e.Send(context.Background(), conn, protocol.C2S, []byte(`{"command":["set_property","volume",33]}`))
	if err != nil || s.WireID == "" {
		t.Fatalf("Send = %+v, %v: want an id of sockscope's", s, err)
	}
	waitInjectedOK(t, e, conn)
	if r := reply(`{"command":["get_property","volume"]}`); r["data"] != 33.0 || r["request_id"] != 0.0 {
		t.Errorf("the client's get_property got %v: want its own reply, volume 33 with request_id 0", r)
	}
}

// startPeer starts cmd, a real server, for the test's time, and waits until
// its Unix socket sock takes connections.
func startPeer(t *testing.T, what, sock string, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitUntil(t, what, func() bool {
		c, err := net.Dial("unix", sock)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// lineClient connects to the JSON-lines server at front (peer names it)
// for the test's time and returns a function that sends a command (none
// if "") and returns the next line that is no event ({"event":…}): a
// reply, or a greeting.
func lineClient(t *testing.T, front, peer string) func(command string) map[string]any {
	c, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(liveness))
	sc := bufio.NewScanner(c)
	return func(command string) map[string]any {
		t.Helper()
		if command != "" {
			if _, err := c.Write([]byte(command + "\n")); err != nil {
				t.Fatal(err)
			}
		}
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil && m["event"] == nil {
				return m
			}
		}
		t.Fatalf("%s's connection ended: %v", peer, sc.Err())
		return nil
	}
}

// waitInjectedOK waits until a request sockscope sent on conn is answered
// with success.
func waitInjectedOK(t *testing.T, e *Engine, conn uint64) {
	t.Helper()
	waitUntil(t, "sockscope's command answered", func() bool {
		for _, r := range rows(e.Store, conn) {
			if r.Injected && r.Status == protocol.StatusOK {
				return true
			}
		}
		return false
	})
}
