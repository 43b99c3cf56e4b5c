package capture

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sockscope/internal/missing"
	"sockscope/protocol"
)

// A command sent on a connection of a QMP client whose commands have no
// id (QEMU answers them in order, with none): it goes with an id of
// sockscope's, in QMP's member id (mpv's request_id, which it had, QEMU
// refuses with an id-less GenericError that reached the client), its reply
// is withheld, and the client's next command gets its own reply.
func TestSendOnAQMPClientWithoutIDs(t *testing.T) {
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		missing.Peer(t, "qemu-system-x86_64 is not installed")
	}
	dir := shortTemp(t)
	up, front := filepath.Join(dir, "q.sock"), filepath.Join(dir, "f.sock")
	startPeer(t, "QEMU's QMP socket", up, exec.Command(qemu, "-machine", "none", "-nodefaults", "-nographic", "-display", "none",
		"-qmp", "unix:"+up+",server=on,wait=off"))
	e := relayTo(t, Config{IDFields: protocol.DefaultIDFields}, front, up)
	reply := lineClient(t, front, "QEMU")
	if g := reply(""); g["QMP"] == nil {
		t.Fatalf("greeting: %v", g)
	}
	if r := reply(`{"execute":"qmp_capabilities"}`); r["return"] == nil {
		t.Fatalf("qmp_capabilities: %v", r)
	}
	conn := answeredConn(t, e, "qmp_capabilities")
	s, err := e.Send(context.Background(), conn, protocol.C2S, []byte(`{"execute":"query-status"}`))
	if err != nil || s.WireID == "" {
		t.Fatalf("Send = %+v, %v: want an id of sockscope's", s, err)
	}
	waitInjectedOK(t, e, conn)
	r := reply(`{"execute":"query-version"}`)
	if ret, _ := r["return"].(map[string]any); ret["qemu"] == nil || r["id"] != nil {
		t.Errorf("the client's query-version got %v: want its own reply, without an id", r)
	}
	// N while the client is connected: QEMU greets the next client only
	// once this one leaves, which the error says once the greeting is late
	// (it said "handshake: context deadline exceeded", after 10 s).
	if _, err := e.SendNew(context.Background(), conn, []byte(`{"execute":"query-status"}`)); err == nil ||
		!strings.Contains(err.Error(), fmt.Sprintf("the server sent no QMP greeting: QEMU serves one client at a time on a QMP socket, and conn %d is connected; send on it (n)", conn)) {
		t.Errorf("SendNew while the client is connected: %v", err)
	}
}
