package protocol

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// idFieldSets are the id field lists the fast classifier is compared with
// the reference under: the default, a copy of it (as the flags make it), a
// custom one, and one whose fields share lengths with the keys the
// classifier looks for.
var idFieldSets = [][]string{nil, slices.Clone(DefaultIDFields), {"tag", "rid"}, {"type", "id", "seq"}}

// sameClassify fails t unless Classify and refClassify give the same Info
// for data, with ID and Method at the same place in it.
func sameClassify(t *testing.T, data []byte) {
	t.Helper()
	for _, fields := range idFieldSets {
		got, want := Classify(data, fields), refClassify(data, fields)
		if !reflect.DeepEqual(got, want) || !samePlaces(data, got, want) {
			t.Fatalf("Classify(%q, %q) = %+v, want %+v", data, fields, got, want)
		}
	}
}

func samePlace(a, b []byte) bool {
	return len(a) == 0 || &a[0] == &b[0]
}

// samePlaces reports whether the ids and methods of got and want, Infos
// of data, lie at the same place in it; a batch's are made (equal, not
// placed), and so is a method with escapes read (copies both).
func samePlaces(data []byte, got, want Info) bool {
	return IsBatch(data) || samePlace(got.ID, want.ID) &&
		(samePlace(got.Method, want.Method) || !within(got.Method, data) && !within(want.Method, data))
}

// sameInputs are messages of the protocols sockscope classifies, and
// broken ones; TestClassifyMatchesReference varies each.
var sameInputs = []string{
	`{"rid":12,"method":"add","args":[1,2,3,4,5,6,7,8,9,10,11,12,13]}`,
	`{"rid":12,"success":true,"data":[{"id":1234,"name":"entry","tags":["a","b"],"ok":true}]}`,
	`{"jsonrpc":"2.0","id":7,"result":{"x":[1,2,{"y":"z"}]}}`,
	`{"jsonrpc":"2.0","id":"a\"b","error":{"code":-32601,"message":"no"}}`,
	`{"jsonrpc":"2.0","method":"note","params":[1]}`,
	`{"seq":5,"type":"response","request_seq":1,"command":"initialize","success":true}`,
	`{"seq":1,"type":"request","command":"x","arguments":{}}`,
	`{"seq":2,"type":"event","event":"stopped","body":{}}`,
	`{"QMP":{"version":{}}}`, `{"execute":"qmp_capabilities","id":"q1"}`, `{"return":{},"id":"q1"}`,
	`{"execute":"query-status"}`, `{"exec-oob":"migrate-pause","id":"p"}`, `{"return": {}}`, `{"error": {"class": "CommandNotFound", "desc": "x"}}`,
	`{"error":{"code":1,"message":"x"},"id":null}`, `{"error":{"class":1},"result":1}`, `{"return":1,"success":true}`,
	`{"command":["get_property","volume"],"request_id":3}`, `{"error":"success","request_id":3,"data":1}`,
	`{ "command": ["get_property", "volume"] }`, `{"data":1,"request_id":0,"error":"success"}`,
	`{"command":["x"],"request_id":0,"id":0}`, `{"request_id":0,"id":0,"error":"x"}`, `{"id":0,"error":"x"}`,
	`{"action":"register","methods":["add","time"]}`, `{"message":"boom","stack":"Error"}`,
	`{"rid":null,"id":2,"method":"m"}`, `{"tag":"x","rid":1,"method":"m"}`, ` { } `, `{}`, `[]`,
	`[1,{"a":"}"}]`, `{"a":"\"\\"}`, "{\"a\":\"\xff\"}", "{\"é\":\"世界\",\"id\":1,\"method\":\"m\"}",
	`{"a":[}`, `{"a" 1}`, `{"a":1,}`, `{"a":1 "b":2}`, `{1:2}`, `{"a":tru}`, `{"a":-}`, `{"a":1}x`,
	`{"rid":1,"method":"add"}` + "\n", `{"id":1.0,"result":null}`, `{"id":{"a":[1]},"result":1}`,
	`{"method":1,"id":1}`, `{"type":"response","request_seq":4,"success":false,"message":"x"}`,
	"{\"a\":\"\\u00e9\",\"id\":\t1 ,\r\n\"result\" : 2 }",
	// What the fast scan takes, and what it hands to the general one.
	`{"rid":1,"method":"a\"b","params":["x\\",1]}`, `{ "id" : 1 , "result" : [ 1 , 2 ] }`,
	`{"a":[1,2,3,4,5,6,7,8,9,10,"x"],"id":1,"result":1}`, `{"a":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}` + "\n",
	`{"id":1,"result":"` + strings.Repeat("abcdefg\\", 6) + `\"` + strings.Repeat("x", 40) + `"}`,
	`{"long key with \"quotes\" in it, more than 32 bytes":1,"id":2,"error":{}}`,
	`{"id":1,"result":[true,false,null,-1.5e+3]}`, `{"id":1,"result":[1,2]]}`, `{"id":1,"result":[1,2}`,
}

// TestClassifyMatchesReference compares the fast classifier with the
// reference on every input above, every prefix of it, and every one with
// a byte replaced by one that changes the scan.
func TestClassifyMatchesReference(t *testing.T) {
	subst := []byte("\x00\x1f \t\n\"\\{}[],:01-.aenu\x7f\x80\xc3\xff*+/;")
	for _, in := range sameInputs {
		data := []byte(in)
		for n := 0; n <= len(data); n++ {
			sameClassify(t, data[:n:n])
		}
		for i := range data {
			for _, b := range subst {
				mut := []byte(in)
				mut[i] = b
				sameClassify(t, mut)
			}
		}
	}
	// The FuzzClassify corpus.
	files, _ := filepath.Glob("testdata/fuzz/FuzzClassify/*")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(raw), "\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[1], "[]byte(") {
			continue
		}
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		sameClassify(t, []byte(s))
	}
}
