package protocol

import "testing"

func BenchmarkZZClassifyRPC(b *testing.B) {
	req := []byte(`{"jsonrpc":"2.0","id":       7,"method":"echo","params":"abcdefg"}`)
	resp := []byte(`{"jsonrpc":"2.0","id":       7,"result":"abcdefghijklmnopqrstu"}`)
	for b.Loop() {
		Classify(req, nil)
		Classify(resp, nil)
	}
}
