package capture

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"sockscope/event"
	"sockscope/protocol"
	"sockscope/proxy"
)

// NewWrap returns the Source that relays one connection that came from no
// listener: a wrapped child's stdio, where client is the parent's side
// (its stdin read, its stdout written) and child the child's (its stdout
// read, its stdin written). It is a Relay, so the control port acts on it
// (Send); SendNew fails, as the child has no second connection to give.
// name says what is wrapped, as the Peer's Upstream.
//
// If stderr is not nil, it is read as a stream of its own (and closed
// when ctx is done): forwarded to errOut first, then observed as one more
// connection (its bytes in direction S2C) numbered after the wrapped one.
// When a write to errOut fails (sockscope's stderr was a pipe whose reader
// went), stderr is closed, so that the child's next write to it fails as
// it would have without sockscope (EPIPE, or SIGPIPE).
func NewWrap(client, child net.Conn, name string, stderr io.ReadCloser, errOut io.Writer) *Relay {
	one := &oneConn{client: client, child: child, stderr: stderr, errOut: errOut, name: name}
	r := &proxy.Relay{Upstream: name, Dial: one.dial}
	return &Relay{r: r, one: one, up: proxy.Addr{Network: "stdio", Address: name}}
}

// errOneConn is why a wrapped child gets no connection of sockscope's own.
var errOneConn = errors.New("a wrapped child has one connection, its stdio: no new one can be opened")

// oneConn is what a Relay made by NewWrap relays.
type oneConn struct {
	client, child net.Conn
	stderr        io.ReadCloser
	errOut        io.Writer
	name          string

	mu     sync.Mutex
	dialed bool
}

// dial hands the child to the relay once.
func (o *oneConn) dial(context.Context) (net.Conn, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.dialed {
		return nil, errOneConn
	}
	o.dialed = true
	return o.child, nil
}

// run relays the one connection until both directions ended or ctx is
// done, and the stderr stream to its end.
func (o *oneConn) run(ctx context.Context, r *proxy.Relay) error {
	served := make(chan struct{})
	go func() {
		defer close(served)
		r.ServeConn(ctx, o.client)
	}()
	if o.stderr == nil {
		<-served
		return nil
	}
	stop := context.AfterFunc(ctx, func() { o.stderr.Close() })
	defer stop()
	// The stderr stream is numbered after the wrapped connection.
	for waiting := true; waiting && len(r.Conns()) == 0; {
		select {
		case <-served:
			waiting = false
		case <-time.After(time.Millisecond):
		}
	}
	id := r.ReserveID()
	streamStderr(ctx, r.Queue, id, o.name, o.stderr, o.errOut)
	<-served
	return nil
}

// stderrReadSize is the most read of a child's stderr at once.
const stderrReadSize = 16 << 10

// streamStderr copies src to out, forwarding each read first and then
// putting it on q as Data of connection id, until src ends or a write to
// out fails: then src is closed, as out's reader closed its end (read on
// and thrown away, it never failed the child's writes, and the two spun).
// The connection opens before the first read and closes at the end, with
// the error that ended it, if any.
func streamStderr(ctx context.Context, q *event.Queue, id uint64, name string, src io.ReadCloser, out io.Writer) {
	q.Put(event.Event{Type: event.Open, Conn: id, At: time.Now(), Peer: &event.Peer{
		Client: "stderr", Upstream: name, PID: -1, UID: -1,
	}})
	var werr, rerr error
	for ctx.Err() == nil {
		buf := make([]byte, stderrReadSize)
		n, err := src.Read(buf)
		if n > 0 {
			at := time.Now()
			if out != nil {
				_, werr = out.Write(buf[:n])
			}
			q.Put(event.Event{Type: event.Data, Conn: id, Dir: protocol.S2C, At: at, Data: buf[:n:n]})
		}
		if werr != nil {
			src.Close()
			break
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				rerr = err
			}
			break
		}
	}
	cerr := rerr
	if cerr == nil && werr != nil {
		cerr = errors.New("stderr: " + werr.Error())
	}
	q.Put(event.Event{Type: event.Close, Conn: id, At: time.Now(), Err: cerr})
}
