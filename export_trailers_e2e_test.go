//go:build unix

package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
)

// Trailers recorded through the real binary between real peers and
// exported as HAR. Go's net/http server (h2c) answers with trailers: the
// CRC-32 of the body it got, and the checksum the request's own trailer
// said, if it had one; over HTTP/1.1 they follow the last chunk, over
// HTTP/2 the DATA frames. curl asks over both (and says which trailers it
// got), and Go's client uploads a chunked body with its checksum as a
// trailer over both. Each entry has the trailers of its request and
// response as _trailers, as the peers sent them; the file is valid HAR
// 1.2 (har-validator); show's E writes the same file, to the byte; show
// --dump shows the trailers too.
func TestHARTrailersFromGo(t *testing.T) {
	need(t, "curl")
	dir := shortDir(t)
	up := filepath.Join(dir, "go.sock")
	ln, err := net.Listen("unix", up)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h2c.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got := r.Trailer.Get("X-Upload-Sum")
		w.Header().Set("Trailer", "X-Checksum")
		if got != "" {
			w.Header().Add("Trailer", "X-Got")
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "%s got %d bytes", r.Proto, len(body))
		w.(http.Flusher).Flush() // the body first, then the trailers
		w.Header().Set("X-Checksum", fmt.Sprintf("%08x", crc32.ChecksumIEEE(body)))
		if got != "" {
			w.Header().Set("X-Got", got)
		}
	}), &http2.Server{})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	front, rec := filepath.Join(dir, "front.sock"), filepath.Join(dir, "s.jsonl")
	stop := sockscope(t, "--headless", "--lossless", "-w", rec, "--listen", front, up)
	dialWait(t, front)

	sum := func(s string) string { return fmt.Sprintf("%08x", crc32.ChecksumIEEE([]byte(s))) }
	// curl, which says in -D the trailers it got after the headers.
	curlGot := map[string]string{}
	for _, c := range []struct{ path, proto string }{{"/curl1", "--http1.1"}, {"/curl2", "--http2-prior-knowledge"}} {
		hdrs := filepath.Join(dir, "hdrs"+c.path[1:])
		if out, err := exec.Command("curl", "-sS", c.proto, "--unix-socket", front, "-D", hdrs, "-o", "/dev/null",
			"--data-binary", "ping "+c.path, "http://x"+c.path).CombinedOutput(); err != nil {
			t.Fatalf("curl %s: %v\n%s", c.path, err, out)
		}
		b, _ := os.ReadFile(hdrs)
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(strings.TrimSpace(l), ": "); ok && strings.EqualFold(k, "X-Checksum") {
				curlGot[c.path] = v
			}
		}
	}
	// Go's client: a chunked upload with its checksum as a trailer.
	unix := func(context.Context, string, string) (net.Conn, error) { return net.Dial("unix", front) }
	h1 := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return unix(ctx, "", "") }}}
	h2 := &http.Client{Transport: &http2.Transport{AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, _, _ string, _ *tls.Config) (net.Conn, error) { return unix(ctx, "", "") }}}
	for path, c := range map[string]*http.Client{"/go1": h1, "/go2": h2} {
		body := "upload " + path
		req, err := http.NewRequest("PUT", "http://x"+path, io.NopCloser(strings.NewReader(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = -1 // chunked, over HTTP/1.1
		req.Trailer = http.Header{"X-Upload-Sum": {sum(body)}}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if g := resp.Trailer.Get("X-Got"); g != sum(body) {
			t.Fatalf("%s: the server got the trailer %q, want %q", path, g, sum(body))
		}
	}
	h1.CloseIdleConnections()
	h2.CloseIdleConnections()
	stop()

	harFile := filepath.Join(dir, "s.har")
	b := exportTo(t, rec, harFile)
	type nv struct{ Name, Value string }
	type half struct {
		Trailers []nv `json:"_trailers"`
	}
	var har struct {
		Log struct {
			Entries []struct {
				Request struct {
					half
					URL, HTTPVersion string
				}
				Response half
			}
		}
	}
	if err := json.Unmarshal(b, &har); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"/curl1": fmt.Sprintf("HTTP/1.1 [] [{X-Checksum %s}]", sum("ping /curl1")),
		"/curl2": fmt.Sprintf("HTTP/2.0 [] [{x-checksum %s}]", sum("ping /curl2")),
		"/go1":   fmt.Sprintf("HTTP/1.1 [{X-Upload-Sum %[1]s}] [{X-Checksum %[1]s} {X-Got %[1]s}]", sum("upload /go1")),
		"/go2":   fmt.Sprintf("HTTP/2.0 [{x-upload-sum %[1]s}] [{x-checksum %[1]s} {x-got %[1]s}]", sum("upload /go2")),
	}
	n := 0
	for _, e := range har.Log.Entries {
		path, ok := strings.CutPrefix(e.Request.URL, "http://x")
		if !ok {
			continue // dialWait's connection
		}
		n++
		got := fmt.Sprint(e.Request.HTTPVersion, " ", e.Request.Trailers, " ", e.Response.Trailers)
		if got != want[path] {
			t.Errorf("%s: %s, want %s", path, got, want[path])
		}
		if c, ok := curlGot[path]; ok && !strings.Contains(got, c) {
			t.Errorf("%s: curl got X-Checksum %s, the entry says %s", path, c, got)
		}
	}
	if n != len(want) || len(curlGot) != 2 {
		t.Errorf("%d HTTP entries, want %d; curl said the trailers of %d", n, len(want), len(curlGot))
	}
	validateHAR(t, harFile, "")
	showExportsTheSame(t, dir, rec, b)

	// show --dump (and the detail pane, the same view): an HTTP/1.1
	// message with its "trailers", HTTP/2's trailers a TRAILERS message
	// of their own, with their "headers".
	out, _ := showRun(t, "show", "--dump", rec)
	var shown []string
	for _, m := range ofType(dumpLines(t, []byte(out)), "message") {
		f, _ := m["frame"].(map[string]any)
		switch {
		case f["trailers"] != nil:
			shown = append(shown, fmt.Sprint(m["method"], " ", f["trailers"]))
		case m["method"] == "TRAILERS":
			shown = append(shown, fmt.Sprint(m["dir"], " TRAILERS ", f["headers"]))
		}
	}
	wantShown := []string{
		fmt.Sprintf("200 OK map[X-Checksum:%s]", sum("ping /curl1")),
		fmt.Sprintf("s2c TRAILERS map[x-checksum:%s]", sum("ping /curl2")),
		fmt.Sprintf("PUT /go1 map[X-Upload-Sum:%s]", sum("upload /go1")),
		fmt.Sprintf("200 OK map[X-Checksum:%[1]s X-Got:%[1]s]", sum("upload /go1")),
		fmt.Sprintf("c2s TRAILERS map[x-upload-sum:%s]", sum("upload /go2")),
		fmt.Sprintf("s2c TRAILERS map[x-checksum:%[1]s x-got:%[1]s]", sum("upload /go2")),
	}
	if got := strings.Join(shown, "\n"); got != strings.Join(wantShown, "\n") {
		t.Errorf("show --dump shows the trailers as\n%s\nwant\n%s", got, strings.Join(wantShown, "\n"))
	}
}
