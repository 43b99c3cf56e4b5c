//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sockscope/capture"
	"sockscope/client"
	"sockscope/internal/goplstest"
	"sockscope/protocol"
	"sockscope/session"
	"sockscope/store"
)

// teeConn is a child's stdio as a net.Conn, keeping a copy of every byte
// written and read.
type teeConn struct {
	r    io.Reader
	w    io.WriteCloser
	mu   sync.Mutex
	sent bytes.Buffer
	got  bytes.Buffer
}

func (c *teeConn) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.mu.Lock()
	c.got.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

func (c *teeConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.sent.Write(p)
	c.mu.Unlock()
	return c.w.Write(p)
}

func (c *teeConn) Close() error                     { return c.w.Close() }
func (c *teeConn) LocalAddr() net.Addr              { return &net.UnixAddr{Name: "test", Net: "unix"} }
func (c *teeConn) RemoteAddr() net.Addr             { return &net.UnixAddr{Name: "sockscope", Net: "unix"} }
func (c *teeConn) SetDeadline(time.Time) error      { return nil }
func (c *teeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *teeConn) SetWriteDeadline(time.Time) error { return nil }

// decodeRecording reads a session file back through the capture engine.
func decodeRecording(t *testing.T, path string) *store.Store {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src := capture.NewFile(f)
	h, err := src.Header()
	if err != nil {
		t.Fatal(err)
	}
	e, err := capture.New(capture.Config{IDFields: h.IDFields})
	if err != nil {
		t.Fatal(err)
	}
	e.Start(context.Background(), src)
	if err := e.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e.Store
}

// allRows returns every stored row.
func allRows(st *store.Store) []store.Row {
	var rs []store.Row
	st.Rows(0, func(r store.Row) bool { rs = append(rs, r); return true })
	return rs
}

// gopls wrapped by the real binary, driven over stdio by an LSP client:
// every byte arrives unchanged both ways (tee inside the child keeps what
// gopls got and sent), every request pairs, and gopls' stderr passes through
// and is kept as a stream of its own.
func TestWrapGopls(t *testing.T) {
	gopls := goplstest.Path(t)
	dir := shortDir(t)
	ws := filepath.Join(dir, "ws")
	os.MkdirAll(ws, 0o755)
	os.WriteFile(filepath.Join(ws, "go.mod"), []byte("module example.com/ws\n\ngo 1.22\n"), 0o644)
	src := "package main\n\nimport \"fmt\"\n\n// Greet says hello.\nfunc Greet() { fmt.Println(\"hello\") }\n\nfunc main() { Greet() }\n"
	os.WriteFile(filepath.Join(ws, "main.go"), []byte(src), 0o644)
	in, out, rec := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "s.jsonl")

	cmd := exec.Command(binary, "-w", rec, "--", "sh", "-c",
		`tee "$0" | "$1" -rpc.trace -logfile=/dev/stderr | tee "$2"`, in, gopls, out)
	cmd.Dir = ws
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+dir)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	tc := &teeConn{r: stdout, w: stdin}
	var unexpected []string
	var cl *client.Conn
	cl = client.New(tc, client.Options{Framing: protocol.FramingContentLength, Other: func(p []byte) {
		var m struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		json.Unmarshal(p, &m)
		switch {
		case m.ID != nil && m.Method == "workspace/configuration":
			cl.Send([]byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":[{}]}`, m.ID)))
		case m.ID != nil && m.Method != "":
			cl.Send([]byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":null}`, m.ID)))
		case m.ID != nil:
			unexpected = append(unexpected, string(p))
		}
	}})
	call := func(id int, method, params string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		r, err := cl.Call(ctx, []byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`, id, method, params)))
		if err != nil {
			t.Fatalf("%s: %v (stderr: %.2000s)", method, err, stderr.String())
		}
		return r
	}
	uri := "file://" + filepath.Join(ws, "main.go")
	call(1, "initialize", fmt.Sprintf(`{"processId":%d,"rootUri":"file://%s","capabilities":{"workspace":{"configuration":true}}}`, os.Getpid(), ws))
	cl.Send([]byte(`{"jsonrpc":"2.0","method":"initialized","params":{}}`))
	text, _ := json.Marshal(src)
	cl.Send([]byte(fmt.Sprintf(`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":%q,"languageId":"go","version":1,"text":%s}}}`, uri, text)))
	hover := fmt.Sprintf(`{"textDocument":{"uri":%q},"position":{"line":7,"character":15}}`, uri)
	var wg sync.WaitGroup
	for i := range 20 { // pipelined: many in flight at once
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := call(10+i, "textDocument/hover", hover); !strings.Contains(string(r), "Greet says hello") {
				t.Errorf("hover: %s", r)
			}
		}()
	}
	wg.Wait()
	call(2, "shutdown", "null")
	cl.Send([]byte(`{"jsonrpc":"2.0","method":"exit"}`))
	stdin.Close() // the pipeline ends: gopls, the tees, sh; then sockscope's stdout
	<-cl.Done()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sockscope: %v\nstderr: %.2000s", err, stderr.String())
	}

	gotIn, _ := os.ReadFile(in)
	gotOut, _ := os.ReadFile(out)
	tc.mu.Lock()
	sent, got := tc.sent.Bytes(), tc.got.Bytes()
	tc.mu.Unlock()
	if !bytes.Equal(gotIn, sent) {
		t.Errorf("gopls got %d bytes, the client sent %d: not the same", len(gotIn), len(sent))
	}
	if !bytes.Equal(gotOut, got) {
		t.Errorf("the client got %d bytes, gopls sent %d: not the same", len(got), len(gotOut))
	}
	if len(unexpected) > 0 {
		t.Errorf("the client got replies it never asked for: %q", unexpected)
	}

	st := decodeRecording(t, rec)
	hovers := 0
	for _, r := range allRows(st) {
		if r.Kind != protocol.KindRequest {
			continue
		}
		if r.Status != protocol.StatusOK {
			t.Errorf("row %d %s %s (id %s): %v, want ok", r.Seq, r.Dir, r.Method, r.ID, r.Status)
		}
		if r.Method == "textDocument/hover" {
			hovers++
		}
	}
	if hovers != 20 {
		t.Errorf("%d hovers paired, want 20", hovers)
	}
	// The stderr stream: its own connection, the very bytes passed through.
	recs, err := session.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	// Each frame's bytes in order, with only line ends between them (the
	// lines framer does not keep blank lines as frames).
	var errConn uint64
	var frames [][]byte
	for _, r := range recs {
		switch {
		case r.Type == session.TypeOpen && r.Client == "stderr":
			errConn = r.Conn
		case r.Type == session.TypeFrame && r.Conn == errConn && errConn != 0:
			frames = append(frames, r.Data)
		}
	}
	if stderr.Len() == 0 || !strings.Contains(stderr.String(), "textDocument/hover") {
		t.Fatalf("gopls' stderr (its rpc trace) did not pass through: %.500q", stderr.String())
	}
	rest := stderr.Bytes()
	for i, f := range frames {
		at := bytes.Index(rest, f)
		if at < 0 || strings.Trim(string(rest[:at]), "\r\n") != "" {
			t.Fatalf("recorded stderr frame %d %.100q is not next in what passed through: %.200q", i, f, rest)
		}
		rest = rest[at+len(f):]
	}
	if strings.Trim(string(rest), "\r\n") != "" {
		t.Errorf("stderr passed through that was not recorded: %.200q", rest)
	}
}
