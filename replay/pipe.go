package replay

import (
	"io"
	"net"
	"os"
	"time"
)

// pipe returns the two ends of an in-memory connection, as net.Pipe does
// (a write waits for the other end to read it), whose ends can also be
// closed for writing only: the replay ends what its client sends, as the
// recorded client did (the relay reads the end of stream and passes it on
// to the server), and reads what the server sends until the server ends
// its side.
func pipe() (a, b *pipeEnd) {
	ar, bw := io.Pipe()
	br, aw := io.Pipe()
	return &pipeEnd{r: ar, w: aw}, &pipeEnd{r: br, w: bw}
}

// pipeEnd is one end of a pipe.
type pipeEnd struct {
	r *io.PipeReader
	w *io.PipeWriter
}

// Read implements net.Conn: io.EOF once the other end closed its writing
// side.
func (p *pipeEnd) Read(b []byte) (int, error) { return p.r.Read(b) }

// Write implements net.Conn.
func (p *pipeEnd) Write(b []byte) (int, error) { return p.w.Write(b) }

// CloseWrite closes the writing side: the other end reads the end of
// stream, and this end goes on reading.
func (p *pipeEnd) CloseWrite() error { return p.w.Close() }

// Close implements net.Conn: both sides.
func (p *pipeEnd) Close() error {
	p.r.Close()
	return p.w.Close()
}

// LocalAddr implements net.Conn.
func (p *pipeEnd) LocalAddr() net.Addr { return pipeAddr("pipe") }

// RemoteAddr implements net.Conn.
func (p *pipeEnd) RemoteAddr() net.Addr { return pipeAddr("pipe") }

// SetDeadline implements net.Conn; a pipe has none.
func (p *pipeEnd) SetDeadline(time.Time) error { return os.ErrNoDeadline }

// SetReadDeadline implements net.Conn; a pipe has none.
func (p *pipeEnd) SetReadDeadline(time.Time) error { return os.ErrNoDeadline }

// SetWriteDeadline implements net.Conn; a pipe has none.
func (p *pipeEnd) SetWriteDeadline(time.Time) error { return os.ErrNoDeadline }
