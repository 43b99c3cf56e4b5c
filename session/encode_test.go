package session

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendJSONString(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"", `""`, true},
		{"plain", `"plain"`, true},
		{`a"b\c`, `"a\"b\\c"`, true},
		{"\n\r\t\b\f", `"\n\r\t\b\f"`, true},
		{"\x00\x01\x1b[31m\x1f\x7f", `"\u0000\u0001\u001b[31m\u001f\u007f"`, true},
		{"\u0085\u009b\u00a0", `"\u0085\u009b` + "\u00a0\"", true},
		{"a\u2028b\u2029c", `"a\u2028b\u2029c"`, true},
		{"日本語 é 🎉", `"日本語 é 🎉"`, true},
		{"</script>&", `"</script>&"`, true},
		{"\xff", `"\ufffd"`, false},
		{"a\xc3", `"a\ufffd"`, false},                   // cut in the middle of a rune
		{"\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`, false}, // a surrogate
		{"\xc0\xaf", `"\ufffd\ufffd"`, false},           // overlong
		{"\xf4\x90\x80\x80", `"\ufffd\ufffd\ufffd\ufffd"`, false},
	} {
		got, ok := appendJSONString([]byte("x"), tc.in, false)
		if string(got) != "x"+tc.want || !ok {
			t.Errorf("appendJSONString(%q) = %s, %v; want %s", tc.in, got[1:], ok, tc.want)
		}
		got, ok = appendJSONString([]byte("x"), []byte(tc.in), true)
		if ok != tc.ok || ok && string(got) != "x"+tc.want || !ok && string(got) != "x" {
			t.Errorf("strict appendJSONString(%q) = %s, %v; want ok=%v", tc.in, got, ok, tc.ok)
		}
	}
}

// TestDecodeRune compares decodeRune with unicode/utf8 on every one- and
// two-byte input and on many longer ones.
func TestDecodeRune(t *testing.T) {
	check := func(b []byte) {
		t.Helper()
		if b[0] < utf8.RuneSelf {
			return
		}
		r, n := decodeRune(b, 0)
		wr, wn := utf8.DecodeRune(b)
		if wr == utf8.RuneError && wn <= 1 {
			wr, wn = 0, 0
		}
		if r != wr || n != wn {
			t.Fatalf("decodeRune(% x) = %U, %d; want %U, %d", b, r, n, wr, wn)
		}
	}
	for a := 0x80; a < 0x100; a++ {
		check([]byte{byte(a)})
		for b := range 0x100 {
			check([]byte{byte(a), byte(b)})
			check([]byte{byte(a), byte(b), 0x80})
			check([]byte{byte(a), byte(b), 0x80, 0xbf})
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		b := []byte{byte(0xc0 + rng.IntN(0x40)), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256))}
		check(b[:1+rng.IntN(4)])
	}
}

// checkJSONString checks what appendJSONString promises for any input.
func checkJSONString(t *testing.T, in []byte) {
	out, ok := appendJSONString(nil, in, true)
	if ok != utf8.Valid(in) {
		t.Fatalf("strict ok = %v for %q", ok, in)
	}
	if !ok {
		if len(out) != 0 {
			t.Fatalf("strict failure left %q", out)
		}
		out, _ = appendJSONString(nil, in, false)
	}
	if !json.Valid(out) {
		t.Fatalf("%q encoded as invalid JSON %q", in, out)
	}
	var back string
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	if ok && back != string(in) {
		t.Fatalf("%q came back as %q", in, back)
	}
	if !ok && back != replaceInvalid(in) {
		t.Fatalf("%q came back as %q", in, back)
	}
	for _, r := range string(out) {
		if r < 0x20 || r >= 0x7f && r <= 0x9f || r == '\u2028' || r == '\u2029' {
			t.Fatalf("%q encoded with a raw %U: %q", in, r, out)
		}
	}
}

// replaceInvalid replaces each byte of in that is not part of valid UTF-8
// with U+FFFD.
func replaceInvalid(in []byte) string {
	var sb strings.Builder
	for len(in) > 0 {
		r, n := utf8.DecodeRune(in)
		sb.WriteRune(r)
		in = in[n:]
	}
	return sb.String()
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\x00\u2028\xff", "é\xc3", "\xf0\x9f\x8e\x89"} {
		f.Add([]byte(s))
	}
	f.Fuzz(checkJSONString)
}

func TestAppendJSONStringRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "\"", "\\", "\x00", "\x1f", "\x7f", "\u0080", "\u2028", "é", "🎉", "\xff", "\xe2\x80", "\xed\xb0\x80"}
	for range 20000 {
		var sb strings.Builder
		for range rng.IntN(12) {
			sb.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		checkJSONString(t, []byte(sb.String()))
	}
}
