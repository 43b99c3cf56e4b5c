//go:build unix

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
)

// echoService answers line-delimited JSON-RPC-ish requests
// {"id":N,"method":"echo","params":"…"} with {"id":N,"result":"…"}, one
// reply line per request line, as fast as it can.
type echoService struct {
	// replySize is the size of each reply line, newline included; if zero,
	// the size of the request it answers.
	replySize int
	// decode makes it decode each request and encode each reply with
	// encoding/json, spending the CPU a real service does.
	decode bool

	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// startEcho serves on a new unix socket at path.
func startEcho(path string, replySize int, decode bool) (*echoService, error) {
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	s := &echoService{replySize: replySize, decode: decode, ln: ln, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *echoService) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// close stops the service and waits for its goroutines.
func (s *echoService) close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// serve answers the requests of one connection, flushing its replies
// whenever no more requests are already buffered, so pipelined requests get
// batched replies and a lone request gets its reply at once.
func (s *echoService) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 64<<10)
	w := bufio.NewWriterSize(c, 64<<10)
	var long []byte // a line longer than r's buffer, being assembled
	reply := make([]byte, 0, 1024)
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, line...)
			continue
		}
		if err != nil {
			if !errors.Is(err, io.EOF) || len(line)+len(long) == 0 {
				return
			}
		}
		if long != nil {
			long = append(long, line...)
			line, long = long, nil
		}
		size := s.replySize
		if size <= 0 {
			size = len(line)
		}
		if s.decode {
			reply = decodeReply(reply[:0], line)
		} else {
			reply = appendReply(reply[:0], requestID(line), size)
		}
		if _, err := w.Write(reply); err != nil {
			return
		}
		if r.Buffered() == 0 {
			if w.Flush() != nil {
				return
			}
		}
	}
}

// decodeReply decodes request line with encoding/json and appends the
// reply it encodes: {"id":N,"result":PARAMS}, or an error reply for a
// request that does not decode.
func decodeReply(b, line []byte) []byte {
	var req struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
	}
	var resp struct {
		ID     json.RawMessage `json:"id"`
		Result json.RawMessage `json:"result,omitempty"`
		Error  string          `json:"error,omitempty"`
	}
	if err := json.Unmarshal(line, &req); err != nil {
		resp.ID, resp.Error = json.RawMessage("null"), err.Error()
	} else {
		resp.ID, resp.Result = req.ID, req.Params
	}
	out, _ := json.Marshal(resp)
	return append(append(b, out...), '\n')
}

// requestID returns the digits of the request's "id" member ("0" if none):
// a byte scan, as the requests are ours.
func requestID(line []byte) []byte {
	i := bytes.Index(line, []byte(`"id":`))
	if i < 0 {
		return []byte("0")
	}
	line = line[i+5:]
	n := 0
	for n < len(line) && (line[n] == '-' || line[n] >= '0' && line[n] <= '9') {
		n++
	}
	if n == 0 {
		return []byte("0")
	}
	return line[:n]
}

// appendReply appends {"id":ID,"result":"xxx…"}\n padded to size bytes
// (or as short as it can be).
func appendReply(b, id []byte, size int) []byte {
	b = append(b, `{"id":`...)
	b = append(b, id...)
	b = append(b, `,"result":"`...)
	return pad(b, size-len(b)-3, `"}`)
}

// appendRequest appends {"id":N,"method":"echo","params":"xxx…"}\n padded
// to size bytes (or as short as it can be).
func appendRequest(b []byte, id int64, size int) []byte {
	start := len(b)
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"method":"echo","params":"`...)
	return pad(b, size-(len(b)-start)-3, `"}`)
}

// filler is what requests and replies are padded with.
var filler = bytes.Repeat([]byte("x"), 1<<20)

// pad appends n filler bytes (none if n ≤ 0), then end and a newline.
func pad(b []byte, n int, end string) []byte {
	for n > 0 {
		k := min(n, len(filler))
		b = append(b, filler[:k]...)
		n -= k
	}
	b = append(b, end...)
	return append(b, '\n')
}
