package protocol

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// wholes feeds chunks to f, flushes, and returns, for each frame, what its
// Whole says ("-" when it has none).
func wholes(f Framer, chunks ...[]byte) []string {
	var out []string
	emit := func(frp *Frame) {
		fr := *frp
		if fr.Whole == nil {
			out = append(out, "-")
			return
		}
		w := fr.Whole
		s := fmt.Sprintf("%v id=%s method=%s error=%v size=%d %s", w.Kind, w.ID, w.Method, w.IsError, fr.Size, w.Err)
		if w.Continues {
			s += " continues"
		}
		out = append(out, s)
	}
	for _, c := range chunks {
		buf := bytes.Clone(c)
		f.Feed(buf, emit)
		for i := range buf {
			buf[i] = '#'
		}
	}
	f.Flush(emit)
	return out
}

// A frame over the cap is classified from all its bytes, however it is cut
// into chunks, in each framing: the members that tell what it is may come
// after the bytes kept. A varlink message over the cap was raw ("unexpected
// end"): its framer did not scan it.
func TestFramesOverTheCapAreClassifiedWhole(t *testing.T) {
	big := strings.Repeat("x", 100)
	req := `{"jsonrpc":"2.0","method":"big","params":{"blob":"` + big + `","n":[1,{"a":"\"}"}]},"id":{"k":7}}`
	resp := `{"jsonrpc":"2.0","result":"` + big + `\\","id":{"k":7}}`
	fail := `{"error":{"message":"` + big + `"},"rid":3}`
	cases := []struct {
		name    string
		framing Framing
		in      string
		want    []string
	}{
		{"lines", FramingLines, req + "\n" + resp + "\r\n" + `{"small":1}` + "\n" + fail + "\n", []string{
			fmt.Sprintf(`request id={"k":7} method=big error=false size=%d `, len(req)),
			fmt.Sprintf(`response id={"k":7} method= error=false size=%d `, len(resp)),
			"-",
			fmt.Sprintf(`response id=3 method= error=true size=%d `, len(fail)),
		}},
		{"content-length", FramingContentLength, lsp(req) + lsp(`{}`) + lsp(resp), []string{
			fmt.Sprintf(`request id={"k":7} method=big error=false size=%d `, len(req)),
			"-",
			fmt.Sprintf(`response id={"k":7} method= error=false size=%d `, len(resp)),
		}},
		{"auto", FramingAuto, req + "\n", []string{fmt.Sprintf(`request id={"k":7} method=big error=false size=%d `, len(req))}},
		{"broken", FramingLines, `{"id":1,"params":"` + big + `"` + "\n" + `{"id":1,"a":[` + big + "]]}\n" + `{"a":"` + big + "\xff\"}\n", []string{
			fmt.Sprintf("raw id= method= error=false size=%d unexpected end", len(big)+19),
			fmt.Sprintf("raw id= method= error=false size=%d %s", len(big)+16, errObjectComma),
			fmt.Sprintf("raw id= method= error=false size=%d invalid UTF-8", len(big)+9),
		}},
		{"varlink", FramingVarlink, `{"method":"org.example.Echo","parameters":{"s":"` + big + `"}}` + "\x00" +
			`{"parameters":{"s":"` + big + `"},"method":"org.example.Log","oneway":true}` + "\x00" +
			`{"parameters":{"s":"` + big + `"},"continues":true}` + "\x00" + `{}` + "\x00" +
			`{"parameters":{"m":"` + big + `"},"error":"org.example.Failed"}` + "\x00", []string{
			fmt.Sprintf("request id= method=org.example.Echo error=false size=%d ", len(big)+51),
			fmt.Sprintf("notification id= method=org.example.Log error=false size=%d ", len(big)+64),
			fmt.Sprintf("response id= method= error=false size=%d  continues", len(big)+40),
			"-",
			fmt.Sprintf("response id= method=org.example.Failed error=true size=%d ", len(big)+52),
		}},
		{"raw", FramingRaw, `{"id":1,"method":"m","p":"` + big + `"}`, []string{
			fmt.Sprintf("request id=1 method=m error=false size=%d ", len(big)+28),
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := []byte(c.in)
			if got := wholes(NewFramer(c.framing, 40, DefaultIDFields...), in); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("whole:\n got %q\nwant %q", got, c.want)
			}
			if c.framing == FramingRaw {
				return // a raw frame is a chunk: it is not cut
			}
			for _, way := range splits(in) {
				if got := wholes(NewFramer(c.framing, 40, DefaultIDFields...), way...); fmt.Sprint(got) != fmt.Sprint(c.want) {
					t.Fatalf("fed in %d chunks:\n got %q\nwant %q", len(way), got, c.want)
				}
			}
		})
	}
}

// A frame over the cap whose id field is not a default one is found with
// the framer's id fields; the scan's state stays bounded: a kept token
// over maxToken is let go, and a frame nested deeper than maxDepth is raw.
func TestStreamScanBounds(t *testing.T) {
	f := NewFramer(FramingLines, 16, "tag")
	got := wholes(f, []byte(`{"params":[1,2,3],"tag":"t1","method":"m"}`+"\n"))
	if want := "request id=\"t1\" method=m"; !strings.HasPrefix(got[0], want) {
		t.Errorf("custom id field: %q, want %q", got[0], want)
	}
	long := `{"method":"` + strings.Repeat("m", maxToken) + `","id":1}`
	got = wholes(NewFramer(FramingLines, 16, DefaultIDFields...), []byte(long[:20]), []byte(long[20:]+"\n"))
	if !strings.HasPrefix(got[0], "other id= method=") {
		t.Errorf("over-long method: %q, want other (the member let go)", got[0])
	}
	// An error too long to keep is still an error.
	longErr := `{"error":{"message":"` + strings.Repeat("e", maxToken) + `"},"id":4}`
	got = wholes(NewFramer(FramingLines, 16, DefaultIDFields...), []byte(longErr[:20]), []byte(longErr[20:]+"\n"))
	if !strings.HasPrefix(got[0], "response id=4 method= error=true") {
		t.Errorf("over-long error: %q, want an error response", got[0])
	}
	deep := strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1)
	got = wholes(NewFramer(FramingLines, 16, DefaultIDFields...), []byte(deep[:100]), []byte(deep[100:]+"\n"))
	if !strings.HasSuffix(got[0], errDeep) {
		t.Errorf("deep array: %q, want %q", got[0], errDeep)
	}
	var s streamScan
	s.reset()
	s.feed([]byte(`{"id":1,"a":[` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `]}`))
	if info := s.result(); info.Kind != KindOther {
		t.Errorf("200 levels: %+v", info)
	}
	s.reset()
	s.feed([]byte(`{"id":1,"method":"m"}`)) // after a deep frame, the stack is clear
	if info := s.result(); info.Kind != KindRequest {
		t.Errorf("after reset: %+v", info)
	}
}

// A framer made without id fields (a relay's) only frames: a frame over
// the cap has no Whole.
func TestFramerWithoutIDsDoesNotClassify(t *testing.T) {
	for _, f := range []Framing{FramingAuto, FramingLines, FramingContentLength, FramingRaw} {
		in := []byte(`{"id":1,"method":"m","p":"` + strings.Repeat("x", 64) + `"}` + "\n")
		if f == FramingContentLength {
			in = []byte(lsp(string(in)))
		}
		if got := wholes(NewFramer(f, 16), in[:30], in[30:]); got[0] != "-" {
			t.Errorf("%v: %q", f, got)
		}
	}
}
