package protocol

import (
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		in     string
		kind   Kind
		id     string
		method string
		isErr  bool
		err    string
	}{
		// The seed protocol.
		{`{"action":"register","methods":["add","time"]}`, KindNotification, "", "register", false, ""},
		{`{"rid":1,"method":"add","args":[1,2,3,4,5]}`, KindRequest, "1", "add", false, ""},
		{`{"rid":1,"success":true,"data":15}`, KindResponse, "1", "", false, ""},
		{`{"rid":2,"success":false,"error":"message"}`, KindResponse, "2", "", true, ""},
		{`{"success":false,"rid":7}`, KindResponse, "7", "", true, ""},
		{`{}`, KindResponse, "", "", true, ""},
		{` { } `, KindResponse, "", "", true, ""},
		{`{"message":"boom","stack":"Error: boom\n    at x"}`, KindResponse, "", "", true, ""},
		{`{"success":true}`, KindResponse, "", "", false, ""},
		// JSON-RPC 2.0.
		{`{"jsonrpc":"2.0","id":1,"method":"m","params":{"id":99}}`, KindRequest, "1", "m", false, ""},
		{`{"jsonrpc":"2.0","id":"1","method":"m"}`, KindRequest, `"1"`, "m", false, ""},
		{`{"jsonrpc":"2.0","method":"note","params":[1]}`, KindNotification, "", "note", false, ""},
		{`{"jsonrpc":"2.0","id":3,"result":null}`, KindResponse, "3", "", false, ""},
		{`{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"no"}}`, KindResponse, "3", "", true, ""},
		{`{"jsonrpc":"2.0","id":null,"error":{"code":-32700}}`, KindResponse, "", "", true, ""},
		// JSON-RPC 2.0 batches (see TestClassifyBatch).
		{`[{"jsonrpc":"2.0","id":1,"method":"a"}]`, KindRequest, "[1]", "batch(a)", false, ""},
		{`[{"jsonrpc":"2.0","id":2,"method":"echo","params":[1]}, {"jsonrpc":"2.0","id":1,"method":"fail"}]`, KindRequest, "[1,2]", "batch(echo,fail)", false, ""},
		{`[{"jsonrpc":"2.0","id":1,"error":{"code":-32000}},{"jsonrpc":"2.0","id":2,"result":[1]}]`, KindResponse, "[1,2]", "", true, ""},
		{`[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b"}]`, KindNotification, "", "batch(a,b)", false, ""},
		{`{"params":{"id":5,"method":"inner"},"x":1}`, KindOther, "", "", false, ""},
		{`{"id" : {"a":[1,"}"]} , "method":"q\"x"}`, KindRequest, `{"a":[1,"}"]}`, `q"x`, false, ""},
		// A method is its text: Neovim's vim.json escapes every '/'.
		{`{"jsonrpc":"2.0","method":"textDocument\/hover","id":2,"params":{}}`, KindRequest, "2", "textDocument/hover", false, ""},
		{`{"jsonrpc":"2.0","method":"$\/cancelRequest","params":{"id":2}}`, KindNotification, "", "$/cancelRequest", false, ""},
		{`{"id":1,"method":"\u00e9t\u00e9"}`, KindRequest, "1", "été", false, ""},
		{`{"seq":3,"type":"request","command":"set\/Breakpoints"}`, KindRequest, "3", "set/Breakpoints", false, ""},
		// rid wins over id, whatever the order.
		{`{"id":9,"rid":4,"method":"m"}`, KindRequest, "4", "m", false, ""},
		// QMP.
		{`{"QMP":{"version":{"qemu":{"major":8}},"capabilities":["oob"]}}`, KindNotification, "", "QMP", false, ""},
		{`{"execute":"qmp_capabilities","id":"a1"}`, KindRequest, `"a1"`, "qmp_capabilities", false, ""},
		{`{"execute":"query-status"}`, KindRequest, "", "query-status", false, ""}, // paired by order
		{`{"return":{},"id":"a1"}`, KindResponse, `"a1"`, "", false, ""},
		{`{"error":{"class":"GenericError","desc":"x"},"id":{"n":[1,2]}}`, KindResponse, `{"n":[1,2]}`, "", true, ""},
		{`{"event":"STOP","timestamp":{"seconds":1,"microseconds":2}}`, KindNotification, "", "STOP", false, ""},
		// DAP.
		{`{"seq":1,"type":"request","command":"initialize","arguments":{"id":"x"}}`, KindRequest, "1", "initialize", false, ""},
		{`{"seq":5,"type":"response","request_seq":1,"command":"initialize","success":true}`, KindResponse, "1", "initialize", false, ""},
		{`{"seq":6,"type":"response","request_seq":2,"command":"launch","success":false,"message":"no"}`, KindResponse, "2", "launch", true, ""},
		{`{"seq":7,"type":"event","event":"stopped","body":{}}`, KindNotification, "", "stopped", false, ""},
		// Valid but of no known shape.
		{`{"a":1}`, KindOther, "", "", false, ""},
		{`{"rid":1,"data":2}`, KindOther, "", "", false, ""},
		{`[]`, KindOther, "", "", false, ""},
		{`{"s":"héllo 世界 😀"}`, KindOther, "", "", false, ""},
		// Not JSON.
		{``, KindRaw, "", "", false, "empty"},
		{"  \r\n", KindRaw, "", "", false, "empty"},
		{`GET / HTTP/1.1`, KindRaw, "", "", false, "not JSON: starts with 0x47 'G'"},
		{"\x00abc", KindRaw, "", "", false, "not JSON: starts with 0x00"},
		{`"str"`, KindRaw, "", "", false, `not JSON: starts with 0x22 '"'`},
		{`{"a":"b`, KindRaw, "", "", false, "unterminated string"},
		{`{"a":"b\"}`, KindRaw, "", "", false, "unterminated string"},
		{`{"a":[1,2}`, KindRaw, "", "", false, "mismatched brackets"},
		{`{"a":[1,2]`, KindRaw, "", "", false, "unexpected end"},
		{`{"a":{"b":1}`, KindRaw, "", "", false, "unexpected end"},
		{`{"a":1}}`, KindRaw, "", "", false, "trailing data after JSON value"},
		{`{"a":1} {"b":2}`, KindRaw, "", "", false, "trailing data after JSON value"},
		{`[1,2]]`, KindRaw, "", "", false, "trailing data after JSON value"},
		{`{"a":#}`, KindRaw, "", "", false, "unexpected character"},
		{`{"a":[1,<2>]}`, KindRaw, "", "", false, "unexpected character"},
		{`{"a" 1}`, KindRaw, "", "", false, "expected ':' after key"},
		{`{a:1}`, KindRaw, "", "", false, "expected a string key"},
		{`{"a":1 "b":2}`, KindRaw, "", "", false, "expected ',' or '}' after member"},
		{`{"a":}`, KindRaw, "", "", false, "unexpected character"},
		{"{\"a\":\"\xff\xfe\"}", KindRaw, "", "", false, "invalid UTF-8"},
		{"{\"a\":\"\xe4\xb8\"}", KindRaw, "", "", false, "invalid UTF-8"},
	} {
		got := Classify([]byte(tc.in), nil)
		if got.Kind != tc.kind || string(got.ID) != tc.id || string(got.Method) != tc.method || got.IsError != tc.isErr || got.Err != tc.err {
			t.Errorf("Classify(%s) = {%v id=%s method=%s isErr=%v err=%q}; want {%v id=%s method=%s isErr=%v err=%q}",
				tc.in, got.Kind, got.ID, got.Method, got.IsError, got.Err, tc.kind, tc.id, tc.method, tc.isErr, tc.err)
		}
		if (got.ID == nil) != (tc.id == "") {
			t.Errorf("Classify(%s): ID %q, want nil: %v", tc.in, got.ID, tc.id == "")
		}
	}
}

func TestClassifyIDFields(t *testing.T) {
	in := []byte(`{"tag":"x","rid":1,"method":"m"}`)
	if got := Classify(in, []string{"tag"}); string(got.ID) != `"x"` || got.Kind != KindRequest {
		t.Errorf("custom id field: %+v", got)
	}
	// A null id is no id: the next field is tried.
	if got := Classify([]byte(`{"rid":null,"id":2,"method":"m"}`), nil); string(got.ID) != "2" {
		t.Errorf("null rid should fall back to id: %+v", got)
	}
	// The id aliases the data.
	got := Classify(in, nil)
	if !within(got.ID, in) || !within(got.Method, in) {
		t.Error("ID and Method should alias the data")
	}
}

func TestClassifyDeepNesting(t *testing.T) {
	for _, n := range []int{maxDepth - 1, maxDepth, maxDepth + 1, 100000} {
		arr := strings.Repeat("[", n) + strings.Repeat("]", n)
		obj := `{"a":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + `}`
		for _, in := range []string{arr, obj} {
			got := Classify([]byte(in), nil)
			deep := n > maxDepth
			if deep && got.Err != errDeep {
				t.Errorf("depth %d: got %+v, want %q", n, got, errDeep)
			}
			if !deep && got.Kind != KindOther {
				t.Errorf("depth %d: got %+v, want other", n, got)
			}
		}
	}
	// Mismatched brackets deep down (past the first 64 levels) are caught.
	in := `{"a":` + strings.Repeat("[{", 100) + "]" + strings.Repeat("}]", 99) + "}" + `}`
	if got := Classify([]byte(in), nil); got.Err != errMismatch {
		t.Errorf("deep mismatch: %+v", got)
	}
}

func TestClassifyNoAllocs(t *testing.T) {
	msgs := [][]byte{
		[]byte(`{"rid":1,"method":"add","args":[1,2,3,4,5]}`),
		[]byte(`{"seq":5,"type":"response","request_seq":1,"command":"initialize","success":true}`),
		[]byte(`{"QMP":{"version":{}}}`),
		[]byte(`GET / HTTP/1.1`),
		[]byte(`{"a":[1,2}`),
	}
	for _, m := range msgs {
		if n := testing.AllocsPerRun(100, func() { Classify(m, nil) }); n != 0 {
			t.Errorf("Classify(%s): %v allocs", m, n)
		}
	}
}

// A JSON-RPC 2.0 batch is one exchange: an array with requests is a
// request whose id is the set of their ids (sorted, canonical) and whose
// method lists its elements'; the array of replies, in whatever order, has
// the same id, and failed if any reply did; notifications count in the
// method but not in the id; a batch of notifications is one.
func TestClassifyBatch(t *testing.T) {
	for _, tc := range []struct {
		in     string
		kind   Kind
		id     string
		method string
		isErr  bool
		batch  string // BatchOf's String
	}{
		{`[{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]},{"jsonrpc":"2.0","id":2,"method":"fail"}]`,
			KindRequest, "[1,2]", "batch(echo,fail)", false, "2 requests"},
		// The replies in another order, spelt otherwise: the same id.
		{`[{"jsonrpc":"2.0","id":2.0,"error":{"code":-32000,"message":"fail"}},{"jsonrpc":"2.0","id":1,"result":[1]}]`,
			KindResponse, "[1,2]", "", true, "2 responses, 1 error"},
		{` [ {"jsonrpc":"2.0","id":1,"result":1} , {"id":2,"result":2,"jsonrpc":"2.0"} ] `,
			KindResponse, "[1,2]", "", false, "2 responses"},
		// Notifications get no reply: not in the id.
		{`[{"jsonrpc":"2.0","method":"log"},{"jsonrpc":"2.0","id":"b","method":"get"},{"jsonrpc":"2.0","id":"a","method":"get"}]`,
			KindRequest, `["a","b"]`, "batch(log,get×2)", false, "2 requests, 1 notification"},
		{`[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b","params":{}}]`,
			KindNotification, "", "batch(a,b)", false, "2 notifications"},
		// Elements the server cannot read are answered with a null id:
		// left out of the id, but the reply failed.
		{`[1,{"jsonrpc":"2.0","id":7,"method":"m"}]`, KindRequest, "[7]", "batch(m)", false, "1 request, 1 other element"},
		{`[{"jsonrpc":"2.0","id":null,"error":{"code":-32600}},{"jsonrpc":"2.0","id":7,"result":0}]`,
			KindResponse, "[7]", "", true, "2 responses, 1 error"},
		{`[{"jsonrpc":"2.0","id":null,"error":{"code":-32600}},{"jsonrpc":"2.0","id":null,"error":{"code":-32600}}]`,
			KindResponse, "", "", true, "2 responses, 2 errors"},
		// Ids as values: escapes, key order.
		{`[{"id":"\u00e9","method":"x"},{"id":{"b":1,"a":2},"method":"y"}]`, KindRequest, `["é",{"a":2,"b":1}]`, "batch(x,y)", false, "2 requests"},
		// Not batches.
		{`[]`, KindOther, "", "", false, "empty"},
		{`[1,2,3]`, KindOther, "", "", false, "3 other elements"},
		{`[{"a":1},"x",[{"id":1,"method":"m"}]]`, KindOther, "", "", false, "3 other elements"},
	} {
		got := Classify([]byte(tc.in), nil)
		if got.Kind != tc.kind || string(got.ID) != tc.id || string(got.Method) != tc.method || got.IsError != tc.isErr || got.Err != "" {
			t.Errorf("Classify(%s) = {%v id=%s method=%s isErr=%v err=%q}; want {%v id=%s method=%s isErr=%v}",
				tc.in, got.Kind, got.ID, got.Method, got.IsError, got.Err, tc.kind, tc.id, tc.method, tc.isErr)
		}
		if (got.ID == nil) != (tc.id == "") {
			t.Errorf("Classify(%s): ID %q, want nil: %v", tc.in, got.ID, tc.id == "")
		}
		if b, ok := BatchOf([]byte(tc.in), nil); !ok || b.String() != tc.batch {
			t.Errorf("BatchOf(%s) = %q, %v; want %q", tc.in, b, ok, tc.batch)
		}
		var m Memo // the decoder's way: the same Info
		var info Info
		m.ClassifyInto(FramingLines, []byte(tc.in), C2S, nil, &info)
		if info.Kind != got.Kind || string(info.ID) != string(got.ID) || string(info.Method) != string(got.Method) || info.IsError != got.IsError {
			t.Errorf("Memo.ClassifyInto(%s) = %+v, want %+v", tc.in, info, got)
		}
	}
	if _, ok := BatchOf([]byte(`{"id":1,"method":"m"}`), nil); ok {
		t.Error("BatchOf of an object: ok")
	}
	if _, ok := BatchOf([]byte(`[1,`), nil); ok {
		t.Error("BatchOf of broken JSON: ok")
	}
}

// A batch's method stays short: runs of one method are counted, and past
// batchMethods entries or maxBatchMethod bytes the rest are counted.
func TestBatchMethod(t *testing.T) {
	elems := func(methods ...string) string {
		var b strings.Builder
		b.WriteString("[")
		for i, m := range methods {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`{"jsonrpc":"2.0","id":` + strings.Repeat("1", i+1) + `,"method":"` + m + `"}`)
		}
		b.WriteString("]")
		return b.String()
	}
	many := make([]string, 20)
	for i := range many {
		many[i] = string(rune('a' + i))
	}
	long := strings.Repeat("x", 150)
	for _, tc := range []struct {
		methods []string
		want    string
	}{
		{[]string{"get", "get", "get", "put", "get"}, "batch(get×3,put,get)"},
		{many, "batch(a,b,c,d,e,f,g,h,…+12)"},
		{[]string{long, long + "y", "z"}, "batch(" + long + ",…+2)"},
		{[]string{`q\"x`, "é"}, `batch(q"x,é)`},
		{[]string{`textDocument\/hover`, `textDocument\/hover`}, `batch(textDocument/hover×2)`},
	} {
		got := Classify([]byte(elems(tc.methods...)), nil)
		if string(got.Method) != tc.want {
			t.Errorf("methods %q: %s, want %s", tc.methods, got.Method, tc.want)
		}
	}
}
