package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sockscope/internal/plural"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"sockscope/capture"
	"sockscope/index"
	"sockscope/proxy"
	"sockscope/query"
	"sockscope/replay"
	"sockscope/session"
	"sockscope/store"
)

// replayOptions are the flags of `sockscope replay`.
type replayOptions struct {
	pace          string
	speed         float64
	timeout       time.Duration
	filter        string
	ignore        []string
	mapPaths      []string
	notifications bool
	slower        []string
	dump          bool
	headless      bool
	junit         string
	update        bool
	record        string
	ids           string
	maxBytes      int64
}

// Exit statuses of `sockscope replay`.
const (
	replaySame    = 0 // every response matches
	replayDiffers = 1 // a response differs
	replayBroken  = 2 // the server is unreachable, the file unreadable, bad flags
)

func newReplayCmd() *cobra.Command {
	var o replayOptions
	cmd := &cobra.Command{
		Use:   "replay FILE UPSTREAM",
		Short: "Send a recorded session to a server again and compare every response",
		Long: `replay opens a new connection to UPSTREAM for every recorded connection
(or those --filter selects) and sends the client's side of it again, in
order, as the server received it: what sockscope sent itself (R, e, n, a
connection of its own: N) included, what it kept from the server not; what
sockscope injected toward the client is not expected from the server, what
it withheld from the client is. The server's own requests (LSP workspace/configuration and the
like, Neovim's rpcrequest) are answered from the recording, matched by method and params, with
the server's new id; a miss gets the protocol's typed default. LSP's
initialize.params.processId becomes sockscope's pid.

Each recorded response is compared with the new one, paired by
(connection, direction that asked, id): a structural JSON diff that names
the paths that differ (strings holding JSON compared as JSON). A request
cancelled in the recording (LSP $/cancelRequest, MCP
notifications/cancelled, DAP cancel) is a race: reported, not a
difference. A request that got no reply then and gets none now (within
--timeout) matches. Notifications and events are counted per method.

HTTP/1.1, Redis RESP, msgpack-RPC and varlink connections go as the server
received them, byte for byte; their responses pair as show pairs them (by
order on the connection, msgpack-RPC by msgid; a request paired by order is
named by its place: #2) and compare through their JSON views: a Redis reply
as the detail pane shows it (HELLO's connection id left out; EXEC's array;
a SUBSCRIBE by its first confirmation, pub/sub messages and pushes counted
as notifications); an HTTP response as {"status","headers","body"}: the
status code, the headers by lower-case name but Date (--ignore etag leaves
out more), the body (JSON as JSON, a chunked one joined, other bytes as they
are), 1xx interim responses not at all; a msgpack-RPC reply as
[1,msgid,error,result]; a varlink reply as its JSON (a streamed call by its
last reply). HTTP/2 and raw connections are refused.

The replay is observed as live traffic: -w records it, with a "compare"
record per request linking the new response to the recorded one.

Exit status: 0 when every response matches, 1 when one differs, 2 on an
error (UPSTREAM unreachable, FILE unreadable, the UI quit before the end).

In a terminal (unless --headless or --dump) the UI shows the replay's own
capture as it happens: each replayed request says how it compares (differs
and where, same, race), its detail shows the recorded and the new response
with what differs marked, the filter takes status:differs and
status:matches, and the status bar counts what is compared and differs.
The summary is printed when the UI quits; quit once the status bar says
"done". Without a terminal (CI, a pipe) it runs headless.

--filter takes the UI's filter language (it selects the requests compared;
the connections holding one are replayed whole):
  ` + indent(query.Syntax),
		Example: `  sockscope replay session.jsonl /tmp/app.sock
  sockscope replay --ignore '$.data.time' --ignore timestamp session.jsonl :9000
  sockscope replay --map-path /home/a/src=/home/b/src --junit replay.xml lsp.jsonl /tmp/gopls.sock
  sockscope replay --update session.jsonl /tmp/app.sock   # the new responses become the recording`,
		Args:          argsWithUsage(cobra.ExactArgs(2)),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if status := runReplay(cmd.Context(), o, args[0], args[1]); status != replaySame {
				return exitError(status)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.pace, "pace", "reply", "reply|recorded|none: a request waits for the previous reply; the recorded gaps, connections at once; no waiting")
	f.Float64Var(&o.speed, "speed", 1, "with --pace recorded, play `N` times as fast")
	f.DurationVar(&o.timeout, "timeout", replay.DefaultTimeout, "how long each request waits for its reply")
	f.StringVar(&o.filter, "filter", "", "compare only the requests that pass `EXPR` (the UI's filter language)")
	f.StringArrayVar(&o.ignore, "ignore", nil, "leave `PATH` ($.data.time, $.result.items[*].id, $.headers.etag) or a bare KEY (at any depth; an HTTP header's lower-case name) out of the comparison; repeatable")
	f.StringArrayVar(&o.mapPaths, "map-path", nil, "rewrite file paths and URIs `OLD=NEW` in what is sent, NEW=OLD in what comes back; repeatable")
	f.BoolVar(&o.notifications, "notifications", false, "compare the last notification (event) of each method too")
	f.StringSliceVar(&o.slower, "slower", []string{"2x", "+100ms"}, "flag a latency past both `FACTOR`x the recorded one and +DURATION more")
	f.BoolVar(&o.dump, "dump", false, "one JSON object per compared request on stdout")
	f.BoolVar(&o.headless, "headless", false, "no UI, even in a terminal")
	f.StringVar(&o.junit, "junit", "", "write the comparison as JUnit XML to `FILE`")
	f.BoolVar(&o.update, "update", false, "replace FILE with the replay's recording (the new responses become the golden ones); exit 0 unless an error")
	f.StringVarP(&o.record, "record", "w", "", "record the replay to `FILE`, linked to the recorded responses")
	f.StringVar(&o.ids, "id", "", "JSON `FIELDS` that carry the request id (default: the ones the file was recorded with)")
	f.Int64Var(&o.maxBytes, "max-bytes", store.DefaultMaxBytes, "bytes of the recording held in memory (it must fit)")
	return usageStatus(cmd, replayBroken)
}

// parseSlower parses --slower's items: 2x and +100ms. An item left out
// keeps its default; one given is taken as it is, 0 included (+0ms: any
// latency past the factor).
func parseSlower(items []string) (factor float64, by time.Duration, err error) {
	factor, by = replay.DefaultSlower, replay.DefaultSlowerBy
	for _, it := range items {
		switch {
		case strings.HasSuffix(it, "x"):
			factor, err = strconv.ParseFloat(strings.TrimSuffix(it, "x"), 64)
			if err == nil && (factor < 0 || math.IsInf(factor, 0) || math.IsNaN(factor)) {
				err = errors.New("want a FACTOR of 0 or more")
			}
		case strings.HasPrefix(it, "+"):
			by, err = time.ParseDuration(it[1:])
			if err == nil && by < 0 {
				err = errors.New("want a DURATION of 0 or more")
			}
		default:
			err = errors.New("want FACTORx or +DURATION")
		}
		if err != nil {
			return 0, 0, fmt.Errorf("--slower %q: %v", it, err)
		}
	}
	return factor, by, nil
}

// replayConfig is the replay.Config the flags say.
func replayConfig(o replayOptions, up proxy.Addr) (replay.Config, error) {
	cfg := replay.Config{Dial: proxy.DialFunc(up), Upstream: up.String(), Speed: o.speed, Timeout: o.timeout,
		Notifications: o.notifications}
	if !(o.speed > 0) || math.IsInf(o.speed, 0) {
		return cfg, fmt.Errorf("--speed %v: want a number above 0 (2: twice as fast, 0.5: half as fast)", o.speed)
	}
	if o.timeout <= 0 {
		return cfg, fmt.Errorf("--timeout %v: want a duration above 0", o.timeout)
	}
	var err error
	if cfg.Pace, err = replay.ParsePace(o.pace); err != nil {
		return cfg, err
	}
	if cfg.Ignore, err = replay.ParseIgnore(o.ignore); err != nil {
		return cfg, err
	}
	for _, m := range o.mapPaths {
		pm, err := replay.ParsePathMap(m)
		if err != nil {
			return cfg, err
		}
		cfg.MapPaths = append(cfg.MapPaths, pm)
	}
	if cfg.Slower, cfg.SlowerBy, err = parseSlower(o.slower); err != nil {
		return cfg, err
	}
	cfg.SlowerSet = true
	if cfg.Filter, err = query.Parse(o.filter); err != nil {
		return cfg, fmt.Errorf("--filter: %w", err)
	}
	if o.update && o.filter != "" {
		return cfg, errors.New("--update replaces the whole recording with the replay's, so it takes no --filter (the connections not replayed would be lost)")
	}
	return cfg, nil
}

// runReplay is `sockscope replay`; it returns the exit status.
func runReplay(ctx context.Context, o replayOptions, file, upstream string) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "sockscope replay:", err)
		return replayBroken
	}
	up, err := proxy.ParseAddr(upstream)
	if err != nil {
		return fail(err)
	}
	cfg, err := replayConfig(o, up)
	if err != nil {
		return fail(err)
	}
	if err := checkReplayFiles(o, file); err != nil {
		return fail(err)
	}
	ctx, cancel := signalContext(ctx)
	defer cancel()
	rec, err := loadRecording(ctx, file, replay.ServerSide, o.ids, o.maxBytes)
	if err != nil {
		return fail(err)
	}
	if rec.Damaged != nil {
		// What a damaged line held would not be compared, and the rest
		// might pass.
		return fail(fmt.Errorf("%s: %w: a replay compares a whole recording (sockscope show %s shows the rest)", file, rec.Damaged, file))
	}
	withUI := replayWithUI(o)
	if withUI {
		cfg.Live = replay.NewLive(file, up.String(), cfg.Ignore, rec.IDFields)
	}
	r := replay.New(rec, cfg)
	if err := r.Check(); err != nil {
		return fail(err)
	}
	if err := r.Connect(ctx); err != nil {
		return fail(err)
	}
	defer r.Close() // on the ways out before Run takes the connection
	recordPath := o.record
	if o.update && recordPath == "" {
		recordPath = filepath.Join(filepath.Dir(file), "."+filepath.Base(file)+".update")
		os.Remove(recordPath)
		defer os.Remove(recordPath)
		defer os.Remove(recordPath + index.Suffix) // the index the recorder keeps beside it
	}
	e, err := capture.New(capture.Config{IDFields: rec.IDFields, Lossless: true, Record: recordPath,
		Header: session.Header{Upstream: up.String(), Listen: "replay of " + file}})
	if err != nil {
		return fail(err)
	}
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	e.Start(rctx, r)
	var runErr error
	if withUI {
		runErr = runReplayUI(rctx, e, stop, cfg.Live, recordPath)
	} else {
		runErr = e.Wait(rctx)
	}
	if errors.Is(runErr, context.Canceled) && ctx.Err() != nil {
		// SIGINT: the summary says the replay stopped early; "context
		// canceled" told a person nothing.
		runErr = errors.New("interrupted")
	}
	res := r.Result()
	if recordPath != "" {
		if err := replay.AppendLinks(recordPath, file, res); err != nil && runErr == nil {
			runErr = err
		}
	}
	var out io.Writer = os.Stdout
	if o.dump {
		err = replay.WriteDump(out, res)
	} else {
		err = replay.WriteText(out, res)
	}
	if err == nil && o.junit != "" {
		err = replay.WriteJUnit(o.junit, "sockscope replay "+file, res)
	}
	fmt.Fprintln(os.Stderr, res.Summary())
	switch {
	case runErr != nil:
		return fail(runErr)
	case err != nil:
		return fail(err)
	case res.Errors > 0:
		return fail(fmt.Errorf("%s no answer: not sent (see above), or the server could not be reached, or the connection to it was lost", plural.Of(res.Errors, "request got", "requests got")))
	case o.update && len(res.TimedOut()) > 0:
		return fail(notUpdated(file, o.timeout, res.TimedOut()))
	case o.update:
		if err := copyFile(recordPath, file); err != nil {
			return fail(err)
		}
		// FILE's index is of what it held (and the replay's is of its
		// recording before the compare records): show builds it anew.
		os.Remove(file + index.Suffix)
		fmt.Fprintf(os.Stderr, "sockscope replay: %s now holds the replay's responses\n", file)
		return replaySame
	case res.Failed():
		return replayDiffers
	}
	return replaySame
}

// checkReplayFiles refuses, before anything is replayed, the files the
// replay must not or cannot write: a -w that is the recording replayed
// (the replay was appended to it, a segment the next replay played too),
// and a --junit that cannot be written or is a session file.
func checkReplayFiles(o replayOptions, file string) error {
	if o.record != "" {
		wi, werr := os.Stat(o.record)
		fi, ferr := os.Stat(file)
		if werr == nil && ferr == nil && os.SameFile(wi, fi) {
			return fmt.Errorf("-w %s is the recording being replayed: the replay would be appended to it (--update replaces the recording with the replay's; or -w another file)", o.record)
		}
	}
	if o.junit != "" {
		is, err := session.IsFile(o.junit)
		if err != nil {
			return fmt.Errorf("--junit: %w", err)
		}
		if is {
			return fmt.Errorf("--junit %s is a sockscope session file: not overwriting it (name another file)", o.junit)
		}
		if err := checkWritable(o.junit); err != nil {
			return fmt.Errorf("--junit: %w", err)
		}
	}
	return nil
}

// checkWritable reports whether a file can be written at path, leaving
// what is there as it was: an existing file is opened for writing (not
// truncated), a new one created and removed again.
func checkWritable(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		// Non-blocking: a named pipe with no reader would make it wait.
		f, err = os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return err
		}
		return f.Close()
	}
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(path)
}

// notUpdated is why --update left file as it was: requests answered in
// the recording got no reply within the timeout.
func notUpdated(file string, timeout time.Duration, lost []replay.Compared) error {
	var names []string
	for i, c := range lost {
		if i == 3 {
			names = append(names, fmt.Sprintf("%d more", len(lost)-i))
			break
		}
		names = append(names, fmt.Sprintf("conn %d %s %s", c.RecordedConn, c.Method, c.Ref()))
	}
	return fmt.Errorf("%s not updated: %s got no reply within --timeout %v, though the recording has one (try a longer --timeout)",
		file, strings.Join(names, ", "), timeout)
}

// copyFile replaces dst with a copy of src, through a file beside dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	mode := os.FileMode(0o600)
	if fi, err := os.Stat(dst); err == nil {
		mode = fi.Mode().Perm() // dst keeps its mode
	}
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	err = out.Chmod(mode) // past the umask
	if err == nil {
		_, err = io.Copy(out, in)
	}
	if err == nil {
		err = out.Sync() // the rename is not to leave dst empty after a crash
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// loadRecording decodes the session file for replay (the server's side
// of each connection) or serve (the client's), with the id fields --id
// names (ids, comma-separated) and --max-bytes.
func loadRecording(ctx context.Context, file string, side replay.Side, ids string, maxBytes int64) (*replay.Recording, error) {
	lo := replay.LoadOptions{Side: side, MaxBytes: maxBytes}
	if ids != "" {
		lo.IDFields = strings.Split(ids, ",")
	}
	return replay.Load(ctx, file, lo)
}
