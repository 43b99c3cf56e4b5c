//go:build race && unix

package main

// The race detector allows 8,128 live goroutines; the in-process relay test
// runs five per connection.
func init() { relayConns = 1000 }
