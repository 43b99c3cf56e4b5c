//go:build unix

package takeover

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestHeldByAnotherSockscope(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "app.sock")
	startServer(t, path, 0o666)
	h, line := startHelper(t, sockscopeExe(t), path, "hold", nil)
	if line != "ready" {
		t.Fatalf("helper: %s", line)
	}
	mustAsk(t, path, "helper")
	before := listing(t, dir)

	if tk, err := Take(path); !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), "pid") {
		if err == nil {
			tk.Restore()
		}
		t.Fatalf("Take while another sockscope holds it: %v; want %v naming its pid", err, ErrHeld)
	}
	if _, err := Restore(path); !errors.Is(err, ErrHeld) {
		t.Fatalf("Restore while another sockscope holds it: %v; want %v", err, ErrHeld)
	}
	if after := listing(t, dir); after != before {
		t.Errorf("directory after the refusals:\n%s\nbefore:\n%s", after, before)
	}
	mustAsk(t, path, "helper")

	// SIGTERM: the holder restores as it exits, as sockscope's main does.
	if st := h.stop(t, syscall.SIGTERM); !st.Success() {
		t.Fatalf("helper exited with %v", st)
	}
	mustAsk(t, path, "server")
	wantEntries(t, dir, 1, "leftovers after the holder restored")
}

// killedHolder takes over a fresh server's socket in a helper process and
// SIGKILLs it, leaving the take-over behind. It returns the path.
func killedHolder(t *testing.T) string {
	t.Helper()
	path, _ := killedHolderOf(t)
	return path
}

// killedHolderOf is killedHolder that also returns the server's listener.
func killedHolderOf(t *testing.T) (string, net.Listener) {
	t.Helper()
	dir := shortDir(t)
	path := filepath.Join(dir, "app.sock")
	server := startServer(t, path, 0o640)
	h, line := startHelper(t, sockscopeExe(t), path, "hold", nil)
	if line != "ready" {
		t.Fatalf("helper: %s", line)
	}
	mustAsk(t, path, "helper")
	h.stop(t, syscall.SIGKILL)
	if _, err := ask(path); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("after SIGKILL the path answers: %v; want connection refused", err)
	}
	if _, err := os.Stat(markerPath(path)); err != nil {
		t.Fatalf("after SIGKILL: %v", err)
	}
	return path, server
}

func TestTakeRecoversAfterSIGKILL(t *testing.T) {
	path := killedHolder(t)
	tk, err := Take(path)
	if err != nil {
		t.Fatal(err)
	}
	go serve(tk.Listener, "sockscope")
	if len(tk.Notes) == 0 || !strings.Contains(tk.Notes[0], "put the server's socket back") {
		t.Errorf("Notes %q: want a word about the leftover", tk.Notes)
	}
	t.Log(tk.Notes)
	mustAsk(t, path, "sockscope")
	mustAsk(t, tk.Moved, "server")
	if err := tk.Restore(); err != nil {
		t.Fatal(err)
	}
	mustAsk(t, path, "server")
	wantEntries(t, filepath.Dir(path), 1, "leftovers after Restore")
}

func TestRestoreByHand(t *testing.T) {
	path := killedHolder(t)
	var mode syscall.Stat_t
	did, err := Restore(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "put the server's socket back at " + path; did != want {
		t.Errorf("Restore said %q, want %q", did, want)
	}
	mustAsk(t, path, "server")
	if err := syscall.Lstat(path, &mode); err != nil || mode.Mode&0o777 != 0o640 {
		t.Errorf("restored socket: mode %o, %v; want the server's own 0640", mode.Mode&0o777, err)
	}
	wantEntries(t, filepath.Dir(path), 1, "leftovers after Restore")
	if _, err := Restore(path); !errors.Is(err, ErrNothingToRestore) {
		t.Errorf("second Restore: %v; want %v", err, ErrNothingToRestore)
	}
}

func TestRestoreWhenServerGone(t *testing.T) {
	path := killedHolder(t)
	m, err := readMarker(markerPath(path))
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(m.beside(path).moved) // the server went away with its socket
	if _, err := Restore(path); !errors.Is(err, ErrServerGone) {
		t.Fatalf("Restore: %v; want %v", err, ErrServerGone)
	}
	wantEntries(t, filepath.Dir(path), 0, "leftovers after Restore")
}

// The server stopped after the holder was killed, leaving its socket at
// the moved name, where nobody accepts any more: restoring by hand removes
// it rather than put a dead socket back at the path.
func TestRestoreByHandAfterServerStopped(t *testing.T) {
	path, server := killedHolderOf(t)
	server.Close()
	did, err := Restore(path)
	if !errors.Is(err, ErrServerGone) {
		t.Fatalf("Restore: %v; want %v", err, ErrServerGone)
	}
	if want := "the server at " + path + " stopped meanwhile; removed its stale socket"; did != want {
		t.Errorf("Restore said %q, want %q", did, want)
	}
	wantEntries(t, filepath.Dir(path), 0, "left after Restore")
}

// So does the next Take of the path, which then has no server to take over.
func TestTakeAfterServerStopped(t *testing.T) {
	path, server := killedHolderOf(t)
	server.Close()
	tk, err := Take(path)
	if err == nil {
		tk.Restore()
		t.Fatal("Take succeeded")
	}
	if !errors.Is(err, ErrServerGone) || !strings.Contains(err.Error(), "removed its stale socket") {
		t.Fatalf("Take: %v; want %v saying what it removed", err, ErrServerGone)
	}
	t.Log(err)
	wantEntries(t, filepath.Dir(path), 0, "left after Take")
}

func TestRestoreAfterServerRestart(t *testing.T) {
	path := killedHolder(t)
	m, err := readMarker(markerPath(path))
	if err != nil {
		t.Fatal(err)
	}
	// The server restarts: its old socket dies, the new one replaces ours.
	moved := m.beside(path).moved
	os.Remove(moved)
	os.Remove(path)
	startServer(t, path, 0o666)
	did, err := Restore(path)
	if err != nil {
		t.Fatal(err)
	}
	// Not "nothing had been moved": sockscope did move it.
	if want := "the server was restarted meanwhile and listens at " + path + " again: left its new socket alone; its old one, " + moved + ", was gone already: nothing to give back"; did != want {
		t.Errorf("Restore said %q, want %q", did, want)
	}
	mustAsk(t, path, "server")
	wantEntries(t, filepath.Dir(path), 1, "left after Restore")

	// A replacement while the old socket still answers is left to a person.
	path = killedHolder(t)
	os.Remove(path)
	startServer(t, path, 0o666)
	_, err = Restore(path)
	if !errors.Is(err, ErrReplaced) || !strings.Contains(err.Error(), "mv -f ") {
		t.Fatalf("Restore: %v; want %v with the commands to run", err, ErrReplaced)
	}
	t.Log(err)
	mustAsk(t, path, "server")
}

// The server's socket at the moved name and sockscope's at the path both
// went away after the holder was killed (the server exited, and something
// removed them): there is nothing to give back, and restoring by hand says
// so, as ErrServerGone, not that nothing had been moved.
func TestRestoreByHandBothGone(t *testing.T) {
	path := killedHolder(t)
	m, err := readMarker(markerPath(path))
	if err != nil {
		t.Fatal(err)
	}
	moved := m.beside(path).moved
	os.Remove(moved)
	os.Remove(path)
	did, err := Restore(path)
	if !errors.Is(err, ErrServerGone) {
		t.Fatalf("Restore: %v; want %v", err, ErrServerGone)
	}
	if want := "the server's socket " + moved + " and sockscope's at " + path + " both disappeared (did the server exit?): nothing to give back, and " + path + " stays absent until the server starts again"; did != want {
		t.Errorf("Restore said %q, want %q", did, want)
	}
	wantEntries(t, filepath.Dir(path), 0, "left after Restore")
}

// A holder killed after it had put the server's socket back, before it
// removed the marker: restoring by hand says the socket was back already.
func TestRestoreByHandAlreadyBack(t *testing.T) {
	path := killedHolder(t)
	m, err := readMarker(markerPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(m.beside(path).moved, path); err != nil {
		t.Fatal(err)
	}
	did, err := Restore(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "the server's socket was back at " + path + " already; removed the marker " + markerPath(path); did != want {
		t.Errorf("Restore said %q, want %q", did, want)
	}
	mustAsk(t, path, "server")
	wantEntries(t, filepath.Dir(path), 1, "left after Restore")
}

func TestStaleMarkerOfUnrelatedProcess(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "app.sock")
	startServer(t, path, 0o666)
	// A live process that is not sockscope has the pid the marker names,
	// and started after the marker was written: the pid was reused.
	written := time.Now().Add(-2 * time.Second) // /proc's start times are to the boot time's second
	sleep := exec.Command("sleep", "60")
	if err := sleep.Start(); err != nil {
		t.Skip("no sleep(1):", err)
	}
	defer func() { sleep.Process.Kill(); sleep.Wait() }()
	b, _ := json.Marshal(marker{Path: path, Moved: path + ".gone", Tmp: path + ".tmp", PID: sleep.Process.Pid, Started: written})
	if err := os.WriteFile(markerPath(path), b, 0o644); err != nil {
		t.Fatal(err)
	}
	tk, err := Take(path)
	if err != nil {
		t.Fatal(err)
	}
	defer tk.Restore()
	if len(tk.Notes) == 0 || !strings.Contains(tk.Notes[0], "nothing had been moved") {
		t.Errorf("Notes %q: want a word about the stale marker", tk.Notes)
	}
}

// A holder whose program's name does not say sockscope (a binary renamed)
// still holds the take-over if it started before the marker was written:
// Take and Restore refuse, as for any live sockscope, rather than offer
// to remove the server's socket.
func TestRenamedHolder(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "app.sock")
	startServer(t, path, 0o666)
	sleep := exec.Command("sleep", "60")
	if err := sleep.Start(); err != nil {
		t.Skip("no sleep(1):", err)
	}
	defer func() { sleep.Process.Kill(); sleep.Wait() }()
	written := time.Now().Add(2 * time.Second)
	b, _ := json.Marshal(marker{Path: path, Moved: path + ".gone", Tmp: path + ".tmp", PID: sleep.Process.Pid, Started: written})
	if err := os.WriteFile(markerPath(path), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if tk, err := Take(path); err == nil || !strings.Contains(err.Error(), "pid "+strconv.Itoa(sleep.Process.Pid)) {
		if tk != nil {
			tk.Restore()
		}
		t.Fatalf("Take: %v; want it refused, naming the holder", err)
	}
	if _, err := Restore(path); err == nil || !strings.Contains(err.Error(), "quit it") {
		t.Fatalf("Restore: %v; want it refused while the holder runs", err)
	}
	mustAsk(t, path, "server")
}

// TestKilledMidSwap recreates what a sockscope killed half-way through Take
// leaves: its temporary socket, and the server's socket linked to its second
// name while the path is still the server's.
func TestKilledMidSwap(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "app.sock")
	startServer(t, path, 0o666)
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Skip("no true(1):", err)
	}
	pid := gone.Process.Pid // a process that has exited
	before := listing(t, dir)

	n := namesFor(path, pid)
	ln, id, _, err := listenLike(n.tmp, mustLstat(t, path))
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if err := os.Link(path, n.moved); err != nil {
		t.Fatal(err)
	}
	if err := createMarker(n.marker, &marker{Path: path, Moved: n.moved, Tmp: n.tmp, PID: pid, Socket: id}); err != nil {
		t.Fatal(err)
	}
	tk, err := Take(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(tk.Notes) == 0 || !strings.Contains(tk.Notes[0], "nothing had been moved") {
		t.Errorf("Notes %q: want a word about the leftover", tk.Notes)
	}
	go serve(tk.Listener, "sockscope")
	mustAsk(t, path, "sockscope")
	if err := tk.Restore(); err != nil {
		t.Fatal(err)
	}
	mustAsk(t, path, "server")
	if after := listing(t, dir); after != before {
		t.Errorf("directory after Take and Restore:\n%s\nbefore:\n%s", after, before)
	}

	// Killed before the marker was written: only the temporary socket.
	if ln, _, _, err = listenLike(n.tmp, mustLstat(t, path)); err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if tk, err = Take(path); err != nil {
		t.Fatal(err)
	}
	tk.Restore()
	if after := listing(t, dir); after != before {
		t.Errorf("directory after the second Take and Restore:\n%s\nbefore:\n%s", after, before)
	}
}

func mustLstat(t *testing.T, name string) os.FileInfo {
	t.Helper()
	fi, err := os.Lstat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}
