package plural

import "testing"

func TestOf(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{Of(0, "request"), "0 requests"},
		{Of(1, "request"), "1 request"},
		{Of(uint64(2), "connection"), "2 connections"},
		{Of(int64(-1), "byte"), "-1 bytes"},
		{Of(1, "reply", "replies"), "1 reply"},
		{Of(5, "reply", "replies"), "5 replies"},
		{Noun(uint32(1), "hit"), "hit"},
		{Noun(7, "hit"), "hits"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
