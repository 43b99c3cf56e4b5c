package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"sockscope/capture"
	"sockscope/protocol"
)

// Sizes and durations that mean nothing, and a protocol or framing no one
// has, are refused, naming the flag (they were taken silently: a negative
// hold time as the default's 5 minutes).
func TestEngineConfigRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		set  func(*options)
		want string
	}{
		{func(o *options) { o.maxFrame = -1 }, "--max-frame -1: a number above 0"},
		{func(o *options) { o.maxMessages = 0 }, "--max-messages 0: a number above 0"},
		{func(o *options) { o.maxBytes = -5 }, "--max-bytes -5: a number above 0"},
		{func(o *options) { o.holdTimeout = -5 * time.Second }, "--hold-timeout -5s: a duration above 0"},
		{func(o *options) { o.protocol = "bogus" }, `--protocol "bogus": want one of`},
		{func(o *options) { o.framing = "bogus" }, `--framing "bogus": want one of`},
	} {
		o := options{maxFrame: protocol.DefaultMaxFrame, maxMessages: 10, maxBytes: 1 << 20}
		tc.set(&o)
		if _, err := engineConfig(o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("engineConfig: %v, want %q", err, tc.want)
		}
	}
	if _, err := engineConfig(options{maxFrame: 1, maxMessages: 1, maxBytes: 1}); err != nil {
		t.Errorf("the smallest bounds, no hold time (the demo's): %v", err)
	}
	// A frame is kept no larger than the store.
	if cfg, err := engineConfig(options{maxFrame: 50 << 20, maxMessages: 10, maxBytes: 1 << 20}); err != nil || cfg.MaxFrame != 1<<20 {
		t.Errorf("--max-frame 50 MiB, --max-bytes 1 MiB: frames kept up to %d (%v), want 1 MiB", cfg.MaxFrame, err)
	}
	// A SOCKSCOPE_DECODER that is none of its values was taken for unset.
	t.Setenv("SOCKSCOPE_DECODER", "nromal")
	if _, err := engineConfig(options{maxFrame: 1, maxMessages: 1, maxBytes: 1}); err == nil || !strings.Contains(err.Error(), `SOCKSCOPE_DECODER="nromal": want normal`) {
		t.Errorf("SOCKSCOPE_DECODER=nromal: %v", err)
	}
}

// --feed's path is optional, so it is joined with =; given apart, it was
// taken for UPSTREAM and the error spoke of argument counts. It now says
// how to write it, before anything starts.
func TestFeedPathApart(t *testing.T) {
	for _, args := range [][]string{
		{"--headless", "--feed", "/tmp/f.sock", "--listen", "/tmp/l.sock", "/tmp/up.sock"},
		{"--feed", "/tmp/f.sock", "--", "cat"},
	} {
		cmd := newRootCmd()
		cmd.SetArgs(args)
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "--feed=/tmp/f.sock") {
			t.Errorf("%q: %v, want the flag joined with =", args, err)
		}
	}
}

// A run with no UI refuses what holds frames for one (they would wait the
// default 5 minutes each, with no key to release them), unless
// --hold-timeout says how long they are to wait.
func TestHoldsNeedAUI(t *testing.T) {
	def := capture.DefaultHoldTimeout
	for _, tc := range []struct {
		o    options
		ui   bool
		want string
	}{
		{options{interceptFlags: interceptFlags{intercept: "method:add", holdTimeout: def}}, false, "--intercept holds frames"},
		{options{interceptFlags: interceptFlags{rules: []string{"method:add delay:1s", "method:add hold"}, holdTimeout: def}}, false, "rule r2 (method:add hold) holds frames"},
		{options{interceptFlags: interceptFlags{intercept: "method:add", holdTimeout: def}}, true, ""},
		{options{interceptFlags: interceptFlags{intercept: "method:add", holdTimeout: time.Second}}, false, ""},
		{options{interceptFlags: interceptFlags{rules: []string{"method:add delay:1s"}, holdTimeout: def}}, false, ""},
	} {
		err := tc.o.checkHolds(tc.ui)
		if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v, ui %v: %v, want %q", tc.o.interceptFlags, tc.ui, err, tc.want)
		}
	}
}
