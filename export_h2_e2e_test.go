//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sockscope/internal/missing"
)

// harDir holds the HAR 1.2 validator (har-validator, its JSON Schema),
// installed by .ci/run (npm ci) from the committed package-lock.json.
const harDir = "testdata/har"

// HTTP/2 exchanges exported as HAR: real nginx speaking HTTP/2 with prior
// knowledge, real curl (a gzip-encoded text of 200,001 bytes in many DATA
// frames, a PUT of a JSON body with cookies, a 503), recorded through the
// real binary. Each exchange is an HTTP entry (its SETTINGS, DATA and
// WINDOW_UPDATE frames none of their own): its method, URL from :scheme,
// :authority and :path with its query, httpVersion HTTP/2.0, the fields
// curl says it sent and got (curl -v), in their order, the response's
// status, bodies from the stream's DATA frames (the gzip decoded, its
// bodySize the bytes curl downloaded; the PUT's body as uploaded), and
// timings that add up. har-validator finds it valid HAR 1.2, and show's E
// (through the file's index) writes the same file.
func TestHARofHTTP2FromNginx(t *testing.T) {
	need(t, "curl", "nginx")
	dir := shortDir(t)
	os.MkdirAll(filepath.Join(dir, "html"), 0o755)
	text := strings.Repeat("All work and no play makes Jack a dull boy. ", 4546)[:200_001]
	if err := os.WriteFile(filepath.Join(dir, "html", "big.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	upload := filepath.Join(dir, "up.json")
	if err := os.WriteFile(upload, []byte(`{"put":"this"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, _ := exec.Command("nginx", "-V").CombinedOutput(); !strings.Contains(string(out), "http_v2") {
		t.Skip("this nginx has no http_v2 module")
	}
	up := runNginx(t, dir, "h2.sock", "http2", `
    location = /fail { return 503 'down'; }
    location /dav/ { dav_methods PUT; create_full_put_path on; }
    location /gz/ { alias DIR/html/; gzip on; gzip_types text/plain; gzip_min_length 1; }`)
	front, rec := filepath.Join(dir, "front.sock"), filepath.Join(dir, "s.jsonl")
	stop := sockscope(t, "--headless", "--lossless", "-w", rec, "--listen", front, up)
	dialWait(t, front)

	// What curl sent (its h2h3 lines: the fields, in order) and got (its
	// "<" lines), and the body bytes it downloaded and uploaded.
	type said struct {
		sent, got  []string
		down, upld string
	}
	fieldRE := regexp.MustCompile(`(?m)^\* h2h3 \[(.*)\]\r?$`)
	gotRE := regexp.MustCompile(`(?m)^< (.*?) *\r?$`)
	curls := map[string]said{}
	curl := func(url string, args ...string) {
		t.Helper()
		c := exec.Command("curl", append([]string{"-sS", "-v", "--http2-prior-knowledge", "--unix-socket", front,
			"-o", "/dev/null", "-w", "%{size_download} %{size_upload}"}, append(args, url)...)...)
		var stderr bytes.Buffer
		c.Stderr = &stderr
		out, err := c.Output()
		if err != nil {
			t.Fatalf("curl %s: %v\n%s", url, err, stderr.String())
		}
		var s said
		for _, m := range fieldRE.FindAllStringSubmatch(stderr.String(), -1) {
			s.sent = append(s.sent, m[1])
		}
		for _, m := range gotRE.FindAllStringSubmatch(stderr.String(), -1) {
			if m[1] != "" {
				s.got = append(s.got, m[1])
			}
		}
		fmt.Sscan(string(out), &s.down, &s.upld)
		curls[url] = s
	}
	curl("http://x/gz/big.txt?q=1&r=two", "--compressed")
	curl("http://x/dav/up.json", "-T", upload, "-H", "Cookie: a=1; b=2")
	curl("http://x/fail")
	stop()

	harFile := filepath.Join(dir, "s.har")
	b := exportTo(t, rec, harFile)
	type nv struct{ Name, Value string }
	var har struct {
		Log struct {
			Entries []struct {
				Time    float64
				Request struct {
					Method, URL, HTTPVersion string
					Headers, Cookies         []nv
					QueryString              []nv
					PostData                 *struct{ MimeType, Text string }
					BodySize                 int
				}
				Response struct {
					Status                  int
					StatusText, HTTPVersion string
					Headers                 []nv
					Content                 struct {
						Size                              int
						Compression                       *int
						MimeType, Text, Encoding, Comment string
					}
					RedirectURL string
					BodySize    int
				}
				Timings struct{ Send, Wait, Receive float64 }
			}
		}
	}
	if err := json.Unmarshal(b, &har); err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, e := range har.Log.Entries {
		urls = append(urls, e.Request.Method+" "+e.Request.URL)
	}
	if got := strings.Join(urls, ", "); got != "GET http://x/gz/big.txt?q=1&r=two, PUT http://x/dav/up.json, GET http://x/fail" {
		t.Fatalf("entries: %s", got)
	}
	for _, e := range har.Log.Entries {
		c := curls[e.Request.URL]
		var sent, got []string
		for _, h := range e.Request.Headers {
			sent = append(sent, h.Name+": "+h.Value)
		}
		got = append(got, fmt.Sprintf("HTTP/2 %d", e.Response.Status))
		for _, h := range e.Response.Headers[1:] {
			got = append(got, h.Name+": "+h.Value)
		}
		switch {
		case e.Request.HTTPVersion != "HTTP/2.0" || e.Response.HTTPVersion != "HTTP/2.0":
			t.Errorf("%s: versions %q %q", e.Request.URL, e.Request.HTTPVersion, e.Response.HTTPVersion)
		case strings.Join(sent, "\n") != strings.Join(c.sent, "\n"):
			t.Errorf("%s: the request's headers\n%s\ncurl sent\n%s", e.Request.URL, strings.Join(sent, "\n"), strings.Join(c.sent, "\n"))
		case e.Response.Headers[0] != (nv{":status", fmt.Sprint(e.Response.Status)}) || strings.Join(got, "\n") != strings.Join(c.got, "\n"):
			t.Errorf("%s: the response's headers\n%s\ncurl got\n%s", e.Request.URL, strings.Join(got, "\n"), strings.Join(c.got, "\n"))
		case fmt.Sprint(e.Response.BodySize) != c.down || fmt.Sprint(max(e.Request.BodySize, 0)) != c.upld:
			t.Errorf("%s: bodySize %d/%d, curl %s/%s", e.Request.URL, e.Request.BodySize, e.Response.BodySize, c.upld, c.down)
		case e.Timings.Wait <= 0 || e.Time != e.Timings.Send+e.Timings.Wait+e.Timings.Receive:
			t.Errorf("%s: time %v, timings %+v", e.Request.URL, e.Time, e.Timings)
		}
	}
	gz, put, fail := har.Log.Entries[0], har.Log.Entries[1], har.Log.Entries[2]
	if c := gz.Response.Content; gz.Response.Status != 200 || c.Size != 200_001 || c.Text != text || c.Compression == nil ||
		*c.Compression != 200_001-gz.Response.BodySize || c.MimeType != "text/plain" || c.Comment != "" {
		t.Errorf("the gzip text: status %d, size %d, the text: %v, compression %v, %s, comment %q", gz.Response.Status, c.Size, c.Text == text, c.Compression, c.MimeType, c.Comment)
	}
	if q := gz.Request.QueryString; len(q) != 2 || q[0] != (nv{"q", "1"}) || q[1] != (nv{"r", "two"}) {
		t.Errorf("the query string: %v", q)
	}
	if p := put.Request.PostData; p == nil || p.Text != `{"put":"this"}` || p.MimeType != "application/json" ||
		len(put.Request.Cookies) != 2 || put.Request.Cookies[1] != (nv{"b", "2"}) ||
		put.Response.Status != 201 || put.Response.StatusText != "Created" || put.Response.RedirectURL != "http://x/dav/up.json" {
		t.Errorf("the PUT: %+v, cookies %v, %d %s, redirect %q", p, put.Request.Cookies, put.Response.Status, put.Response.StatusText, put.Response.RedirectURL)
	}
	if fail.Response.Status != 503 || fail.Response.StatusText != "Service Unavailable" || fail.Response.Content.Text != "down" || fail.Request.PostData != nil {
		t.Errorf("the 503: %d %s %q", fail.Response.Status, fail.Response.StatusText, fail.Response.Content.Text)
	}

	// show's E, through the file's index (the one the recording wrote),
	// writes the same file.
	showExportsTheSame(t, dir, rec, b)
	validateHAR(t, harFile, "GET http://x/gz/big.txt?q=1&r=two 200 HTTP/2.0\nPUT http://x/dav/up.json 201 HTTP/2.0\nGET http://x/fail 503 HTTP/2.0\n")
}

// validateHAR checks file with a HAR consumer, the HAR 1.2 schema
// (har-validator), which reads each entry as its method, URL, status and
// httpVersion, one a line: that, unless want is empty, must be want.
func validateHAR(t *testing.T, file, want string) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		missing.Peer(t, "node is not installed")
	}
	if _, err := os.Stat(filepath.Join(harDir, "node_modules", "har-validator")); err != nil {
		missing.Peer(t, "the HAR validator is not installed: (cd testdata/har && npm ci)")
	}
	out, err := exec.Command("node", filepath.Join(harDir, "check.js"), file).CombinedOutput()
	if err != nil {
		t.Fatalf("har-validator: %v\n%s", err, out)
	}
	if want != "" && string(out) != want {
		t.Errorf("the validator read\n%s\nwant\n%s", out, want)
	}
}

// showExportsTheSame checks that show's E, through the index of the file
// rec (the one its recording wrote), writes exported, what sockscope
// export of it wrote, to the byte: its times too, to the nanosecond.
func showExportsTheSame(t *testing.T, dir, rec string, exported []byte) {
	t.Helper()
	tm := newTerm(t, dir, 160, 40, nil, binary, "show", rec)
	tm.waitScreen("the file's rows, its index read", func(s string) error {
		if len(listRows(s)) == 0 || strings.Contains(s, "indexing") {
			return fmt.Errorf("no rows, or still indexing")
		}
		return nil
	})
	tm.export(filepath.Join(dir, "shown.har"))
	tm.waitText("the export's notice", "as har to")
	tm.keys("q")
	shown, err := os.ReadFile(filepath.Join(dir, "shown.har"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shown, exported) {
		i := 0
		for i < min(len(shown), len(exported)) && shown[i] == exported[i] {
			i++
		}
		t.Errorf("show's export differs from sockscope export's at byte %d: %q, not %q", i,
			shown[max(i-200, 0):min(i+100, len(shown))], exported[max(i-200, 0):min(i+100, len(exported))])
	}
}
