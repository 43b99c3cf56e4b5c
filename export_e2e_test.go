//go:build unix

package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sockscope/internal/missing"
	"sockscope/protocol"
	"sockscope/session"
)

// lspServer answers each Content-Length framed request with a result of
// the same id, in the same framing.
func lspServer(c net.Conn) {
	r := bufio.NewReader(c)
	for {
		h, err := textproto.NewReader(r).ReadMIMEHeader()
		if err != nil {
			return
		}
		n, _ := strconv.Atoi(h.Get("Content-Length"))
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		var m struct {
			ID json.RawMessage `json:"id"`
		}
		json.Unmarshal(body, &m)
		reply := fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{"capabilities":{"hoverProvider":true}}}`, m.ID)
		fmt.Fprintf(c, "Content-Length: %d\r\n\r\n%s", len(reply), reply)
	}
}

// tshark runs tshark with args and returns its stdout.
func tshark(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("tshark", args...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("tshark %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

// followRaw returns what tshark's "follow,tcp,raw" shows of TCP stream n:
// the bytes each way.
func followRaw(t *testing.T, file string, n int) (c2s, s2c []byte) {
	t.Helper()
	out := tshark(t, "-r", file, "-q", "-z", fmt.Sprintf("follow,tcp,raw,%d", n))
	body := out[strings.Index(out, "Node 1:"):]
	for _, l := range strings.Split(body, "\n")[1:] {
		if strings.HasPrefix(l, "====") {
			break
		}
		b, err := hex.DecodeString(strings.TrimPrefix(l, "\t"))
		if err != nil {
			t.Fatalf("follow output %q: %v", l, err)
		}
		if strings.HasPrefix(l, "\t") {
			s2c = append(s2c, b...)
		} else {
			c2s = append(c2s, b...)
		}
	}
	return c2s, s2c
}

// A session recorded by the real binary in two runs (the Node seed service
// and its client, a client of our own that sends a 200,000-byte frame, then
// an LSP-framed service on another listener), exported as pcapng: tshark
// reads it, follows every connection back to exactly the recorded bytes
// (the big frame to exactly what was sent), filters on the comments, and
// decodes the JSON with the command export prints. jsonl and HAR carry
// the same exchanges.
func TestExportToTshark(t *testing.T) {
	for _, tool := range []string{"node", "tshark"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing.Peer(t, "%s is not installed", tool)
		}
	}
	dir := shortDir(t)
	svc, front, file := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock"), filepath.Join(dir, "s.jsonl")
	seedServer(t, svc)
	p := startSS(t, nil, "--headless", "--record", file, "--listen", front, svc)

	// Our own client, first: it also tells that the front socket listens.
	c := dialListening(t, front)
	big := strings.Repeat("é", 100_000) // 200,000 bytes
	sent := []byte(`{"rid":1,"method":"echo","args":["` + big + `"]}` + "\n")
	c.Write(sent)
	c.(*net.UnixConn).CloseWrite()
	got, err := io.ReadAll(c)
	if err != nil || !bytes.Contains(got, []byte(big)) {
		t.Fatalf("big echo: %v, %d bytes back", err, len(got))
	}
	for i := 0; i < 2; i++ {
		if out, err := exec.Command("node", "testdata/node/seed-client.js", front).CombinedOutput(); err != nil {
			t.Fatalf("seed client: %v\n%s", err, out)
		}
	}
	waitRecorded(t, file, session.TypeClose, 3)
	if code := p.stop(os.Interrupt); code != 0 {
		t.Fatalf("exit %d: %s", code, p.err.String())
	}

	lspUp, lspFront := filepath.Join(dir, "lsp.sock"), filepath.Join(dir, "lspfront.sock")
	startUpstream(t, lspUp, lspServer)
	p = startSS(t, nil, "--headless", "--record", file, "--listen", lspFront, lspUp)
	c = dialListening(t, lspFront)
	for id, method := range []string{"initialize", "textDocument/hover"} {
		body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":{}}`, id+1, method)
		fmt.Fprintf(c, "Content-Length: %d\r\n\r\n%s", len(body), body)
	}
	c.(*net.UnixConn).CloseWrite()
	io.ReadAll(c)
	waitRecorded(t, file, session.TypeClose, 4)
	if code := p.stop(os.Interrupt); code != 0 {
		t.Fatalf("exit %d: %s", code, p.err.String())
	}

	pcap := filepath.Join(dir, "s.pcapng")
	_, stderr := showRun(t, "export", file, "-o", pcap)
	m := regexp.MustCompile(`read it with: (tshark .*)`).FindStringSubmatch(stderr)
	if m == nil || !strings.Contains(m[1], "-r "+pcap+" -d tcp.port==7777,json -o json.ignore_leading_bytes:TRUE") {
		t.Fatalf("no tshark command line: %s", stderr)
	}
	decode := strings.Fields(m[1])[1:]

	// Every connection, followed, is the recorded bytes.
	recs, err := session.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	type side struct {
		seg  int
		conn uint64
	}
	var order []side
	want := map[side]*[2][]byte{}
	seg := 0
	for _, r := range recs {
		switch k := (side{seg, r.Conn}); r.Type {
		case session.TypeHeader:
			seg++
		case session.TypeOpen:
			order = append(order, k)
			want[k] = &[2][]byte{}
		case session.TypeFrame:
			framing, _ := protocol.ParseFraming(r.Framing)
			enc := protocol.EncoderOf(framing, protocol.Frame{Size: r.Size, Wire: r.Wire})
			want[k][r.Dir] = enc.Append(want[k][r.Dir], r.Data)
		}
	}
	if len(order) != 4 {
		t.Fatalf("%d connections recorded, want 4", len(order))
	}
	for n, k := range order {
		c2s, s2c := followRaw(t, pcap, n)
		if !bytes.Equal(c2s, want[k][0]) || !bytes.Equal(s2c, want[k][1]) {
			t.Errorf("stream %d: followed %d/%d bytes, recorded %d/%d", n, len(c2s), len(s2c), len(want[k][0]), len(want[k][1]))
		}
		if n == 0 && (!bytes.Equal(c2s, sent) || !bytes.Equal(s2c, got)) {
			t.Errorf("stream 0: followed %d/%d bytes, the client sent %d and read %d", len(c2s), len(s2c), len(sent), len(got))
		}
	}

	// The comments filter; the JSON decodes; no packet over the limit; an
	// interface per listener.
	adds := tshark(t, "-r", pcap, "-Y", `frame.comment contains "method=add"`, "-T", "fields", "-e", "frame.comment")
	if n := strings.Count(adds, "method=add status=ok"); n != 4 {
		t.Errorf("%d packets of add exchanges, want 2 requests and 2 replies:\n%s", n, adds)
	}
	sums := tshark(t, append(decode, "-Y", `frame.comment contains "method=add" && tcp.srcport==7777`, "-T", "fields", "-e", "json.value.number")...)
	if strings.Count(sums, "15") != 2 {
		t.Errorf("add replies decoded as %q, want data 15 twice", sums)
	}
	hover := tshark(t, append(decode, "-Y", `frame.comment contains "method=textDocument/hover" && tcp.srcport==7777`, "-T", "fields", "-e", "json.key")...)
	if !strings.Contains(hover, "hoverProvider") {
		t.Errorf("the Content-Length framed reply decoded as %q", hover)
	}
	lens := tshark(t, "-r", pcap, "-T", "fields", "-e", "frame.len", "-e", "frame.interface_name")
	ifaces := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(lens), "\n") {
		f := strings.Split(l, "\t")
		if n, _ := strconv.Atoi(f[0]); n > 14+65535 {
			t.Errorf("a packet of %d bytes", n)
		}
		ifaces[f[1]] = true
	}
	if len(ifaces) != 2 || !ifaces[front] || !ifaces[lspFront] {
		t.Errorf("interfaces %v, want the two listeners", ifaces)
	}

	// jsonl and HAR: the same exchanges; the filter applies.
	jl, _ := showRun(t, "export", file, "--format", "jsonl")
	lines := dumpLines(t, []byte(jl))
	var addLines int
	for _, l := range lines {
		if l["method"] == "add" {
			addLines++
			if l["status"] != "ok" || l["response"].(map[string]any)["data"] != 15.0 || l["latency_us"] == nil {
				t.Errorf("add: %v", l)
			}
		}
	}
	if addLines != 2 {
		t.Errorf("%d add exchanges in jsonl, want 2", addLines)
	}
	filtered, _ := showRun(t, "export", file, "--format", "jsonl", "--filter", "method:add")
	if n := len(dumpLines(t, []byte(filtered))); n != 2 {
		t.Errorf("--filter method:add: %d lines, want 2", n)
	}
	harFile := filepath.Join(dir, "s.har")
	b := exportTo(t, file, harFile)
	var har struct {
		Log struct {
			Entries []struct {
				Request struct{ URL string }
			}
		}
	}
	if err := json.Unmarshal(b, &har); err != nil {
		t.Fatalf("HAR: %v", err)
	}
	var urls []string
	for _, e := range har.Log.Entries {
		urls = append(urls, e.Request.URL)
	}
	if len(urls) != len(lines) || !slices.Contains(urls, "sockscope://conn-4/textDocument%2Fhover?id=2") {
		t.Errorf("HAR has %d entries (jsonl %d): %v", len(urls), len(lines), urls)
	}
}

// waitRecorded waits until the session file holds n records of type typ.
func waitRecorded(t *testing.T, file, typ string, n int) {
	t.Helper()
	eventually(t, fmt.Sprintf("%d %s records in %s", n, typ, file), func() bool {
		recs, _ := session.ReadFile(file)
		k := 0
		for _, r := range recs {
			if r.Type == typ {
				k++
			}
		}
		return k == n
	})
}

// A session in which a rule answered a request itself (the request
// withheld from the server, a made-up error injected to the client),
// exported as pcapng: that connection is two TCP streams that tshark
// follows, the client's leg with the request and the made-up reply, the
// server's without them; both have what went through; the printed command
// decodes both ports.
func TestExportLegsToTshark(t *testing.T) {
	for _, tool := range []string{"node", "tshark"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing.Peer(t, "%s is not installed", tool)
		}
	}
	rr := startRules(t, "", "--rule", "method:add error:-32000:boom")
	rr.replyTo(t, rr.call(t, "echo", `["through"]`))
	if m, _ := rr.replyTo(t, rr.call(t, "add", "[1,2]")); m["success"] != false {
		t.Fatalf("add was not answered by the rule: %v", m)
	}
	rr.client.Say("quit")
	rr.stop()

	pcap := filepath.Join(filepath.Dir(rr.record), "s.pcapng")
	_, stderr := showRun(t, "export", rr.record, "-o", pcap)
	if !strings.Contains(stderr, "-d tcp.port==7777,json -d tcp.port==7778,json") {
		t.Errorf("the tshark command does not decode the server's legs: %s", stderr)
	}
	// Stream 0 is waitAccepting's connection; 1 and 2 the client's legs.
	legs := tshark(t, "-r", pcap, "-Y", "tcp.flags.syn==1 && tcp.flags.ack==0", "-T", "fields", "-e", "tcp.stream", "-e", "tcp.dstport", "-e", "frame.comment")
	if !strings.Contains(legs, "1\t7777\t") || !strings.Contains(legs, "2\t7778\t") || !strings.Contains(legs, "leg=server") {
		t.Fatalf("the client's connection is not two legs:\n%s", legs)
	}
	type want struct{ c2s, s2c, notC2S, notS2C string }
	for n, w := range map[int]want{
		1: {c2s: `"method":"add"`, s2c: `"rid":2`},
		2: {notC2S: `"method":"add"`, notS2C: `"rid":2`},
	} {
		c2s, s2c := followRaw(t, pcap, n)
		if !bytes.Contains(c2s, []byte(`"through"`)) || !bytes.Contains(s2c, []byte(`"through"`)) {
			t.Errorf("stream %d lacks the echo that went through: %q / %q", n, c2s, s2c)
		}
		if w.c2s != "" && !bytes.Contains(c2s, []byte(w.c2s)) || w.s2c != "" && !bytes.Contains(s2c, []byte(w.s2c)) {
			t.Errorf("the client's leg lacks what the client sent or got: %q / %q", c2s, s2c)
		}
		if w.notC2S != "" && bytes.Contains(c2s, []byte(w.notC2S)) || w.notS2C != "" && bytes.Contains(s2c, []byte(w.notS2C)) {
			t.Errorf("the server's leg has what the server never got or sent: %q / %q", c2s, s2c)
		}
	}
}

// A text of 200,001 bytes that nginx sends gzip-encoded to `curl
// --compressed`, recorded through the real binary and exported as HAR:
// the entry's content is the text decoded (its size, its text, the bytes
// the coding saved as compression), its bodySize the encoded bytes on the
// wire, chunked framing and all.
func TestHARofGzipFromNginx(t *testing.T) {
	need(t, "curl")
	dir := shortDir(t)
	up := startNginx(t, dir)
	text := strings.Repeat("All work and no play makes Jack a dull boy. ", 4546)[:200_001]
	if err := os.WriteFile(filepath.Join(dir, "html", "big.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	front, rec := filepath.Join(dir, "front.sock"), filepath.Join(dir, "s.jsonl")
	stop := sockscope(t, "--headless", "--lossless", "-w", rec, "--listen", front, up)
	dialWait(t, front)
	got := filepath.Join(dir, "got.txt")
	if out, err := exec.Command("curl", "-sS", "--compressed", "--unix-socket", front, "-o", got, "http://x/gz/big.txt").CombinedOutput(); err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(got); string(b) != text {
		t.Fatalf("curl got %d bytes, want the text", len(b))
	}
	stop()
	harFile := filepath.Join(dir, "s.har")
	b := exportTo(t, rec, harFile)
	var har struct {
		Log struct {
			Entries []struct {
				Request  struct{ URL string }
				Response struct {
					Status  int
					Headers []struct{ Name, Value string }
					Content struct {
						Size                              int
						Compression                       *int
						MimeType, Text, Encoding, Comment string
					}
					BodySize int
				}
			}
		}
	}
	if err := json.Unmarshal(b, &har); err != nil {
		t.Fatal(err)
	}
	if len(har.Log.Entries) != 1 || har.Log.Entries[0].Request.URL != "http://x/gz/big.txt" {
		t.Fatalf("entries %+v", har.Log.Entries)
	}
	r := har.Log.Entries[0].Response
	headers := map[string]string{}
	for _, h := range r.Headers {
		headers[h.Name] = h.Value
	}
	if r.Status != 200 || headers["Content-Encoding"] != "gzip" || headers["Transfer-Encoding"] != "chunked" {
		t.Fatalf("response %d, headers %v: want a chunked gzip body", r.Status, headers)
	}
	c := r.Content
	if c.Size != 200_001 || c.Text != text || c.Encoding != "" || c.Comment != "" || c.MimeType != "text/plain" {
		t.Errorf("content: size %d, %d bytes of text (the text: %v), encoding %q, comment %q, %s; want the text decoded",
			c.Size, len(c.Text), c.Text == text, c.Encoding, c.Comment, c.MimeType)
	}
	// bodySize is the gzip stream with its chunks' framing: more than
	// the stream, far less than the text.
	if c.Compression == nil || r.BodySize <= 200_001-*c.Compression || r.BodySize > 10_000 {
		t.Errorf("bodySize %d, compression %v: want the encoded bytes on the wire, and what gzip saved", r.BodySize, c.Compression)
	}
}

// exportTo runs sockscope export of file to out (its kind by out's
// extension) and returns what it wrote.
func exportTo(t *testing.T, file, out string) []byte {
	t.Helper()
	showRun(t, "export", file, "-o", out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
