// Command lspclient is a small Language Server Protocol client for the
// screenshots: it connects to a Unix socket (sockscope in front of gopls),
// speaks Content-Length framed JSON-RPC and walks one editing session:
// initialize, initialized, textDocument/didOpen of a small Go file,
// textDocument/hover, textDocument/completion, textDocument/documentSymbol,
// shutdown and exit. It answers the server's own requests (configuration,
// progress, registration) as an editor would, and prints one line per step.
//
// Usage:
//
//	lspclient -connect /tmp/x/front.sock -dir /tmp/x/ws
//
// writes a module with a main.go into -dir (if it has none) and opens it.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// source is the Go file the session opens; hover and completion positions
// point into it.
const source = `package main

import (
	"fmt"
	"strings"
)

// Greeting is what the program says, to whom.
type Greeting struct {
	Name  string
	Shout bool
}

// Text renders the greeting.
func (g Greeting) Text() string {
	s := "hello, " + g.Name
	if g.Shout {
		return strings.ToUpper(s)
	}
	return s
}

func main() {
	g := Greeting{Name: "sockscope"}
	fmt.Println(g.Text())
	strings.
}
`

func main() {
	addr := flag.String("connect", "", "Unix socket of the language server (or of sockscope in front of it)")
	dir := flag.String("dir", "", "workspace directory (a module with main.go is written there)")
	timeout := flag.Duration("timeout", 2*time.Minute, "give up after this long")
	flag.Parse()
	if *addr == "" || *dir == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*addr, *dir, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "lspclient:", err)
		os.Exit(1)
	}
}

func run(addr, dir string, timeout time.Duration) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := writeModule(dir); err != nil {
		return err
	}
	c, err := net.Dial("unix", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	time.AfterFunc(timeout, func() { c.Close() })
	cl := &client{conn: c, w: bufio.NewWriter(c), waiting: map[int]chan *message{}, closed: make(chan struct{})}
	go cl.readLoop()

	root := "file://" + dir
	uri := root + "/main.go"
	doc := map[string]any{"uri": uri}
	// Lines and characters are 0-based: "fmt.Println(g.Text())" and "strings.".
	lines := strings.Split(source, "\n")
	textLine := index(lines, "\tfmt.Println(g.Text())")
	dotLine := index(lines, "\tstrings.")

	steps := []struct {
		method string
		params any
	}{
		{"initialize", map[string]any{
			"processId": os.Getpid(), "rootUri": root,
			"clientInfo":       map[string]any{"name": "sockscope-lspclient", "version": "0.1"},
			"workspaceFolders": []any{map[string]any{"uri": root, "name": filepath.Base(dir)}},
			"capabilities": map[string]any{
				"workspace": map[string]any{"configuration": true, "workspaceFolders": true},
				"window":    map[string]any{"workDoneProgress": true},
				"textDocument": map[string]any{
					"hover":          map[string]any{"contentFormat": []string{"markdown", "plaintext"}},
					"documentSymbol": map[string]any{"hierarchicalDocumentSymbolSupport": true},
				},
			},
		}},
		{"initialized", map[string]any{}},
		{"textDocument/didOpen", map[string]any{"textDocument": map[string]any{
			"uri": uri, "languageId": "go", "version": 1, "text": source}}},
		{"textDocument/hover", map[string]any{"textDocument": doc,
			"position": map[string]any{"line": textLine, "character": len("\tfmt.Println(g.T")}}},
		{"textDocument/completion", map[string]any{"textDocument": doc,
			"position": map[string]any{"line": dotLine, "character": len("\tstrings.")}}},
		{"textDocument/documentSymbol", map[string]any{"textDocument": doc}},
		{"shutdown", nil},
		{"exit", nil},
	}
	for _, s := range steps {
		if s.method == "initialized" || s.method == "exit" || strings.HasPrefix(s.method, "textDocument/did") {
			if err := cl.notify(s.method, s.params); err != nil {
				return err
			}
			fmt.Println(s.method)
			continue
		}
		resp, err := cl.call(s.method, s.params)
		if err != nil {
			return fmt.Errorf("%s: %w", s.method, err)
		}
		if resp.Error != nil {
			return fmt.Errorf("%s: %s", s.method, resp.Error)
		}
		fmt.Printf("%s: %d bytes of result\n", s.method, len(resp.Result))
	}
	// exit closes the server's end; wait for it, so every message is seen.
	select {
	case <-cl.closed:
	case <-time.After(5 * time.Second):
	}
	return nil
}

// writeModule writes go.mod and main.go into dir unless main.go is there.
func writeModule(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "main.go")); err == nil {
		return nil
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/hello\n\ngo 1.22\n"), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "main.go"), []byte(source), 0o644)
}

func index(lines []string, s string) int {
	for i, l := range lines {
		if l == s {
			return i
		}
	}
	panic("no line " + strconv.Quote(s))
}

// message is any JSON-RPC 2.0 message.
type message struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method,omitempty"`
	Params  json.RawMessage `json:"params,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   json.RawMessage `json:"error,omitempty"`
}

// client is one connection: writes under a lock, one reader goroutine that
// hands responses to their callers and answers the server's requests.
type client struct {
	conn    net.Conn
	mu      sync.Mutex
	w       *bufio.Writer
	next    int
	waiting map[int]chan *message
	closed  chan struct{} // closed when the server's end is
}

func (c *client) send(m any) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.w, "Content-Length: %d\r\n\r\n", len(body))
	c.w.Write(body)
	return c.w.Flush()
}

func (c *client) notify(method string, params any) error {
	m := map[string]any{"jsonrpc": "2.0", "method": method}
	if params != nil {
		m["params"] = params
	}
	return c.send(m)
}

func (c *client) call(method string, params any) (*message, error) {
	c.mu.Lock()
	c.next++
	id := c.next
	ch := make(chan *message, 1)
	c.waiting[id] = ch
	c.mu.Unlock()
	m := map[string]any{"jsonrpc": "2.0", "id": id, "method": method}
	if params != nil {
		m["params"] = params
	}
	if err := c.send(m); err != nil {
		return nil, err
	}
	resp, ok := <-ch
	if !ok {
		return nil, io.ErrUnexpectedEOF
	}
	return resp, nil
}

func (c *client) readLoop() {
	r := bufio.NewReader(c.conn)
	defer func() {
		c.mu.Lock()
		close(c.closed)
		for id, ch := range c.waiting {
			close(ch)
			delete(c.waiting, id)
		}
		c.mu.Unlock()
	}()
	for {
		m, err := readMessage(r)
		if err != nil {
			return
		}
		switch {
		case m.Method != "" && m.ID != nil:
			c.answer(m)
		case m.Method == "" && m.ID != nil:
			id, _ := strconv.Atoi(string(m.ID))
			c.mu.Lock()
			ch := c.waiting[id]
			delete(c.waiting, id)
			c.mu.Unlock()
			if ch != nil {
				ch <- m
			}
		}
	}
}

// answer replies to a request from the server as a plain editor would.
func (c *client) answer(m *message) {
	var result any
	if m.Method == "workspace/configuration" {
		var p struct {
			Items []json.RawMessage `json:"items"`
		}
		json.Unmarshal(m.Params, &p)
		items := make([]any, len(p.Items))
		for i := range items {
			items[i] = map[string]any{}
		}
		result = items
	}
	c.send(map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": result})
}

// readMessage reads one Content-Length framed message.
func readMessage(r *bufio.Reader) (*message, error) {
	n := -1
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Content-Length") {
			if n, err = strconv.Atoi(strings.TrimSpace(v)); err != nil || n < 0 || n > 64<<20 {
				return nil, fmt.Errorf("bad Content-Length %q", v)
			}
		}
	}
	if n < 0 {
		return nil, fmt.Errorf("no Content-Length")
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	var m message
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	return &m, nil
}
