package replay

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"
)

// WriteText writes what differs, one exchange a block, for people.
func WriteText(w io.Writer, res *Result) error {
	for _, c := range res.Compared {
		if c.Verdict == Same && !c.Slower {
			continue
		}
		what := c.Verdict.String()
		if c.Verdict == Same {
			what = "slower"
		}
		fmt.Fprintf(w, "conn %d %s %s: %s (then %s, now %s)\n", c.RecordedConn, c.Method, c.Ref(), what,
			withLatency(c.Then, c.LatencyThen), withLatency(c.Now, c.LatencyNow))
		for _, d := range c.Diff {
			fmt.Fprintf(w, "  %s\n", d)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(res.Notes)) {
		for _, d := range res.Notes[k].Diff {
			fmt.Fprintf(w, "notification %s, the last one: %s\n", k, d)
		}
	}
	return nil
}

// withLatency is a status and, when it was answered, its latency.
func withLatency(status string, d time.Duration) string {
	if d <= 0 {
		return status
	}
	return fmt.Sprintf("%s %v", status, d.Round(10e3))
}

// WriteDump writes one JSON line per compared exchange, then one per kind
// of unpaired message.
func WriteDump(w io.Writer, res *Result) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, c := range res.Compared {
		if err := enc.Encode(c); err != nil {
			return err
		}
	}
	for _, k := range slices.Sorted(maps.Keys(res.Notes)) {
		n := res.Notes[k]
		line := struct {
			Type   string       `json:"type"`
			Method string       `json:"method"`
			Then   int          `json:"then"`
			Now    int          `json:"now"`
			Diff   []Difference `json:"diff,omitempty"`
		}{"unpaired", k, n.Then, n.Now, n.Diff}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	return nil
}

// junit is the JUnit XML CI systems read.
type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Class   string        `xml:"classname,attr"`
	Name    string        `xml:"name,attr"`
	Time    string        `xml:"time,attr"`
	Failure *junitFailure `xml:"failure,omitempty"`
	Error   *junitFailure `xml:"error,omitempty"`
	Skipped *junitFailure `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the comparison as a JUnit test suite: a test case per
// compared request, failed when it differs, in error when the connection
// to the server was lost, skipped when it was a race or unanswered when
// recorded.
func WriteJUnit(path, name string, res *Result) error {
	s := junitSuite{Name: name, Tests: len(res.Compared)}
	for _, c := range res.Compared {
		tc := junitCase{Class: fmt.Sprintf("conn %d", c.RecordedConn), Name: c.Method + " " + c.Ref(),
			Time: fmt.Sprintf("%.6f", c.LatencyNow.Seconds())}
		var lines []string
		for _, d := range c.Diff {
			lines = append(lines, d.String())
		}
		switch c.Verdict {
		case Differs:
			s.Failures++
			tc.Failure = &junitFailure{Message: "differs at " + strings.Join(c.Paths(), ", "), Text: strings.Join(lines, "\n")}
		case Race:
			s.Skipped++
			tc.Skipped = &junitFailure{Message: "cancelled in the recording: a race", Text: strings.Join(lines, "\n")}
		case Unanswered:
			s.Skipped++
			tc.Skipped = &junitFailure{Message: "unanswered when recorded: the recording stopped before its reply"}
		case Error:
			s.Errors++
			tc.Error = &junitFailure{Message: c.Now}
		}
		s.Cases = append(s.Cases, tc)
	}
	out, err := xml.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), append(out, '\n')...), 0o644)
}

// TypeCompare is the session record type that links a replay's response to
// the recorded one; readers that do not know it skip it.
const TypeCompare = "compare"

// AppendLinks appends to the replay's session file one compare record per
// compared request: the replay's connection, the direction that asked and
// the id (which pair the new exchange), the recorded connection, the
// verdict and the paths that differ.
func AppendLinks(path, recorded string, res *Result) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	for _, c := range res.Compared {
		id := c.ID
		if id == "" {
			id = "null"
		}
		link := struct {
			Type         string          `json:"type"`
			Conn         uint64          `json:"conn"`
			Dir          string          `json:"dir"`
			ID           json.RawMessage `json:"id"`
			Nth          int             `json:"nth,omitempty"`
			Method       string          `json:"method"`
			Recorded     string          `json:"recorded"`
			RecordedConn uint64          `json:"recorded_conn"`
			Status       Verdict         `json:"status"`
			Diff         []Difference    `json:"diff,omitempty"`
		}{TypeCompare, c.Conn, c.Dir, json.RawMessage(id), c.Nth, c.Method, recorded, c.RecordedConn, c.Verdict, c.Diff}
		if err := enc.Encode(link); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}
