//go:build unix

package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The README's "The session file" is a specification others write readers
// from. testdata/sessionreader/read_session.py is such a reader, written
// from the README alone in Python (standard library only): these tests
// record real sessions with the real binary, have it read each file and
// check every rule the README states, and hold what it reads to what
// `show --dump` and `export --format jsonl` make of the same file.

// pyFile is what read_session.py prints.
type pyFile struct {
	Error    string         `json:"error"`
	Segments []pySegment    `json:"segments"`
	Skipped  []int          `json:"skipped"`
	Unknown  map[string]int `json:"unknown"`
	Problems []struct {
		Line    int    `json:"line"`
		Problem string `json:"problem"`
	} `json:"problems"`
}

type pySegment struct {
	Header map[string]any `json:"header"`
	Opens  []struct {
		Conn    int     `json:"conn"`
		At      string  `json:"at"`
		Client  string  `json:"client"`
		PID     *int    `json:"pid"`
		UID     *int    `json:"uid"`
		Process *string `json:"process"`
		Own     bool    `json:"own"`
	} `json:"opens"`
	Frames []pyFrame `json:"frames"`
	Gaps   []struct {
		Line  int    `json:"line"`
		Conn  int    `json:"conn"`
		Dir   string `json:"dir"`
		At    string `json:"at"`
		Bytes int    `json:"bytes"`
	} `json:"gaps"`
	Closes []struct {
		Conn int     `json:"conn"`
		At   string  `json:"at"`
		Err  *string `json:"err"`
	} `json:"closes"`
	End *struct {
		At            string  `json:"at"`
		DroppedEvents *int    `json:"dropped_events"`
		DroppedBytes  *int    `json:"dropped_bytes"`
		Continues     *string `json:"continues"`
	} `json:"end"`
	Compares int  `json:"compares"`
	Refused  bool `json:"refused"`
}

type pyFrame struct {
	Line      int            `json:"line"`
	Conn      int            `json:"conn"`
	Dir       string         `json:"dir"`
	At        string         `json:"at"`
	Framing   string         `json:"framing"`
	Size      int            `json:"size"`
	Wire      int            `json:"wire"`
	Payload   string         `json:"payload_b64"`
	UTF8      bool           `json:"utf8"`
	Truncated bool           `json:"truncated"`
	Injected  bool           `json:"injected"`
	Withheld  bool           `json:"withheld"`
	Err       *string        `json:"err"`
	Act       *string        `json:"act"`
	Whole     map[string]any `json:"whole"`
	Began     *string        `json:"began"`
}

// payload is the frame's payload bytes as the Python reader decoded them.
func (f pyFrame) payload() []byte {
	b, _ := base64.StdEncoding.DecodeString(f.Payload)
	return b
}

// readWithPython runs the Python reader on file and returns what it read;
// it fails the test on any rule of the README the file breaks.
func readWithPython(t *testing.T, file string) pyFile {
	t.Helper()
	need(t, "python3")
	cmd := exec.Command("python3", filepath.Join("testdata", "sessionreader", "read_session.py"), file)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("read_session.py: %v\n%s", err, errb.String())
	}
	var py pyFile
	if jerr := json.Unmarshal(out, &py); jerr != nil {
		t.Fatalf("read_session.py printed no JSON (%v): %s\nstderr: %s", jerr, out, errb.String())
	}
	if py.Error != "" {
		t.Fatalf("the Python reader could not read %s: %s", filepath.Base(file), py.Error)
	}
	for _, p := range py.Problems {
		t.Errorf("%s line %d: %s", filepath.Base(file), p.Line, p.Problem)
	}
	if err != nil && len(py.Problems) == 0 {
		t.Fatalf("read_session.py: %v\n%s", err, errb.String())
	}
	return py
}

// opposite is the other direction.
func opposite(dir string) string {
	if dir == "c2s" {
		return "s2c"
	}
	return "c2s"
}

// specCheck reads file with the Python reader and holds what it read to
// what show --dump and export --format jsonl report of the same file:
// the same connections (peer, pid, process, own), the same frames in each
// direction (time, size, payload, flags), gaps and closes, and every frame
// in exactly one exported exchange.
func specCheck(t *testing.T, file string) pyFile {
	t.Helper()
	py := readWithPython(t, file)
	// show and export skip a segment they can't read, as the reader does,
	// and say so with their exit status.
	refused := false
	for _, s := range py.Segments {
		refused = refused || s.Refused
	}
	dumped, errOut, status := runStatus(t, "show", "--dump", file)
	if status != 0 && !(refused && status == 1) {
		t.Fatalf("show --dump: exit %d\n%s", status, errOut)
	}
	lines := dumpLines(t, []byte(dumped))

	// Connections are numbered per segment in the file and across the
	// file in show: pair them by their open line.
	type segConn struct{ seg, conn int }
	showConn := map[segConn]float64{}
	opens := ofType(lines, "open")
	used := map[float64]bool{}
	for si, seg := range py.Segments {
		for _, o := range seg.Opens {
			var match []map[string]any
			for _, d := range opens {
				if d["at"] == o.At && d["client"] == o.Client && !used[d["conn"].(float64)] {
					match = append(match, d)
				}
			}
			if len(match) == 0 {
				t.Errorf("segment %d: connection %d (opened %s by %q) is not in show --dump", si+1, o.Conn, o.At, o.Client)
				continue
			}
			d := match[0]
			used[d["conn"].(float64)] = true
			showConn[segConn{si, o.Conn}] = d["conn"].(float64)
			want := map[string]any{"pid": nil, "uid": nil, "process": nil, "own": nil}
			if o.PID != nil {
				want["pid"] = float64(*o.PID)
			}
			if o.UID != nil {
				want["uid"] = float64(*o.UID)
			}
			if o.Process != nil {
				want["process"] = *o.Process
			}
			if o.Own {
				want["own"] = true
			}
			for k, v := range want {
				if d[k] != v {
					t.Errorf("connection %d of segment %d: %s is %v in the file, %v in show --dump", o.Conn, si+1, k, v, d[k])
				}
			}
		}
	}
	if len(opens) != len(showConn) {
		t.Errorf("show --dump has %d connections, the Python reader %d", len(opens), len(showConn))
	}

	// Frames, one direction of one connection at a time, in order.
	type cd struct {
		conn float64
		dir  string
	}
	pyFrames := map[cd][]pyFrame{}
	total := 0
	for si, seg := range py.Segments {
		for _, f := range seg.Frames {
			k := cd{showConn[segConn{si, f.Conn}], f.Dir}
			pyFrames[k] = append(pyFrames[k], f)
			total++
		}
	}
	dumpFrames := map[cd][]map[string]any{}
	msgs := ofType(lines, "message")
	for _, m := range msgs {
		k := cd{m["conn"].(float64), m["dir"].(string)}
		dumpFrames[k] = append(dumpFrames[k], m)
	}
	if len(msgs) != total {
		t.Errorf("show --dump has %d messages, the Python reader %d frames", len(msgs), total)
	}
	for k, fs := range pyFrames {
		ds := dumpFrames[k]
		if len(ds) != len(fs) {
			t.Errorf("connection %v %s: %d frames read, %d messages in show --dump", k.conn, k.dir, len(fs), len(ds))
			continue
		}
		for i, f := range fs {
			d := ds[i]
			flag := func(name string) bool { return d[name] == true }
			if d["at"] != f.At || d["size"] != float64(f.Size) || flag("truncated") != f.Truncated ||
				flag("injected") != f.Injected || flag("withheld") != f.Withheld {
				t.Errorf("line %d: the frame read (at %s, size %d, truncated %v, injected %v, withheld %v) is shown as %v",
					f.Line, f.At, f.Size, f.Truncated, f.Injected, f.Withheld, d)
			}
			if act, _ := d["act"].(string); f.Act != nil && *f.Act != act || f.Act == nil && act != "" {
				t.Errorf("line %d: note.act %v, show --dump's act %q", f.Line, f.Act, act)
			}
			p := f.payload()
			switch {
			case d["text"] != nil:
				if d["text"] != string(p) {
					t.Errorf("line %d: payload %q, shown as text %q", f.Line, p, d["text"])
				}
			case d["b64"] != nil:
				if d["b64"] != base64.StdEncoding.EncodeToString(p) {
					t.Errorf("line %d: payload %q, shown as b64 %v", f.Line, p, d["b64"])
				}
			case d["frame"] != nil && json.Valid(p):
				var c bytes.Buffer
				json.Compact(&c, p)
				got, _ := json.Marshal(d["frame"])
				var want any
				json.Unmarshal(c.Bytes(), &want)
				w, _ := json.Marshal(want)
				if !bytes.Equal(got, w) {
					t.Errorf("line %d: payload %s, shown as %s", f.Line, p, got)
				}
			}
		}
	}
	for k, ds := range dumpFrames {
		if _, ok := pyFrames[k]; !ok {
			t.Errorf("connection %v %s: %d messages in show --dump, none read", k.conn, k.dir, len(ds))
		}
	}

	// Gaps and closes.
	var pyGaps, dumpGaps []string
	closes := map[float64]string{}
	for si, seg := range py.Segments {
		for _, g := range seg.Gaps {
			pyGaps = append(pyGaps, fmt.Sprint(showConn[segConn{si, g.Conn}], g.Dir, g.At, g.Bytes))
		}
		for _, c := range seg.Closes {
			s := "clean"
			if c.Err != nil {
				s = "error: " + *c.Err
			}
			closes[showConn[segConn{si, c.Conn}]] = c.At + " " + s
		}
		// A rotating recording's connections still open as it went on in
		// the next file end there, as open at exit.
		if e := seg.End; e != nil && e.Continues != nil {
			for _, o := range seg.Opens {
				if c := showConn[segConn{si, o.Conn}]; closes[c] == "" {
					closes[c] = e.At + " error: open at exit"
				}
			}
		}
	}
	for _, g := range ofType(lines, "gap") {
		dumpGaps = append(dumpGaps, fmt.Sprint(g["conn"], g["dir"], g["at"], int(g["bytes"].(float64))))
	}
	slices.Sort(pyGaps)
	slices.Sort(dumpGaps)
	if !slices.Equal(pyGaps, dumpGaps) {
		t.Errorf("gaps read %q, in show --dump %q", pyGaps, dumpGaps)
	}
	for _, l := range lines {
		var s string
		switch {
		case l["type"] == "close" && l["open_at_exit"] == true:
			s = "error: open at exit"
		case l["type"] == "close":
			s = "clean"
		case l["type"] == "error":
			s = "error: " + l["error"].(string)
		default:
			continue
		}
		c := l["conn"].(float64)
		want, ok := closes[c]
		switch {
		case ok && want != l["at"].(string)+" "+s:
			t.Errorf("connection %v: closed %s in the file, %s %s in show --dump", c, want, l["at"], s)
		case !ok && !strings.HasPrefix(s, "error: the recording ends here"):
			t.Errorf("connection %v: no close read, show --dump says %v", c, l)
		}
		delete(closes, c)
	}
	for c, s := range closes {
		t.Errorf("connection %v: closed %s in the file, not in show --dump", c, s)
	}

	// Every frame is in exactly one exported exchange, as its request or
	// its response.
	out, errOut, status := runStatus(t, "export", "--format", "jsonl", file)
	if status != 0 && !(refused && status == 1) {
		t.Fatalf("export --format jsonl: exit %d\n%s", status, errOut)
	}
	var sides []string
	for l := range strings.Lines(out) {
		var x map[string]any
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatalf("export line %q: %v", l, err)
		}
		if x["request_at"] != nil {
			sides = append(sides, fmt.Sprint(x["conn"], x["dir"], x["request_at"], int(x["request_size"].(float64))))
		}
		if x["response_at"] != nil {
			// A reply's row is in the direction of its request, but an
			// orphan's, which has none: the reply's own.
			d := x["dir"].(string)
			if x["status"] != "orphan" {
				d = opposite(d)
			}
			sides = append(sides, fmt.Sprint(x["conn"], d, x["response_at"], int(x["response_size"].(float64))))
		}
	}
	var frames []string
	for k, fs := range pyFrames {
		for _, f := range fs {
			frames = append(frames, fmt.Sprint(k.conn, f.Dir, f.At, f.Size))
		}
	}
	slices.Sort(sides)
	slices.Sort(frames)
	if !slices.Equal(sides, frames) {
		t.Errorf("the exported exchanges hold %d frames, the file %d:\nexported %q\nread     %q", len(sides), len(frames), sides, frames)
	}
	return py
}

// seedRules are the rules the seed service runs under in underRules: an
// answer made up (the second add), an edit, a delay, a duplicate.
var seedRules = []string{
	"--rule", "method:add error:-32000:boom after:1 once",
	"--rule", `method:echo set:$.args[0]="edited" once`,
	"--rule", "method:time delay:10ms once",
	"--rule", "dir:s2c kind:response duplicate once",
}

// underRules drives the seed service through sockscope at front, run
// under seedRules with its feed at feed: the calls the rules act on (two
// adds, an echo, a time), then calls (each `"method","args":[…]`), each
// waited for; then frames
// sockscope sends itself through the feed: to the client, to the server
// on the client's connection, and on a connection of its own, whose reply
// it waits for.
func underRules(t *testing.T, front, feed string, calls ...string) {
	t.Helper()
	c := dialListening(t, front)
	c.SetDeadline(time.Now().Add(time.Minute))
	cr := bufio.NewReader(c)
	line := func(r *bufio.Reader, what string) string {
		t.Helper()
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading %s: %v", what, err)
		}
		return l
	}
	// until reads lines from r until one holds s.
	until := func(r *bufio.Reader, s string) {
		t.Helper()
		for !strings.Contains(line(r, s), s) {
		}
	}
	until(cr, `"register"`)
	calls = append([]string{`"add","args":[1,2]`, `"add","args":[3,4]`, `"echo","args":["x"]`, `"time","args":[2,3]`}, calls...)
	for rid, call := range calls {
		fmt.Fprintf(c, `{"rid":%d,"method":%s}`+"\n", rid+1, call)
		until(cr, fmt.Sprintf(`"rid":%d`, rid+1))
	}
	f := dialListening(t, feed)
	f.SetDeadline(time.Now().Add(time.Minute))
	fr := bufio.NewReader(f)
	line(fr, "the feed's hello")
	fmt.Fprintln(f, `{"op":"send","req":1,"conn":1,"dir":"s2c","msg":{"action":"notice","text":"from sockscope"}}`)
	line(fr, "send's result")
	until(cr, `"notice"`)
	fmt.Fprintln(f, `{"op":"send","req":2,"conn":1,"dir":"c2s","msg":{"rid":9,"method":"add","args":[5,5]}}`)
	line(fr, "send's result")
	fmt.Fprintln(f, `{"op":"send_new","req":3,"conn":1,"msg":{"rid":7,"method":"add","args":[3,4]}}`)
	line(fr, "send_new's result")
	fmt.Fprintln(f, `{"op":"attach"}`)
	for l := ""; !strings.Contains(l, `"conn":2,"dir":"s2c"`) || !strings.Contains(l, `\"rid\":7`); {
		l = line(fr, "the reply on sockscope's connection")
	}
	c.Close()
	f.Close()
}

// framesWhere counts the frames of every segment for which ok holds.
func framesWhere(py pyFile, ok func(f pyFrame) bool) int {
	n := 0
	for _, s := range py.Segments {
		for _, f := range s.Frames {
			if ok(f) {
				n++
			}
		}
	}
	return n
}

// The seed protocol's demo, recorded.
func TestSessionSpecDemo(t *testing.T) {
	file := filepath.Join(shortDir(t), "demo.jsonl")
	if out, err := exec.Command(binary, "demo", "--headless", "--for", "2500ms", "-w", file).CombinedOutput(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	py := specCheck(t, file)
	if len(py.Segments) != 1 || py.Segments[0].End == nil || framesWhere(py, func(pyFrame) bool { return true }) < 10 {
		t.Fatalf("want one segment ended cleanly with the demo's frames: %+v", py.Segments)
	}
}

// Line-delimited JSON-RPC and LSP framing with what a reader must get
// right: a \r\n line end, a frame over --max-frame, a line that is not
// JSON, one that is not UTF-8, controls the writer escapes, partial frames
// at the end of a stream; the seed service under rules (an answer made up,
// an edit, a delay, a duplicate) and with frames sockscope itself sent
// (to the client, to the server on a client's connection, and on a
// connection of its own); then the file cut short as a crash leaves it
// and recorded to again.
func TestSessionSpecEdges(t *testing.T) {
	dir := shortDir(t)
	echo, seed := filepath.Join(dir, "echo.sock"), filepath.Join(dir, "seed.sock")
	echoServer(t, echo)
	file := filepath.Join(dir, "s.jsonl")

	front := filepath.Join(dir, "f.sock")
	stop := started(t, "listening on", "--headless", "--lossless", "--max-frame", "64", "-w", file, "--listen", front, echo)
	exchange := func(data string) {
		t.Helper()
		c := dialListening(t, front)
		c.Write([]byte(data))
		c.(*net.UnixConn).CloseWrite()
		c.SetReadDeadline(time.Now().Add(time.Minute))
		if _, err := bufio.NewReader(c).WriteTo(&bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	exchange(`{"jsonrpc":"2.0","id":1,"method":"echo"}` + "\n" +
		`{"jsonrpc":"2.0","id":2,"method":"echo","params":"` + strings.Repeat("x", 200) + `"}` + "\r\n" +
		"not json\n\xff\xfe\x00bin\n\n\r\n" +
		`{"id":3,"method":"ctl","params":"` + "\x7f \u0085 \u2028 \u2029 \x1b[31m \t \x08 \f" + `"}` + "\n" +
		"partial, no line end")
	body := `{"jsonrpc":"2.0","id":1,"method":"m1"}`
	big := `{"jsonrpc":"2.0","id":2,"method":"m2","params":"` + strings.Repeat("y", 100) + `"}`
	exchange(fmt.Sprintf("Content-Length: %d\r\n\r\n%sContent-Length: %d\r\n\r\n%sContent-Length: 10\r\n\r\nshort",
		len(body), body, len(big), big))
	stop()

	seedServerAt(t, seed)
	feed := filepath.Join(dir, "feed.sock")
	stop = started(t, "listening on", slices.Concat([]string{"--headless", "--feed=" + feed, "-w", file, "--listen", front}, seedRules, []string{seed})...)
	underRules(t, front, feed)
	stop()

	// A crash cuts the last record short; recording again goes on after it.
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(file, b[:len(b)-20], 0o600)
	stop = started(t, "listening on", "--headless", "-w", file, "--listen", front, echo)
	exchange(`{"jsonrpc":"2.0","id":1,"method":"echo"}` + "\n")
	stop()
	// A newer sockscope's segment, of a version this one does not know,
	// then this one's again: the newer segment is refused whole.
	newer, _ := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	newer.WriteString(`{"type":"header","format":"sockscope-session","version":2,"started":"2026-12-06T00:00:00Z","new":1}` + "\n" +
		`{"type":"open","conn":1,"at":"2026-12-06T00:00:01Z","client":"@","listen":"","upstream":""}` + "\n" +
		`{"type":"frame","conn":1,"dir":"c2s","at":"2026-12-06T00:00:01Z","framing":"lines","size":2,"wire":3,"text":"{}"}` + "\n" +
		`{"type":"hologram","conn":1,"in":"3d"}` + "\n")
	newer.Close()
	stop = started(t, "listening on", "--headless", "-w", file, "--listen", front, echo)
	exchange(`{"jsonrpc":"2.0","id":1,"method":"echo"}` + "\n")
	stop()

	py := specCheck(t, file)
	var refused []int
	for i, s := range py.Segments {
		if s.Refused {
			refused = append(refused, i+1)
		}
	}
	if len(py.Segments) != 5 || len(py.Skipped) != 1 || !slices.Equal(refused, []int{4}) {
		t.Errorf("%d segments, cut lines %v, segments refused %v; want 5, one, the fourth", len(py.Segments), py.Skipped, refused)
	}
	for what, ok := range map[string]func(pyFrame) bool{
		"a truncated frame with its whole": func(f pyFrame) bool { return f.Truncated && f.Whole != nil },
		"a \\r\\n line":                    func(f pyFrame) bool { return f.Framing == "lines" && f.Wire == f.Size+2 },
		"a line after blank lines":         func(f pyFrame) bool { return f.Framing == "lines" && f.Wire == f.Size+4 },
		"a payload that is not UTF-8":      func(f pyFrame) bool { return !f.UTF8 },
		"a partial frame with its err":     func(f pyFrame) bool { return f.Err != nil },
		"a content-length frame":           func(f pyFrame) bool { return f.Framing == "content-length" && f.Err == nil },
		"an injected frame":                func(f pyFrame) bool { return f.Injected },
		"a withheld frame":                 func(f pyFrame) bool { return f.Withheld },
		"an edit":                          func(f pyFrame) bool { return f.Act != nil && *f.Act == "edit" },
		"a delay":                          func(f pyFrame) bool { return f.Act != nil && *f.Act == "delay" },
		"a made-up answer":                 func(f pyFrame) bool { return f.Act != nil && *f.Act == "fab" },
		"a duplicate":                      func(f pyFrame) bool { return f.Act != nil && *f.Act == "dup" },
	} {
		if framesWhere(py, ok) == 0 {
			t.Errorf("the recording has no frame of the kind %s", what)
		}
	}
	own := false
	for _, s := range py.Segments {
		for _, o := range s.Opens {
			own = own || o.Own
		}
	}
	if !own {
		t.Error("the recording has no connection of sockscope's own")
	}
}

// An LSP session with the real gopls.
func TestSessionSpecGopls(t *testing.T) {
	_, _, _, file := goplsSession(t)
	py := specCheck(t, file)
	if framesWhere(py, func(f pyFrame) bool { return f.Framing == "content-length" }) < 10 {
		t.Fatal("want gopls' LSP frames")
	}
}

// HTTP/1.1: nginx driven by curl.
func TestSessionSpecNginx(t *testing.T) {
	need(t, "curl")
	dir := shortDir(t)
	up := startNginx(t, dir)
	front, file := filepath.Join(dir, "front.sock"), filepath.Join(dir, "s.jsonl")
	stop := started(t, "listening on", "--headless", "--lossless", "--max-frame", "4096", "-w", file, "--listen", front, up)
	os.WriteFile(filepath.Join(dir, "html", "big.txt"), bytes.Repeat([]byte("0123456789abcdef\n"), 1000), 0o644)
	for _, args := range [][]string{
		{"http://x/json", "http://x/data.json", "http://x/nothing"},
		{"-I", "http://x/data.json"},
		{"http://x/fail"},
		{"http://x/chunked/data.json"},
		{"-H", "Accept-Encoding: gzip", "http://x/gz/big.txt"},
		{"http://x/big.txt"},
		{"-T", "-", "-H", "Expect: 100-continue", "http://x/dav/up.txt"},
	} {
		cmd := exec.Command("curl", append([]string{"-sS", "-o", "/dev/null", "--unix-socket", front}, args...)...)
		cmd.Stdin = strings.NewReader("uploaded\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, out)
		}
	}
	stop()
	py := specCheck(t, file)
	if framesWhere(py, func(f pyFrame) bool { return f.Framing == "http" }) < 10 ||
		framesWhere(py, func(f pyFrame) bool { return f.Truncated }) == 0 {
		t.Fatal("want HTTP frames, one of them truncated")
	}
	// The upload's headers came first, its body after the 100 Continue.
	if framesWhere(py, func(f pyFrame) bool { return f.Began != nil && f.Dir == "c2s" }) == 0 {
		t.Error("want a request that began in an earlier read than its end, with its began")
	}
}

// Redis RESP: redis-cli and a pipelined redis-benchmark.
func TestSessionSpecRedis(t *testing.T) {
	need(t, "redis-server", "redis-cli", "redis-benchmark")
	dir := shortDir(t)
	up, front := startRedis(t, dir), filepath.Join(dir, "f.sock")
	file := filepath.Join(dir, "s.jsonl")
	stop := started(t, "listening on", "--headless", "--lossless", "-w", file, "--listen", front, up)
	for _, args := range [][]string{{"set", "k", "v"}, {"rpush", "l", "a", "b"}, {"lrange", "l", "0", "-1"}, {"incr", "l"}, {"-3", "hgetall", "h"}} {
		if out, err := exec.Command("redis-cli", append([]string{"-s", front}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
	}
	bench := exec.Command("redis-benchmark", "-s", front, "-P", "8", "-n", "200", "-c", "2", "-q", "-t", "set,get")
	if out, err := bench.CombinedOutput(); err != nil {
		t.Fatalf("redis-benchmark: %v\n%s", err, out)
	}
	stop()
	py := specCheck(t, file)
	if framesWhere(py, func(f pyFrame) bool { return f.Framing == "resp" }) < 400 {
		t.Fatal("want the RESP frames")
	}
}

// A rotating recording: each file is a session of its own, ended by an
// end that names the next.
func TestSessionSpecRotation(t *testing.T) {
	dir := shortDir(t)
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "f.sock")
	echoServer(t, svc)
	file := filepath.Join(dir, "s.jsonl")
	stop := started(t, "listening on", "--headless", "--lossless", "-w", file, "--record-max-size", "8K", "--listen", front, svc)
	c := dialListening(t, front)
	r := bufio.NewReader(c)
	for id := 1; id <= 300; id++ {
		call(t, c, r, id)
	}
	c.Close()
	stop()
	files, _ := filepath.Glob(filepath.Join(dir, "s*.jsonl"))
	if len(files) < 3 {
		t.Fatalf("files %v, want a rotation", files)
	}
	continued := 0
	for _, f := range files {
		py := specCheck(t, f)
		if e := py.Segments[0].End; e != nil && e.Continues != nil {
			if _, err := os.Stat(filepath.Join(dir, *e.Continues)); err != nil {
				t.Errorf("%s continues in %s: %v", f, *e.Continues, err)
			}
			continued++
		}
	}
	if continued != len(files)-1 {
		t.Errorf("%d of %d files continue in another", continued, len(files))
	}
}

// HTTP/2 with prior knowledge: nginx, three streams at once by hand, then
// curl.
func TestSessionSpecHTTP2(t *testing.T) {
	need(t, "curl")
	dir := shortDir(t)
	up := startNginxH2(t, dir)
	front, file := filepath.Join(dir, "front.sock"), filepath.Join(dir, "s.jsonl")
	stop := started(t, "listening on", "--headless", "--lossless", "-w", file, "--listen", front, up)
	h2Streams(t, front, "/json", "/fail", "/data.json")
	if out, err := exec.Command("curl", "-sS", "--http2-prior-knowledge", "--unix-socket", front, "http://x/json").CombinedOutput(); err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	stop()
	py := specCheck(t, file)
	if framesWhere(py, func(f pyFrame) bool { return f.Framing == "http2" }) < 10 {
		t.Fatal("want HTTP/2 frames")
	}
}

// The README's example file breaks none of the README's rules.
func TestSessionSpecREADMEExample(t *testing.T) {
	doc, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := bytes.Cut(doc, []byte("## The session file\n"))
	_, rest, _ := bytes.Cut(section, []byte("```\n"))
	example, _, _ := bytes.Cut(rest, []byte("```\n"))
	file := filepath.Join(t.TempDir(), "example.jsonl")
	os.WriteFile(file, example, 0o600)
	py := readWithPython(t, file)
	if len(py.Segments) != 1 || len(py.Segments[0].Frames) != 4 || len(py.Segments[0].Gaps) != 1 {
		t.Fatalf("the example read as %+v", py.Segments)
	}
}
