package feed

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sockscope/internal/plural"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Dir returns the directory where instances publish their feeds:
// $XDG_RUNTIME_DIR/sockscope, or a directory of the user's own under the
// temp dir. It does not create it.
func Dir() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "sockscope")
	}
	return filepath.Join(os.TempDir(), "sockscope-"+strconv.Itoa(os.Getuid()))
}

// PathOf is the feed of process pid in Dir.
func PathOf(pid int) string { return filepath.Join(Dir(), strconv.Itoa(pid)+".sock") }

// privateDir creates dir (mode 0700) if it is missing, and refuses one
// that others may write to or that is not the user's.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s may be written by others (mode %v): refusing to publish a feed there", dir, fi.Mode().Perm())
	}
	if uid, ok := ownerOf(fi); ok && uid != os.Getuid() {
		return fmt.Errorf("%s belongs to uid %d, not to you: refusing to publish a feed there", dir, uid)
	}
	return nil
}

// Instance is a live instance found in Dir.
type Instance struct {
	Path string
	Hello
	// Silent says the instance took the connection but did not say hello
	// in time (stopped, with kill -STOP, or starved): of its Hello, only
	// PID is known, from its feed's name.
	Silent bool
}

// String is the instance as `sockscope attach` lists it, like `tmux ls`.
func (in Instance) String() string {
	if in.Silent {
		return fmt.Sprintf("%d: does not answer (stopped?)", in.PID)
	}
	s := fmt.Sprintf("%d: %s (since %s) %s (%d open), %s",
		in.PID, in.What, in.Started.Local().Format("Jan 2 15:04:05"), plural.Of(in.Conns, "connection"), in.Open, plural.Of(in.Messages, "message"))
	if in.Viewers > 0 {
		s += fmt.Sprintf(", %d attached", in.Viewers)
	}
	return s
}

// List returns the live instances in Dir (this process's own left out),
// oldest first, and those that took the connection but did not answer
// within probeTimeout (Instance.Silent). A socket nobody listens on any
// more (its instance was killed) is removed.
func List() ([]Instance, error) {
	entries, err := os.ReadDir(Dir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// Probed at once: a stopped instance takes probeTimeout, which one
	// after the other made the listing wait that long for each.
	found := make([]*Instance, len(entries))
	var wg sync.WaitGroup
	for i, e := range entries {
		if !strings.HasSuffix(e.Name(), ".sock") {
			continue
		}
		wg.Go(func() { found[i] = probeEntry(filepath.Join(Dir(), e.Name())) })
	}
	wg.Wait()
	var out []Instance
	for _, in := range found {
		if in != nil {
			out = append(out, *in)
		}
	}
	slices.SortFunc(out, func(a, b Instance) int { return a.Started.Compare(b.Started) })
	return out, nil
}

// probeEntry probes the feed at path for List: its instance, or nil for
// none to list (this process's own, a socket that is no feed's; one nobody
// listens on any more is removed).
func probeEntry(path string) *Instance {
	h, err := Probe(path)
	pid, perr := strconv.Atoi(strings.TrimSuffix(filepath.Base(path), ".sock"))
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded) && perr == nil:
		// Listed, not left out: attach waits for it, and says so.
		return &Instance{Path: path, Hello: Hello{PID: pid}, Silent: true}
	case err != nil:
		if errors.Is(err, syscall.ECONNREFUSED) {
			os.Remove(path)
		}
		return nil
	case h.PID == os.Getpid():
		return nil
	}
	return &Instance{Path: path, Hello: h}
}

// probeTimeout bounds how long an instance may take to say hello.
var probeTimeout = 5 * time.Second

// Probe connects to the feed at path and returns its hello.
func Probe(path string) (Hello, error) {
	c, err := net.DialTimeout("unix", path, probeTimeout)
	if err != nil {
		return Hello{}, err
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(probeTimeout))
	return readHello(bufio.NewReader(c))
}

// readHello reads the first line of a feed.
func readHello(br *bufio.Reader) (Hello, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return Hello{}, fmt.Errorf("no hello from the feed: %w", err)
	}
	var h Hello
	if err := json.Unmarshal(line, &h); err != nil || h.Type != typeHello {
		return Hello{}, errors.New("not a sockscope feed")
	}
	if h.Feed != Version {
		return Hello{}, fmt.Errorf("feed version %d; this sockscope speaks %d", h.Feed, Version)
	}
	return h, nil
}
