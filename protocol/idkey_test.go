package protocol

import (
	"encoding/json"
	"reflect"
	"testing"
)

// Spellings of one id pair; ids of different values never do.
func TestIDsPairAsJSONValues(t *testing.T) {
	same := [][2]string{
		{`{"tag":["x",1],"n":null}`, `{"n":null,"tag":["x",1]}`},
		{`{ "tag" : [ "x" , 1 ] , "n" : null }`, `{"n":null,"tag":["x",1]}`},
		{`{"a":{"c":1,"b":2}}`, `{"a":{"b":2,"c":1}}`},
		{`"split-é"`, `"split-\u00e9"`},
		{`"split-é"`, `"split-\u00E9"`},
		{`"a/b"`, `"a\/b"`},
		{`"😀"`, `"\ud83d\ude00"`},
		{`"😀"`, `"\uD83D\uDE00"`},
		{`"tab\there"`, `"tab\u0009here"`},
		{`"q\"x"`, `"q\u0022x"`},
		{`"\\"`, `"\u005c"`},
		{`"\ud800"`, `"\uD800"`}, // a lone surrogate, two spellings
		{`1`, `1.0`},
		{`1`, `1e0`},
		{`1`, `1E0`},
		{`1`, `10e-1`},
		{`1`, `0.1e1`},
		{`100`, `1e2`},
		{`100`, `1.00E+2`},
		{`0`, `-0`},
		{`0`, `0.0e5`},
		{`-5`, `-5.0`},
		{`0.5`, `5e-1`},
		{`1.5e300`, `15e299`},
		{`12345678901234567890`, `1234567890123456789e1`},
		{`{"id":[1,"é"]}`, `{"id":[1.0,"\u00e9"]}`},
		{`{"execute":"x","n":1}`, "{\"n\":1,\n\t\"execute\":\"x\"}"},
	}
	for _, c := range same {
		p := NewPairer(0)
		p.Request(C2S, []byte(c[0]), ms(1), 7)
		if req, ok := p.Response(S2C, []byte(c[1]), ms(2), 8); !ok || req.Token != 7 {
			t.Errorf("%s and %s did not pair", c[0], c[1])
		}
		// And the other way round.
		p = NewPairer(0)
		p.Request(C2S, []byte(c[1]), ms(1), 7)
		if _, ok := p.Response(S2C, []byte(c[0]), ms(2), 8); !ok {
			t.Errorf("%s and %s did not pair (reversed)", c[1], c[0])
		}
	}
	differ := [][2]string{
		{`1`, `"1"`},
		{`1`, `1.5`},
		{`1`, `true`},
		{`null`, `"null"`},
		{`"a"`, `"A"`},
		{`"é"`, `"e\u0301"`}, // no Unicode normalisation: different strings
		{`[1,2]`, `[2,1]`},
		{`{"a":1}`, `{"a":1,"b":2}`},
		{`{"a":1}`, `{"a":"1"}`},
		{`12345678901234567890`, `12345678901234567891`}, // equal as float64
		{`1e400`, `1e401`},
		{`"\ud800"`, `"\ud801"`},
	}
	for _, c := range differ {
		p := NewPairer(0)
		p.Request(C2S, []byte(c[0]), ms(1), 7)
		if _, ok := p.Response(S2C, []byte(c[1]), ms(2), 8); ok {
			t.Errorf("%s and %s paired", c[0], c[1])
		}
	}
}

// The canonical spelling of a value is itself canonical, and it is what
// encoding/json reads back as the same value.
func TestCanonIDSpelling(t *testing.T) {
	cases := map[string]string{
		`{"b":1,"a":[1.0,"\u00e9\/"]}`: `{"a":[1,"é/"],"b":1}`,
		`"x\u0001\n"`:                  `"x\u0001\n"`,
		`1.50e1`:                       `15`,
		`0.00015`:                      `1.5e-4`,
		`-1e70`:                        `-1e70`,
		`1e63`:                         `1000000000000000000000000000000000000000000000000000000000000000`,
		`[ ]`:                          `[]`,
		`{ }`:                          `{}`,
		`1.2.3`:                        `1.2.3`, // not a number: kept as it is
		`{"a":1`:                       `{"a":1`,
		`"\x"`:                         `"\x"`,
	}
	for in, want := range cases {
		got := string(canonID(nil, []byte(in)))
		if got != want {
			t.Errorf("canonID(%s) = %s, want %s", in, got, want)
		}
		if again := string(canonID(nil, []byte(got))); again != got {
			t.Errorf("canonID(%s) = %s, not canonical again", got, again)
		}
		var a, b any
		if json.Unmarshal([]byte(in), &a) == nil {
			if err := json.Unmarshal([]byte(got), &b); err != nil || !reflect.DeepEqual(a, b) {
				t.Errorf("canonID(%s) = %s reads back as %v, want %v (%v)", in, got, b, a, err)
			}
		}
	}
}

// Plain numbers and strings are used as they are: pairing them costs no
// allocation; nor does a short canonicalised id once the scratch buffer
// has grown.
func TestPairingPlainIDsAllocatesNothing(t *testing.T) {
	p := NewPairer(0)
	for _, id := range []string{`12`, `"abc-12"`, `"é"`, `1.5`, `"a\/b"`} {
		b := []byte(id)
		p.Request(C2S, b, ms(1), 1)
		p.Response(S2C, b, ms(2), 2)
		n := testing.AllocsPerRun(100, func() {
			p.Request(C2S, b, ms(1), 1)
			p.Response(S2C, b, ms(2), 2)
		})
		if n != 0 {
			t.Errorf("pairing id %s: %v allocations", id, n)
		}
	}
}

func TestSameID(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{`2147483646`, `2147483646.0`, true},
		{`"split-é"`, `"split-\u00E9"`, true},
		{`{"tag":["x",1],"n":null}`, `{"n":null,"tag":["x",1]}`, true},
		{`"a/b"`, `"a\/b"`, true},
		{`1`, `"1"`, false},
		{`1`, `2`, false},
	} {
		if got := SameID([]byte(c.a), []byte(c.b)); got != c.same {
			t.Errorf("SameID(%s, %s) = %v, want %v", c.a, c.b, got, c.same)
		}
		if k := IDKey(nil, []byte(`7`)); string(k) != `7` {
			t.Errorf("IDKey(7) = %s", k)
		}
	}
}
