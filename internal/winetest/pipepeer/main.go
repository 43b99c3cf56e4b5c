//go:build windows

// Command pipepeer is the Windows side of the wine test: a seed-protocol
// named-pipe server, a client that checks every reply byte for byte, and
// a reader of a pipe's security descriptor.
//
//	pipepeer server PIPE       serve until Ctrl-C
//	pipepeer probe PIPE        connect once (waiting for the pipe), hang up
//	pipepeer client PIPE N     N requests one at a time, N pipelined, a bye
//	pipepeer sd PIPE           print the pipe's owner and DACL, and the user
//	pipepeer dial PIPE         connect once (waiting for the pipe), print the error if any
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"

	"sockscope/internal/winetest"
	"sockscope/proxy"
)

// patience bounds every wait: a hung pipe becomes an error, not a hang.
const patience = 60 * time.Second

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: pipepeer server|probe|client|sd|dial PIPE [N]")
		os.Exit(2)
	}
	path := os.Args[2]
	var err error
	switch os.Args[1] {
	case "server":
		err = serve(path)
	case "probe":
		var c net.Conn
		if c, err = dial(path); err == nil {
			c.Close()
		}
	case "client":
		n, _ := strconv.Atoi(os.Args[3])
		err = client(path, n)
	case "sd":
		err = printSD(path)
	case "dial":
		var c net.Conn
		if c, err = dial(path); err == nil {
			c.Close()
			fmt.Println("connected")
		} else {
			fmt.Println("dial:", err)
			err = nil
		}
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pipepeer:", err)
		os.Exit(1)
	}
}

// serve answers seed-protocol requests on every connection until Ctrl-C.
// It listens with sockscope's own proxy.Listen, so that its first client
// (sockscope dialling upstream) is not left on go-winio's hidden instance.
func serve(path string) error {
	ln, err := proxy.Listen(proxy.Addr{Network: "pipe", Address: path}, 0)
	if err != nil {
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	go func() {
		<-sig
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			fmt.Println("server: stopped:", err)
			return nil
		}
		go func() {
			defer c.Close()
			if _, err := io.WriteString(c, winetest.Register); err != nil {
				return
			}
			r := bufio.NewReader(c)
			for {
				line, err := r.ReadBytes('\n')
				if err != nil {
					return
				}
				reply, hangUp := winetest.Answer(line)
				if _, err := io.WriteString(c, reply); err != nil || hangUp {
					return
				}
			}
		}()
	}
}

// dial connects to path, waiting for the pipe to exist (and go-winio
// waiting for a free instance): the first connection that succeeds is the
// pipe's first client.
func dial(path string) (net.Conn, error) {
	deadline := time.Now().Add(patience)
	for {
		timeout := time.Until(deadline)
		c, err := winio.DialPipe(path, &timeout)
		if err == nil || !errors.Is(err, windows.ERROR_FILE_NOT_FOUND) || time.Now().After(deadline) {
			return c, err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// client sends n requests one at a time, then n more pipelined, then a bye,
// and checks every byte that comes back, then that the server's hang-up
// arrives as the end of the stream.
func client(path string, n int) error {
	c, err := dial(path)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(patience))
	r := bufio.NewReader(c)
	expect := func(want string) error {
		got, err := r.ReadString('\n')
		if err != nil {
			return fmt.Errorf("waiting for %q: %w (got %q)", want, err, got)
		}
		if got != want {
			return fmt.Errorf("got %q, want %q", got, want)
		}
		return nil
	}
	if err := expect(winetest.Register); err != nil {
		return err
	}
	for rid := 1; rid <= n; rid++ {
		if _, err := io.WriteString(c, winetest.Request(rid)); err != nil {
			return err
		}
		if err := expect(winetest.WantReply(rid, false)); err != nil {
			return err
		}
	}
	errc := make(chan error, 1)
	go func() {
		w := bufio.NewWriter(c)
		for rid := n + 1; rid <= 2*n; rid++ {
			w.WriteString(winetest.Request(rid))
		}
		errc <- w.Flush()
	}()
	for rid := n + 1; rid <= 2*n; rid++ {
		if err := expect(winetest.WantReply(rid, false)); err != nil {
			return err
		}
	}
	if err := <-errc; err != nil {
		return err
	}
	bye := 2*n + 1
	if _, err := io.WriteString(c, winetest.Bye(bye)); err != nil {
		return err
	}
	if err := expect(winetest.WantReply(bye, true)); err != nil {
		return err
	}
	if b, err := r.ReadByte(); err != io.EOF {
		return fmt.Errorf("after bye: want the end of the stream, got %q, %v", b, err)
	}
	fmt.Printf("ok pid=%d requests=%d\n", os.Getpid(), bye)
	return nil
}

// printSD opens path (waiting for it) for READ_CONTROL only (a connection the server sees
// open and close) and prints its owner and DACL as SDDL, then the user.
func printSD(path string) error {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return err
	}
	h, err := windows.CreateFile(p, windows.READ_CONTROL, 0, nil, windows.OPEN_EXISTING, 0, 0)
	for deadline := time.Now().Add(patience); errors.Is(err, windows.ERROR_FILE_NOT_FOUND) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond) // not there yet
		h, err = windows.CreateFile(p, windows.READ_CONTROL, 0, nil, windows.OPEN_EXISTING, 0, 0)
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer windows.CloseHandle(h)
	sd, err := windows.GetSecurityInfo(h, windows.SE_KERNEL_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("GetSecurityInfo: %w", err)
	}
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return err
	}
	fmt.Printf("sddl=%s\nuser=%s\npid=%d\n", sd.String(), u.User.Sid.String(), os.Getpid())
	return nil
}
