package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	xterm "github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"sockscope/export"
	"sockscope/internal/plural"
	"sockscope/query"
	"sockscope/session"
)

// exportOptions are the flags of `sockscope export`.
type exportOptions struct {
	fileOptions
	format, out, filter string
}

func newExportCmd() *cobra.Command {
	var o exportOptions
	cmd := &cobra.Command{
		Use:   "export FILE",
		Short: "Write a recorded session as pcapng (Wireshark, tshark), JSON Lines or HAR",
		Long: `export decodes a session file as show does (the same pairing, statuses and
latencies) and writes its exchanges in another format:

  pcapng  each connection a synthetic TCP stream over loopback, the server at
          127.0.0.1:` + fmt.Sprint(export.ServerPort) + `, one interface per listener; each packet's comment says
          its exchange (frame.comment contains "method=add"). A connection on
          which sockscope withheld or injected frames is two streams, each what
          its peer sent and received: the client's leg to port ` + fmt.Sprint(export.ServerPort) + `, the
          server's to ` + fmt.Sprint(export.UpstreamPort) + `. The tshark command that decodes the JSON
          is printed.
  jsonl   one JSON object per exchange and line, for jq.
  har     an HTTP Archive, one entry per exchange.

A line that is no record (the file was damaged), or a segment of a newer
sockscope's format, is skipped and named in the summary; the rest is
exported, and export then exits with status 1, as show does.

--filter takes the UI's filter language:
  ` + indent(query.Syntax),
		Example: `  sockscope export session.jsonl -o session.pcapng
  sockscope export session.jsonl --format jsonl --filter status:error | jq .method
  sockscope export session.jsonl --filter 'method:add slow:>1ms' -o slow.har`,
		Args: argsWithUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExport(o, args[0])
		},
	}
	addFileFlags(cmd, &o.fileOptions, false)
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "", "pcapng|jsonl|har (default: from the -o file's extension)")
	f.StringVarP(&o.out, "output", "o", "", "write to `FILE` instead of stdout")
	f.StringVar(&o.filter, "filter", "", "export only the exchanges that pass `EXPR` (the UI's filter language)")
	return cmd
}

func indent(s string) string {
	out := []byte{}
	for i := 0; i < len(s); i++ {
		out = append(out, s[i])
		if s[i] == '\n' {
			out = append(out, ' ', ' ')
		}
	}
	return string(out)
}

func runExport(o exportOptions, path string) error {
	var format export.Format
	switch f, ok := export.FormatOf(o.out); {
	case o.format != "":
		var err error
		if format, err = export.ParseFormat(o.format); err != nil {
			return usage(err)
		}
	case ok:
		format = f
	default:
		return usage(errors.New("say --format pcapng, jsonl or har (or -o a file named .pcapng, .jsonl or .har)"))
	}
	q, err := query.Parse(o.filter)
	if err != nil {
		return usage(fmt.Errorf("--filter: %w", err))
	}
	if o.out != "" {
		if err := checkExportTarget(o.out, path); err != nil {
			return err
		}
	}
	var w io.Writer = os.Stdout
	name := "stdout"
	if o.out == "" && format == export.PCAPNG {
		if xterm.IsTerminal(os.Stdout.Fd()) {
			return errors.New("not writing a pcapng to a terminal: use -o FILE or a pipe")
		}
	}
	d, err := decodeFile(context.Background(), path, o.fileOptions, nil)
	if err != nil {
		return err
	}
	// Exchanges evicted from the store would be missing from the export,
	// without a word: the whole file must fit.
	if ev := d.e.Store.Totals().Evicted; ev > 0 {
		return fmt.Errorf("%s: too big to export in memory (%d messages evicted, past --max-messages %d or --max-bytes %d): raise them",
			path, ev, o.maxMessages, o.maxBytes)
	}
	if o.out != "" {
		f, err := os.OpenFile(o.out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		w, name = f, o.out
	}
	st, err := export.Write(w, d.e.Store, format, export.Options{Filter: q})
	if err == nil && o.out != "" {
		err = w.(*os.File).Close()
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintln(os.Stderr, d.summary(path))
	fmt.Fprintf(os.Stderr, "sockscope: exported %s (%s", plural.Of(st.Exchanges, "exchange"), plural.Of(st.Messages, "message"))
	if format == export.PCAPNG {
		fmt.Fprintf(os.Stderr, ", %s", plural.Of(st.Packets, "packet"))
	}
	fmt.Fprintf(os.Stderr, ") as %s to %s\n", format, name)
	if format == export.PCAPNG {
		file := o.out
		if file == "" {
			file = "FILE"
		}
		fmt.Fprintf(os.Stderr, "sockscope: read it with: %s\n", export.TsharkCommand(file, st))
	}
	if err := d.src.Damaged(); err != nil {
		// As show's: all the rest was exported; the exit status says
		// the file is damaged (or holds a newer sockscope's segment).
		return exitError(1)
	}
	return nil
}

// checkExportTarget refuses an -o FILE that export must not truncate: the
// session file it reads (by identity, so a link or another spelling of its
// name too), or any other sockscope session file.
func checkExportTarget(out, in string) error {
	oi, err := os.Stat(out)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("-o %s: %w", out, err)
	}
	if ii, err := os.Stat(in); err == nil && os.SameFile(oi, ii) {
		return fmt.Errorf("-o %s is the session file being exported: name another file", out)
	}
	is, err := session.IsFile(out)
	if err != nil {
		return fmt.Errorf("-o %s: %w", out, err)
	}
	if is {
		return fmt.Errorf("-o %s is a sockscope session file: not overwriting it (name another file)", out)
	}
	return nil
}
