package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal of cols×rows: its master and its
// terminal.
func openPTY(t *testing.T, cols, rows int) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { master.Close() })
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	if err := unix.IoctlSetWinsize(int(tty.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: uint16(rows), Col: uint16(cols)}); err != nil {
		t.Fatal(err)
	}
	return master, tty
}

// An attached view starts at attach's priority and lowers itself only
// once its UI has drawn its first screen: started at nice 19, on a busy
// machine its first screen took seconds to show. Here the view (attach's
// second process) runs in this one, on a pseudo-terminal, with its
// lowering replaced by a check: when it is called, the terminal has the
// first screen. (Drawing waits for the lowering: had it come first, the
// screen would not be there, nor come meanwhile.)
func TestAttachLowersAfterFirstScreen(t *testing.T) {
	dir := shortDir(t)
	svc, front := filepath.Join(dir, "svc.sock"), filepath.Join(dir, "front.sock")
	echoServer(t, svc)
	cmd := exec.Command(binary, "--headless", "--listen", front, svc)
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	feed := filepath.Join(dir, "sockscope", strconv.Itoa(cmd.Process.Pid)+".sock")
	feedUp(t, feed)
	c := dialListening(t, front)
	call(t, c, bufio.NewReader(c), 1)

	master, tty := openPTY(t, 120, 30)
	var (
		mu  sync.Mutex
		out []byte // what the view wrote on its terminal
	)
	go func() {
		b := make([]byte, 64<<10)
		for {
			n, err := master.Read(b)
			mu.Lock()
			out = append(out, b[:n]...)
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	screen := []byte("attached to " + strconv.Itoa(cmd.Process.Pid)) // the status bar
	lowered := make(chan bool, 1)
	defer func(f func()) { lowerView = f }(lowerView)
	lowerView = func() {
		drawn := false
		for deadline := time.Now().Add(5 * time.Second); !drawn && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			mu.Lock()
			drawn = bytes.Contains(out, screen)
			mu.Unlock()
		}
		lowered <- drawn
	}
	t.Setenv("SOCKSCOPE_DECODER", "") // the default: lowered
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- attach(ctx, []string{feed}, tty, true) }()
	select {
	case drawn := <-lowered:
		if !drawn {
			mu.Lock()
			t.Errorf("the view lowered itself before its first screen was on the terminal; it had:\n%q", out)
			mu.Unlock()
		}
	case err := <-errc:
		t.Fatalf("the view ended before it lowered itself: %v", err)
	case <-time.After(screenWait):
		t.Fatal("the view never lowered itself")
	}
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("the view: %v", err)
	}
}
