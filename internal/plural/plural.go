// Package plural says a count with its noun, singular when the count is 1:
//
//	plural.Of(1, "request")           // "1 request"
//	plural.Of(3, "request")           // "3 requests"
//	plural.Noun(2, "reply", "replies") // "replies"
package plural

import "strconv"

// Integer is any integer type a count comes in.
type Integer interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

// Noun returns one when n is 1, else the plural: many if given, else one
// with an s.
func Noun[N Integer](n N, one string, many ...string) string {
	switch {
	case n == 1:
		return one
	case len(many) > 0:
		return many[0]
	}
	return one + "s"
}

// Of returns n and its noun: "1 request", "2 requests".
func Of[N Integer](n N, one string, many ...string) string {
	var s string
	if n < 0 {
		s = strconv.FormatInt(int64(n), 10)
	} else {
		s = strconv.FormatUint(uint64(n), 10)
	}
	return s + " " + Noun(n, one, many...)
}
