package main

import (
	"strings"
	"testing"
	"time"

	"sockscope/proxy"
)

// TestSlowerAsGiven: --slower's items are taken as given, 0 included, and
// one left out keeps its default (+0ms was taken for the default +100ms,
// so --slower 1.5x,+0ms flagged nothing under 100 ms).
func TestSlowerAsGiven(t *testing.T) {
	up, err := proxy.ParseAddr("/tmp/x.sock")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		items  []string
		factor float64
		by     time.Duration
	}{
		{[]string{"2x", "+100ms"}, 2, 100 * time.Millisecond},
		{[]string{"1.5x", "+0ms"}, 1.5, 0},
		{[]string{"0x"}, 0, 100 * time.Millisecond},
		{[]string{"+5ms"}, 2, 5 * time.Millisecond},
	} {
		o := replayOptions{speed: 1, timeout: time.Second, pace: "reply", slower: c.items}
		cfg, err := replayConfig(o, up)
		if err != nil {
			t.Fatalf("--slower %v: %v", c.items, err)
		}
		if !cfg.SlowerSet || cfg.Slower != c.factor || cfg.SlowerBy != c.by {
			t.Errorf("--slower %v: flags past %gx and +%v (as given: %v), want %gx and +%v", strings.Join(c.items, ","), cfg.Slower, cfg.SlowerBy, cfg.SlowerSet, c.factor, c.by)
		}
	}
	for _, bad := range []string{"-1x", "+-5ms", "fast"} {
		o := replayOptions{speed: 1, timeout: time.Second, pace: "reply", slower: []string{bad}}
		if _, err := replayConfig(o, up); err == nil || !strings.Contains(err.Error(), "--slower") {
			t.Errorf("--slower %s: %v, want it refused", bad, err)
		}
	}
}
