// A Go target for codefer that counts its own truth.
//
// It prints READY, waits for a line on stdin, then runs every scenario once, prints one
// TRUTH line per fact (JSON) and DONE, and stays alive until stdin closes:
//   looper    defers in a loop (runtime.deferproc, heap records) and never returns
//   runner    defers in a loop in a function that returns: all of them run; stays alive
//   exiter    the same, then the goroutine ends
//   nine      a function with nine defers (open-coding is off above eight: deferprocStack),
//             called several times, then once more where it blocks: nine stack records
//   opencoded one defer per call, open-coded by the compiler: no runtime call, invisible
//   db        a fake database/sql driver: a goroutine whose rows are closed, one that
//             leaks rows and stays alive, goroutines that leak rows and end (orphans)
// Usage: gotarget [LOOP_DEFERS]
package main

import (
	"bufio"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

const (
	runners      = 3
	exiters      = 4
	runnerDefers = 50
	nineCalls    = 5
	openCalls    = 7
	closedQuery  = 20
	heldRows     = 3
	orphanRows   = 2
)

var deferRuns atomic.Int64 // not read for the truth: keeps the deferred calls real

func goid() int64 {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	f := strings.Fields(string(buf)) // "goroutine 18 [running]:"
	n, _ := strconv.ParseInt(f[1], 10, 64)
	return n
}

// line returns the line number of its caller, for the defer sites.
func line() int {
	_, _, l, _ := runtime.Caller(1)
	return l
}

type truth map[string]any

var (
	out   = make(chan truth, 64)
	block = make(chan struct{}) // never closed: goroutines that stay alive wait here
)

func ran() { deferRuns.Add(1) }

// looper registers n defers through runtime.deferproc and never returns.
func looper(n int, ready *sync.WaitGroup) {
	t := truth{"role": "looper", "goid": goid(), "defers_registered": n, "defers_run": 0,
		"defers_pending": n, "conns_held": 0}
	for i := 0; i < n; i++ {
		t["line"] = line() + 1
		defer ran()
	}
	out <- t
	ready.Done()
	<-block
}

func deferLoop(n int) {
	for i := 0; i < n; i++ {
		defer ran()
	}
}

func runner(role string, ready *sync.WaitGroup) {
	t := truth{"role": role, "goid": goid(), "defers_registered": runnerDefers,
		"defers_run": runnerDefers, "defers_pending": 0, "conns_held": 0}
	deferLoop(runnerDefers)
	out <- t
	ready.Done()
	if role == "runner" {
		<-block
	}
}

// nine has nine defers: too many to open-code, so each is a deferprocStack call.
func nine(wait bool) {
	defer ran()
	defer ran()
	defer ran()
	defer ran()
	defer ran()
	defer ran()
	defer ran()
	defer ran()
	defer ran()
	if wait {
		<-block
	}
}

func nineRunner(ready *sync.WaitGroup) {
	out <- truth{"role": "nine", "goid": goid(), "defers_registered": 9*nineCalls + 9,
		"defers_run": 9 * nineCalls, "defers_pending": 9, "conns_held": 0}
	for i := 0; i < nineCalls; i++ {
		nine(false)
	}
	ready.Done()
	nine(true)
}

// once has a single defer and one return: the compiler open-codes it.
func once() {
	defer ran()
}

func openRunner(ready *sync.WaitGroup) {
	t := truth{"role": "opencoded", "goid": goid(), "defers_registered": 0, "defers_run": 0,
		"defers_pending": 0, "conns_held": 0, "open_coded": openCalls}
	for i := 0; i < openCalls; i++ {
		once()
	}
	out <- t
	ready.Done()
	<-block
}

// A database/sql driver with no database behind it: every query returns one row.
type fakeDriver struct{}
type fakeConn struct{}
type fakeStmt struct{}
type fakeRows struct{ left int }

func (fakeDriver) Open(string) (driver.Conn, error)            { return &fakeConn{}, nil }
func (*fakeConn) Prepare(string) (driver.Stmt, error)          { return &fakeStmt{}, nil }
func (*fakeConn) Close() error                                 { return nil }
func (*fakeConn) Begin() (driver.Tx, error)                    { return nil, driver.ErrSkip }
func (*fakeStmt) Close() error                                 { return nil }
func (*fakeStmt) NumInput() int                                { return -1 }
func (*fakeStmt) Exec([]driver.Value) (driver.Result, error)   { return driver.RowsAffected(0), nil }
func (*fakeStmt) Query([]driver.Value) (driver.Rows, error)    { return &fakeRows{left: 1}, nil }
func (*fakeRows) Columns() []string                            { return []string{"n"} }
func (*fakeRows) Close() error                                 { return nil }
func (r *fakeRows) Next(dest []driver.Value) error {
	if r.left == 0 {
		return io.EOF
	}
	r.left--
	dest[0] = int64(1)
	return nil
}

var leaked []*sql.Rows // keeps leaked rows reachable, as a real leak would

func query(db *sql.DB) *sql.Rows {
	rows, err := db.Query("select 1")
	if err != nil {
		panic(err)
	}
	return rows
}

// dbWork runs the pool scenarios one after the other, so the peak is known.
func dbWork(db *sql.DB, ready *sync.WaitGroup) {
	var n int
	closer := make(chan struct{})
	go func() {
		t := truth{"role": "db_closer", "goid": goid(), "conns_held": 0}
		for i := 0; i < closedQuery; i++ {
			if err := db.QueryRow("select 1").Scan(&n); err != nil {
				panic(err)
			}
		}
		out <- t
		close(closer)
		<-block
	}()
	<-closer

	holder := make(chan struct{})
	go func() {
		t := truth{"role": "db_holder", "goid": goid(), "conns_held": heldRows}
		for i := 0; i < heldRows; i++ {
			leaked = append(leaked, query(db))
		}
		out <- t
		close(holder)
		<-block
	}()
	<-holder

	for i := 0; i < orphanRows; i++ {
		done := make(chan struct{})
		go func() {
			out <- truth{"role": "db_orphaner", "goid": goid(), "conns_held": 1}
			leaked = append(leaked, query(db))
			close(done)
		}()
		<-done
	}
	out <- truth{"pool": "db", "gets": closedQuery + heldRows + orphanRows,
		"puts": closedQuery, "outstanding": heldRows + orphanRows, "peak": heldRows + orphanRows,
		"orphans": orphanRows, "exited": exiters + orphanRows}
	ready.Done()
	<-block
}

func main() {
	loops := 1000
	if len(os.Args) > 1 {
		loops, _ = strconv.Atoi(os.Args[1])
	}
	// No GC during the run: its workers would be goroutines created mid-test.
	debug.SetGCPercent(-1)
	sql.Register("codefer-fake", fakeDriver{})
	db, err := sql.Open("codefer-fake", "")
	if err != nil {
		panic(err)
	}
	db.SetMaxIdleConns(closedQuery)

	in := bufio.NewReader(os.Stdin)
	fmt.Printf("READY %d %s\n", os.Getpid(), runtime.Version())
	if _, err := in.ReadString('\n'); err != nil {
		return
	}

	var ready sync.WaitGroup
	ready.Add(1 + runners + exiters + 1 + 1 + 1)
	go looper(loops, &ready)
	for i := 0; i < runners; i++ {
		go runner("runner", &ready)
	}
	for i := 0; i < exiters; i++ {
		go runner("exiter", &ready)
	}
	go nineRunner(&ready)
	go openRunner(&ready)
	go dbWork(db, &ready)
	ready.Wait()
	close(out)
	enc := json.NewEncoder(os.Stdout)
	for t := range out {
		fmt.Print("TRUTH ")
		enc.Encode(t)
	}
	fmt.Println("DONE")
	io.Copy(io.Discard, in)
}
