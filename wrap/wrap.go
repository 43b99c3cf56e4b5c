// Package wrap runs a child process with its stdio connected through
// sockscope, and makes its end behave as if the parent had run it: the
// child's exit status becomes sockscope's, a child killed by a signal makes
// sockscope die of the same signal, and the child dies with sockscope.
//
// Typical use:
//
//	ch, err := wrap.Start(exec.Command("gopls"))
//	...
//	ch.ForwardSignals(ctx)
//	src := capture.NewWrap(wrap.Stdio(os.Stdin, os.Stdout), ch.Conn, "gopls", ch.Stderr, os.Stderr)
//	...
//	st := ch.Wait()
//	wrap.Exit(st)
package wrap

import (
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"time"
)

// Child is a started child process whose stdin, stdout and stderr are
// pipes of sockscope's.
type Child struct {
	// Conn reads the child's stdout and writes its stdin; CloseWrite closes
	// its stdin.
	Conn net.Conn
	// Stderr reads the child's stderr.
	Stderr io.ReadCloser

	cmd    *exec.Cmd
	exited chan struct{}
	status Status
	sys    sysChild // what the platform keeps (a Job object on Windows)
}

// Status is how a child ended.
type Status struct {
	// Code is the exit code; -1 when the child was killed by a signal.
	Code int
	// Signal is the signal that killed the child, if one did.
	Signal os.Signal
	// Err is set when the child could not be waited for.
	Err error
}

// Start starts cmd with pipes for its stdin, stdout and stderr (which must
// be unset), in a process group of its own, set to die with sockscope.
func Start(cmd *exec.Cmd) (*Child, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		outR.Close()
		outW.Close()
		return nil, err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	ch := &Child{
		Conn:   &pipeConn{r: outR, w: inW, name: cmd.Path},
		Stderr: errR,
		cmd:    cmd,
		exited: make(chan struct{}),
	}
	err = ch.start()
	// The child has its ends; ours must go, or its stdin never ends.
	inR.Close()
	outW.Close()
	errW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		errR.Close()
		return nil, err
	}
	return ch, nil
}

// Wait waits for the child to exit and says how it ended.
func (ch *Child) Wait() Status {
	<-ch.exited
	return ch.status
}

// setStatus records how cmd ended, after its Wait returned err.
func (ch *Child) setStatus(err error) {
	st := Status{Code: -1}
	if ps := ch.cmd.ProcessState; ps != nil {
		st.Code = ps.ExitCode()
		st.Signal = signalOf(ps)
	} else {
		st.Err = err
	}
	ch.status = st
	close(ch.exited)
}

// Stdio is the parent's side of a wrapped connection: what the parent
// writes to sockscope's stdin is read, and what is written goes to
// sockscope's stdout. Reads never block Close: stdin is read on a goroutine
// of its own (a file in blocking mode cannot be interrupted), which is left
// blocked when the connection closes before stdin ends.
func Stdio(stdin *os.File, stdout *os.File) *Parent {
	pr, pw := io.Pipe()
	go func() {
		_, err := io.Copy(pw, stdin)
		pw.CloseWithError(err) // nil: EOF
	}()
	return &Parent{pipeConn: pipeConn{r: pr, w: stdout, name: "stdio"}, in: pw}
}

// Parent is the parent's side of a wrapped connection (see Stdio).
type Parent struct {
	pipeConn
	in *io.PipeWriter
}

// EndInput ends what is read from the parent as if its stdin had ended:
// the child is gone, and the relay should finish with what the child wrote.
func (p *Parent) EndInput() { p.in.Close() }

// pipeConn is a net.Conn made of a reader and a writer.
type pipeConn struct {
	r    io.ReadCloser
	w    io.WriteCloser
	name string

	rOnce, wOnce sync.Once
}

// Read implements net.Conn.
func (c *pipeConn) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF && isClosed(err) {
		err = net.ErrClosed
	}
	return n, err
}

// Write implements net.Conn.
func (c *pipeConn) Write(p []byte) (int, error) { return c.w.Write(p) }

// CloseWrite closes the writing side: the reader sees the end of stream.
func (c *pipeConn) CloseWrite() error {
	var err error
	c.wOnce.Do(func() { err = c.w.Close() })
	return err
}

// Close implements net.Conn.
func (c *pipeConn) Close() error {
	c.rOnce.Do(func() { c.r.Close() })
	return c.CloseWrite()
}

// LocalAddr implements net.Conn.
func (c *pipeConn) LocalAddr() net.Addr { return stdioAddr(c.name) }

// RemoteAddr implements net.Conn.
func (c *pipeConn) RemoteAddr() net.Addr { return stdioAddr(c.name) }

// SetDeadline implements net.Conn; pipes of stdio have none.
func (c *pipeConn) SetDeadline(time.Time) error { return nil }

// SetReadDeadline implements net.Conn; pipes of stdio have none.
func (c *pipeConn) SetReadDeadline(time.Time) error { return nil }

// SetWriteDeadline implements net.Conn; pipes of stdio have none.
func (c *pipeConn) SetWriteDeadline(time.Time) error { return nil }

// stdioAddr names an end of a wrapped connection.
type stdioAddr string

func (a stdioAddr) Network() string { return "stdio" }
func (a stdioAddr) String() string  { return string(a) }

// isClosed reports whether err says the reader was closed.
func isClosed(err error) bool {
	return err == io.ErrClosedPipe || err == os.ErrClosed || isErrClosed(err)
}
