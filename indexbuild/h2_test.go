package indexbuild

import (
	"bytes"
	"path/filepath"
	"reflect"
	"sockscope/internal/h2test"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2/hpack"

	"sockscope/protocol"
	"sockscope/session"
)

// h2Side is one direction of a connection of h2File: its HPACK encoder,
// which indexes what it sends (its later blocks are the dynamic table's).
type h2Side struct {
	buf bytes.Buffer
	enc *hpack.Encoder
}

func (s *h2Side) block(fields ...string) []byte {
	if s.enc == nil {
		s.enc = hpack.NewEncoder(&s.buf)
	}
	s.buf.Reset()
	for i := 0; i+1 < len(fields); i += 2 {
		s.enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	return bytes.Clone(s.buf.Bytes())
}

// h2File writes a session of HTTP/2 connections whose header blocks use
// HPACK's dynamic table: two connections interleaved, 200 exchanges each,
// with table size updates, fields big enough to evict others, a block cut
// into HEADERS and CONTINUATION, a block the recording kept only the
// start of (the server's blocks after it are not decoded), a gap (the
// server's stream is raw after it), and a connection seen from its
// middle (no preface: nothing of it decodes).
func h2File(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "h2.jsonl")
	at := time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC)
	r, err := session.Create(path, session.Header{Started: at, Upstream: "unix:/up.sock", Listen: "/front.sock",
		Framing: "http2", IDFields: protocol.DefaultIDFields})
	if err != nil {
		t.Fatal(err)
	}
	frame := func(conn uint64, dir protocol.Dir, data []byte) {
		at = at.Add(time.Millisecond)
		r.Frame(conn, dir, at, protocol.Frame{Data: data, Size: len(data), Wire: len(data)}, protocol.FramingHTTP2, session.Marks{})
	}
	sides := map[[2]uint64]*h2Side{}
	side := func(conn uint64, dir protocol.Dir) *h2Side {
		k := [2]uint64{conn, uint64(dir)}
		if sides[k] == nil {
			sides[k] = &h2Side{}
		}
		return sides[k]
	}
	for conn := uint64(1); conn <= 3; conn++ {
		r.Open(conn, at, "@", "/front.sock", "unix:/up.sock", 40+int(conn), 0, "client", false)
		if conn == 3 {
			continue // seen from its middle
		}
		frame(conn, protocol.C2S, []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"))
		frame(conn, protocol.C2S, h2test.Frame(0x4, 0, 0, nil))
		frame(conn, protocol.S2C, h2test.Frame(0x4, 0, 0, nil))
	}
	for i := range 200 {
		for conn := uint64(1); conn <= 2; conn++ {
			stream := uint32(2*i + 1)
			c, s := side(conn, protocol.C2S), side(conn, protocol.S2C)
			switch {
			case conn == 1 && i == 50:
				c.enc.SetMaxDynamicTableSize(256) // a size update, evicting
			case conn == 1 && i == 100:
				c.enc.SetMaxDynamicTableSize(4096)
			}
			fields := []string{":method", "GET", ":scheme", "http", ":authority", "x", ":path", "/item/" + strconv.Itoa(i),
				"user-agent", "h2-test", "x-kind", strconv.Itoa(i % 7)}
			if i%10 == 3 {
				fields = append(fields, "x-pad", strings.Repeat(strconv.Itoa(i), 600)) // evicts most of the table
			}
			req := c.block(fields...)
			if conn == 2 && i == 30 { // HEADERS, then CONTINUATION: one message
				frame(conn, protocol.C2S, append(h2test.Frame(0x1, 0x1, stream, req[:5]), h2test.Frame(0x9, 0x4, stream, req[5:])...))
			} else {
				frame(conn, protocol.C2S, h2test.Frame(0x1, 0x5, stream, req))
			}
			status := "200"
			if i%5 == 4 {
				status = "404"
			}
			resp := h2test.Frame(0x1, 0x4, stream, s.block(":status", status, "server", "test", "x-n", strconv.Itoa(i)))
			switch {
			case conn == 1 && i == 150: // kept only its start
				at = at.Add(time.Millisecond)
				info := protocol.Info{Kind: protocol.KindResponse, ID: []byte(strconv.Itoa(int(stream))), Method: []byte(status)}
				r.Frame(conn, protocol.S2C, at, protocol.Frame{Data: resp[:12], Size: len(resp), Wire: len(resp), Truncated: true, Whole: &info},
					protocol.FramingHTTP2, session.Marks{})
			case conn == 2 && i == 190:
				r.Gap(conn, protocol.S2C, at, 100)
				frame(conn, protocol.S2C, resp)
			default:
				frame(conn, protocol.S2C, resp)
			}
			frame(conn, protocol.S2C, h2test.Frame(0x0, 0x1, stream, []byte("body "+strconv.Itoa(i))))
		}
	}
	c3, s3 := side(3, protocol.C2S), side(3, protocol.S2C)
	frame(3, protocol.C2S, h2test.Frame(0x1, 0x5, 101, c3.block(":method", "GET", ":scheme", "http", ":authority", "x", ":path", "/mid")))
	frame(3, protocol.S2C, h2test.Frame(0x1, 0x4, 101, s3.block(":status", "200")))
	for conn := uint64(1); conn <= 3; conn++ {
		r.Close(conn, at, "")
	}
	if err := r.End(at, 0, 0); err != nil {
		t.Fatal(err)
	}
	return path
}

// show reads a session through its index, so a header block's frame is
// read alone from the file: its fields come from decoding its direction's
// blocks again, and must be what the live decoder (the store) had, block
// by block: decoded with the dynamic table, or not decoded, and why.
// Read in order, backwards (paging up), and at random, from the index
// the build wrote and from it opened again.
func TestIndexDecodesHTTP2Blocks(t *testing.T) {
	path := h2File(t)
	st := decodeStore(t, path)
	v := openBuilt(t, path, false)
	if err := v.Build.Wait(); err != nil {
		t.Fatal(err)
	}
	first, next := st.MessageBounds()
	if f, n := v.MessageBounds(); f != first || n != next {
		t.Fatalf("messages: store [%d,%d), index [%d,%d)", first, next, f, n)
	}
	decoded, notDecoded := 0, map[string]int{}
	same := func(seq uint64) {
		t.Helper()
		want, _ := st.Message(seq)
		got, ok := v.Message(seq)
		want.At = want.At.UTC()
		if !ok || !reflect.DeepEqual(got, want) {
			wb, _ := protocol.ParseH2Block(want.Frame.Fields)
			gb, _ := protocol.ParseH2Block(got.Frame.Fields)
			t.Fatalf("message %d:\n index %+v\n       %+v\n store %+v\n       %+v", seq, got, gb, want, wb)
		}
	}
	for seq := first; seq < next; seq++ {
		same(seq)
		m, _ := st.Message(seq)
		if b, ok := protocol.ParseH2Block(m.Frame.Fields); ok && b.Err == "" {
			decoded++
		} else if ok {
			notDecoded[b.Err]++
		}
	}
	t.Logf("%d blocks decoded; not decoded: %v", decoded, notDecoded)
	if decoded < 700 {
		t.Errorf("%d blocks decoded: the file does not test the dynamic table", decoded)
	}
	for _, why := range []string{"the recording kept only its start", "client's preface was not seen", "server's first frames were not seen",
		"an earlier header block did not decode"} {
		n := 0
		for k, c := range notDecoded {
			if strings.Contains(k, why) {
				n += c
			}
		}
		if n == 0 {
			t.Errorf("no block not decoded for %q: %v", why, notDecoded)
		}
	}
	// The last request of connection 1 reads /item/199, its fields from
	// the dynamic table.
	for seq := next - 1; seq >= first; seq-- {
		m, _ := v.Message(seq)
		if m.Conn == 1 && m.Info.Kind == protocol.KindRequest {
			if string(m.Info.Method) != "GET /item/199" {
				t.Errorf("connection 1's last request is %q", m.Info.Method)
			}
			break
		}
	}

	// Opened again: backwards, then every seventh.
	v.Close()
	v = openBuilt(t, path, false)
	if v.Built {
		t.Fatal("the index was built again")
	}
	for seq := next - 1; seq >= first; seq-- {
		same(seq)
	}
	v.Close()
	v = openBuilt(t, path, false)
	for i := range next - first {
		same(first + (i*7)%(next-first))
	}
}
