package protocol

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
)

// A JSON-RPC 2.0 batch is a top-level array of requests and notifications,
// sent as one message; the server answers it with one array of the
// responses, in any order, none for the notifications (and nothing at all
// for a batch of notifications only). A batch is one exchange here:
//
//   - an array with at least one request (an element with an id and a
//     method) is a request; its id is the set of its requests' ids, as a
//     JSON array of their canonical spellings (IDKey) in sorted order, so
//     [{…"id":2…},{…"id":1…}] has the id [1,2], and its method lists the
//     methods of its elements: batch(echo,fail), batch(get×3,put) (no
//     spaces: the method is one word of a filter or a rule);
//   - an array of responses is a response whose id is the set of its
//     responses' ids made the same way (ids that are null, the replies to
//     elements the server could not read, are left out), so that it pairs
//     with its batch whatever the order of the replies; it failed when
//     any of them is an error;
//   - an array of notifications only is a notification, its method as a
//     request's;
//   - an empty array, or one of no element of those kinds, is KindOther
//     as before (a server answers an empty batch with a single error
//     object whose id is null: a response without id, an orphan).
//
// Classify makes the id and method of a batch: they do not alias the
// frame. A batch is classified by the general scan, which allocates; a
// frame that starts with '{' never gets here.

// Bounds of a batch's method: at most batchMethods entries (a run of one
// method counts once) and about maxBatchMethod bytes; the elements past
// them are counted ("…+12").
const (
	batchMethods   = 8
	maxBatchMethod = 200
)

// Batch is what a batch holds, for the detail pane.
type Batch struct {
	// Requests, Notifications and Responses count the elements of those
	// kinds; Errors the responses that failed (included in Responses);
	// Other the elements of no known kind (not objects, or objects of no
	// JSON-RPC shape).
	Requests, Notifications, Responses, Errors, Other int
}

// String says what the batch holds, as "2 requests, 1 notification" or
// "3 responses, 1 error".
func (b Batch) String() string {
	var parts []string
	add := func(n int, one, many string) {
		if n == 1 {
			parts = append(parts, "1 "+one)
		} else if n > 1 {
			parts = append(parts, strconv.Itoa(n)+" "+many)
		}
	}
	add(b.Requests, "request", "requests")
	add(b.Notifications, "notification", "notifications")
	add(b.Responses, "response", "responses")
	add(b.Errors, "error", "errors")
	add(b.Other, "other element", "other elements")
	if len(parts) == 0 {
		return "empty"
	}
	return strings.Join(parts, ", ")
}

// IsBatch reports whether a JSON frame is an array: a batch, if it is
// one of JSON-RPC's (see BatchOf). Its id, when Classify gives it one, is
// made of its elements' and lies in no single place of the frame: a
// message sockscope writes an id into (a resend, an answer) cannot be
// one.
func IsBatch(data []byte) bool {
	i := skipSpace(data, 0)
	return i < len(data) && data[i] == '['
}

// BatchOf counts the elements of a batch by kind (see Batch), classifying
// each with Classify; ok is false when data is not a JSON array.
func BatchOf(data []byte, idFields []string) (b Batch, ok bool) {
	if !IsBatch(data) || Classify(data, idFields).Kind == KindRaw {
		return Batch{}, false
	}
	if len(idFields) == 0 {
		idFields = DefaultIDFields
	}
	eachElement(data, func(e []byte) {
		var info Info
		if e[0] == '{' {
			classifyInto(e, idFields, &info)
		}
		b.count(info)
	})
	return b, true
}

// BatchElements returns the elements of batch data, slices of it in
// order; nil when data is not a JSON array.
func BatchElements(data []byte) [][]byte {
	if !IsBatch(data) || Classify(data, nil).Kind == KindRaw {
		return nil
	}
	var out [][]byte
	eachElement(data, func(e []byte) { out = append(out, e) })
	return out
}

// count adds an element classified as info.
func (b *Batch) count(info Info) {
	switch {
	case info.Kind == KindRequest && info.ID != nil:
		b.Requests++
	case info.Kind == KindNotification:
		b.Notifications++
	case info.Kind == KindResponse:
		b.Responses++
		if info.IsError {
			b.Errors++
		}
	default:
		b.Other++
	}
}

// eachElement calls f with each element of the array data, which is valid
// JSON (Classify checked it).
func eachElement(data []byte, f func([]byte)) {
	i := skipSpace(data, 0) + 1
	for {
		i = skipSpace(data, i)
		if i >= len(data) || data[i] == ']' {
			return
		}
		e, reason := skipValue(data, i)
		if reason != "" {
			return
		}
		f(data[i:e])
		i = skipSpace(data, e)
		if i < len(data) && data[i] == ',' {
			i++
		}
	}
}

// classifyBatch is Classify for a top-level array, valid JSON: elem
// classifies each element that is an object.
func classifyBatch(data []byte, idFields []string, elem func([]byte, []string) Info) Info {
	var (
		b       Batch
		reqIDs  [][]byte
		respIDs [][]byte
		methods [][]byte
		failed  bool
	)
	eachElement(data, func(e []byte) {
		var info Info
		if e[0] == '{' {
			info = elem(e, idFields)
		}
		b.count(info)
		switch {
		case info.Kind == KindRequest && info.ID != nil:
			reqIDs = append(reqIDs, info.ID)
			methods = append(methods, info.Method)
		case info.Kind == KindNotification:
			methods = append(methods, info.Method)
		case info.Kind == KindResponse:
			failed = failed || info.IsError
			if info.ID != nil {
				respIDs = append(respIDs, info.ID)
			}
		}
	})
	switch {
	case b.Requests > 0:
		return Info{Kind: KindRequest, ID: batchID(reqIDs), Method: batchMethod(methods)}
	case b.Responses > 0:
		return Info{Kind: KindResponse, ID: batchID(respIDs), IsError: failed}
	case b.Notifications > 0:
		return Info{Kind: KindNotification, Method: batchMethod(methods)}
	}
	return Info{Kind: KindOther}
}

// batchID is the id of a batch whose elements' ids are ids: their canonical
// spellings, sorted, as a JSON array; nil when there are none.
func batchID(ids [][]byte) []byte {
	if len(ids) == 0 {
		return nil
	}
	keys := make([][]byte, len(ids))
	n := 2
	for i, id := range ids {
		keys[i] = IDKey(nil, id)
		n += len(keys[i]) + 1
	}
	slices.SortFunc(keys, bytes.Compare)
	out := make([]byte, 0, n)
	out = append(out, '[')
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, k...)
	}
	return append(out, ']')
}

// batchMethod is the method a batch is shown under: batch(…) with the
// methods of its elements in order, a run of one method as "name×n",
// within the bounds above. The methods are as Classify gives them, text
// with escapes read, and so is the result.
func batchMethod(methods [][]byte) []byte {
	out := []byte("batch(")
	entries := 0
	for i := 0; i < len(methods); {
		j := i + 1
		for j < len(methods) && bytes.Equal(methods[j], methods[i]) {
			j++
		}
		if entries > 0 {
			out = append(out, ',')
		}
		if entries == batchMethods || len(out)+len(methods[i]) > maxBatchMethod {
			out = append(out, "…+"...)
			out = strconv.AppendInt(out, int64(len(methods)-i), 10)
			break
		}
		out = append(out, methods[i]...)
		if j-i > 1 {
			out = append(out, "×"...)
			out = strconv.AppendInt(out, int64(j-i), 10)
		}
		entries++
		i = j
	}
	return append(out, ')')
}
