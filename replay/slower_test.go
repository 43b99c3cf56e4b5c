package replay

import "testing"

// TestSlowerSetKeepsZero: a Config whose Slower and SlowerBy are as given
// keeps their zeros (--slower 1.5x,+0ms); one that leaves them unset gets
// the defaults.
func TestSlowerSetKeepsZero(t *testing.T) {
	r := New(&Recording{}, Config{Slower: 1.5, SlowerBy: 0, SlowerSet: true})
	if r.cfg.Slower != 1.5 || r.cfg.SlowerBy != 0 {
		t.Errorf("as given 1.5x,+0s: %gx,+%v", r.cfg.Slower, r.cfg.SlowerBy)
	}
	r = New(&Recording{}, Config{})
	if r.cfg.Slower != DefaultSlower || r.cfg.SlowerBy != DefaultSlowerBy {
		t.Errorf("unset: %gx,+%v, want the defaults", r.cfg.Slower, r.cfg.SlowerBy)
	}
}
