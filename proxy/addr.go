package proxy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pipePrefix starts every Windows named pipe path.
const pipePrefix = `\\.\pipe\`

// Addr is where a socket listens: a Unix socket path, a TCP host:port or a
// Windows named pipe path.
type Addr struct {
	// Network is "unix", "tcp" or "pipe".
	Network string
	// Address is the path, host:port or \\.\pipe\name.
	Address string
}

// String returns the address in a form ParseAddr reads back.
func (a Addr) String() string {
	if a.Network == "pipe" {
		return a.Address
	}
	return a.Network + ":" + a.Address
}

// ParseAddr reads an address as the command line writes it: "unix:/path" or
// any path containing "/" is a Unix socket; "tcp:host:port" or "host:port"
// is TCP, where ":port" means 127.0.0.1:port; "pipe:name" or
// `\\.\pipe\name` is a Windows named pipe.
func ParseAddr(s string) (Addr, error) {
	switch {
	case strings.HasPrefix(s, "unix:"):
		if len(s) == len("unix:") {
			return Addr{}, fmt.Errorf("address %q: no socket path after unix:", s)
		}
		return Addr{"unix", s[len("unix:"):]}, nil
	case strings.HasPrefix(s, "tcp:"):
		return parseTCP(s, s[len("tcp:"):])
	case strings.HasPrefix(s, "pipe:"):
		name := strings.TrimPrefix(s[len("pipe:"):], pipePrefix)
		if name == "" {
			return Addr{}, fmt.Errorf("address %q: no pipe name after pipe:", s)
		}
		return Addr{"pipe", pipePrefix + name}, nil
	case len(s) >= len(pipePrefix) && strings.EqualFold(s[:len(pipePrefix)], pipePrefix):
		if len(s) == len(pipePrefix) {
			return Addr{}, fmt.Errorf("address %q: no pipe name", s)
		}
		return Addr{"pipe", s}, nil
	case strings.Contains(s, "/"):
		return Addr{"unix", s}, nil
	case strings.Contains(s, ":"):
		return parseTCP(s, s)
	}
	return Addr{}, fmt.Errorf(`address %q: want unix:/path, a path containing "/", tcp:host:port, host:port, pipe:name or \\.\pipe\name`, s)
}

func parseTCP(s, hostport string) (Addr, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return Addr{}, fmt.Errorf("address %q: want host:port: %v", s, err)
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || (p == 0 && port != "0") {
		return Addr{}, fmt.Errorf("address %q: port %q is not a number from 0 to 65535", s, port)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return Addr{"tcp", net.JoinHostPort(host, port)}, nil
}

// Listen listens at a. A Unix socket is created with permissions mode (if
// zero, 0600); Listen replaces a stale socket file nobody answers on, but
// refuses, removing nothing, when the path is a live socket, a regular file,
// a directory or anything else. Closing the listener removes the socket
// file. Named pipes exist only on Windows, and get DefaultPipeSDDL.
func Listen(a Addr, mode os.FileMode) (net.Listener, error) {
	return ListenConfig{Mode: mode}.Listen(a)
}

// ListenConfig says who may connect to what Listen creates.
type ListenConfig struct {
	// Mode is the file mode of a Unix socket; zero means 0600.
	Mode os.FileMode
	// PipeSDDL is the security descriptor of a named pipe, in SDDL; ""
	// means DefaultPipeSDDL (the current user, SYSTEM and the
	// Administrators only). Set for any other network, Listen refuses.
	PipeSDDL string
}

// Listen listens at a, as the package's Listen does, with lc's settings.
func (lc ListenConfig) Listen(a Addr) (net.Listener, error) {
	if lc.PipeSDDL != "" && a.Network != "pipe" {
		return nil, fmt.Errorf("listen %s: a security descriptor is for named pipes, and this is %s", a, a.Network)
	}
	switch a.Network {
	case "tcp":
		return net.Listen("tcp", a.Address)
	case "pipe":
		return listenPipe(a.Address, lc.PipeSDDL)
	case "unix":
		mode := lc.Mode
		if mode == 0 {
			mode = 0o600
		}
		if err := clearStale(a.Address); err != nil {
			return nil, err
		}
		return listenUnix(a.Address, mode.Perm())
	}
	return nil, fmt.Errorf("listen %s: unknown network %q", a, a.Network)
}

// clearStale makes room for a Unix socket at path: nothing there is fine, a
// socket that refuses connections is removed, anything else is an error.
func clearStale(path string) error {
	if strings.HasPrefix(path, "@") { // Linux abstract socket: no file
		return nil
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("listen unix %s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		what := "a file that is not a socket"
		switch {
		case fi.Mode().IsRegular():
			what = "a regular file"
		case fi.IsDir():
			what = "a directory"
		}
		return fmt.Errorf("listen unix %s: %s is in the way (not removing it)", path, what)
	}
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("listen unix %s: another process is listening there", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("listen unix %s: a socket is there and may be in use (not removing it): %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("listen unix %s: removing stale socket: %w", path, err)
	}
	return nil
}

// DialFunc returns a function that dials a, for Relay.Dial.
func DialFunc(a Addr) func(ctx context.Context) (net.Conn, error) {
	if a.Network == "pipe" {
		return func(ctx context.Context) (net.Conn, error) { return dialPipe(ctx, a.Address) }
	}
	var d net.Dialer
	return func(ctx context.Context) (net.Conn, error) {
		return d.DialContext(ctx, a.Network, a.Address)
	}
}
