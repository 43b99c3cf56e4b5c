//go:build windows

package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// listenPipe listens on the named pipe path in byte mode, with the
// security descriptor sddl (SDDL; "" for DefaultPipeSDDL). Byte-mode pipe
// connections have no CloseWrite, so the relay passes an end of stream on
// by closing the connection.
func listenPipe(path, sddl string) (net.Listener, error) {
	if sddl == "" {
		var err error
		if sddl, err = DefaultPipeSDDL(); err != nil {
			return nil, fmt.Errorf("listen %s: %w", path, err)
		}
	}
	ln, err := winio.ListenPipe(path, &winio.PipeConfig{SecurityDescriptor: sddl})
	if err != nil {
		return nil, err
	}
	if err := takeFirstInstance(path); err != nil {
		ln.Close()
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	return ln, nil
}

// takeFirstInstance connects to path once and hangs up, so that no client
// is left on go-winio's hidden first pipe instance.
//
// go-winio's ListenPipe creates the pipe with a first instance opened for
// SYNCHRONIZE only, which it never connects nor serves: it keeps the name
// while the instances that Accept creates take the clients. It counts on
// the named pipe file system keeping such an instance disconnected, so that
// no client can reach it (go-winio commit bd71ef0, "pipe: Fix
// ListenPipe/DialPipe race"). Windows 10 and later do. Windows 7 and Server
// 2008 R2 do not: there the first client lands on that instance and waits
// forever (go-winio issues #173 and #313, both open; #313 proposes this
// very dial-and-close), and wine 8.0 behaves the same way, every time,
// which is where sockscope met it. So this is go-winio's behaviour on
// older Windows as much as wine's.
//
// Where the instance admits clients, this connection takes it and leaves
// it closing, never to be reached again. Where it does not (Windows 10 and
// later), no instance listens yet, and the pipe answers ERROR_PIPE_BUSY at
// once: nothing to do. A client that connects between the pipe's creation
// and this call, a window of one system call, can still take the instance.
func takeFirstInstance(path string) error {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return err
	}
	// No access asked for: connecting is all this needs.
	h, err := windows.CreateFile(p, 0, 0, nil, windows.OPEN_EXISTING,
		windows.SECURITY_SQOS_PRESENT|windows.SECURITY_ANONYMOUS, 0)
	if errors.Is(err, windows.ERROR_PIPE_BUSY) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("connecting to its first instance: %w", err)
	}
	return windows.CloseHandle(h)
}

// DefaultPipeSDDL is the security descriptor of the pipes sockscope
// creates unless told otherwise (--pipe-sddl): owned by the current user,
// full access for that user, SYSTEM and the Administrators, nobody else,
// and nothing inherited (P). Windows' own default would let Everyone and
// Anonymous read.
func DefaultPipeSDDL() (string, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return "", fmt.Errorf("reading the current user: %w", err)
	}
	sid := u.User.Sid.String()
	return "O:" + sid + "D:P(A;;FA;;;" + sid + ")(A;;FA;;;SY)(A;;FA;;;BA)", nil
}

func dialPipe(ctx context.Context, path string) (net.Conn, error) {
	return winio.DialPipeContext(ctx, path)
}
