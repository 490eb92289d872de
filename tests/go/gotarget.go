// A Go target for codefer that counts its own truth.
//
// It prints READY, waits for a line on stdin, then runs every scenario once, prints one
// TRUTH line per fact (JSON) and DONE, and stays alive until stdin closes:
//
//	looper    defers in a loop (runtime.deferproc, heap records) and never returns
//	runner    defers in a loop in a function that returns: all of them run; stays alive
//	exiter    the same, then the goroutine ends
//	nine      a function with nine defers (open-coding is off above eight: deferprocStack),
//	          called several times, then once more where it blocks: nine stack records
//	goexiter  runtime.Goexit inside the nine-defer function: the Goexit path runs them
//	panicker  heap records run by a panic that a deferred recover() stops
//	opencoded one defer per call, open-coded by the compiler: no runtime call, invisible
//	          live; then it parks with three open-coded defers pending, which only its
//	          stack shows (the census and codefer-dump read them from there)
//	db        a fake database/sql driver: a goroutine whose rows are closed, one that
//	          leaks rows and stays alive, goroutines that leak rows and end (orphans)
//
// Every goroutine counts the defers it registers and the deferred calls that ran.
// Usage: gotarget [LOOP_DEFERS]
package main

import (
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
	"syscall"
)

const (
	runners      = 3
	exiters      = 4
	runnerDefers = 50
	nineCalls    = 5
	panics       = 3
	openCalls    = 7
	closedQuery  = 20
	heldRows     = 3
	orphanRows   = 2
)

// counts is what one goroutine registered and ran, counted by the program itself.
type counts struct{ reg, run int }

func (c *counts) ran() { c.run++ }

func (c *counts) truth(role string) truth {
	return truth{"role": role, "goid": goid(), "defers_registered": c.reg, "defers_run": c.run,
		"defers_pending": c.reg - c.run, "conns_held": 0}
}

var totalReg, totalRun, spawned atomic.Int64

// spawn starts f as a goroutine and counts it, for the truth.
func spawn(f func()) {
	spawned.Add(1)
	go f()
}

func (c *counts) add() {
	totalReg.Add(int64(c.reg))
	totalRun.Add(int64(c.run))
}

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

// looper registers n defers through runtime.deferproc and never returns.
func looper(n int, ready *sync.WaitGroup) {
	var c counts
	at := 0
	for i := 0; i < n; i++ {
		c.reg++
		at = line() + 1
		defer c.ran()
	}
	t := c.truth("looper")
	t["line"] = at
	c.add()
	out <- t
	ready.Done()
	<-block
}

func deferLoop(c *counts, n int) {
	for i := 0; i < n; i++ {
		c.reg++
		defer c.ran()
	}
}

func runner(role string, ready *sync.WaitGroup) {
	var c counts
	deferLoop(&c, runnerDefers)
	c.add()
	out <- c.truth(role)
	ready.Done()
	if role == "runner" {
		<-block
	}
}

// nine has nine defers: too many to open-code, so each is a deferprocStack call.
func nine(c *counts, then func()) {
	c.reg++
	defer c.ran()
	c.reg++
	defer c.ran()
	c.reg++
	defer c.ran()
	c.reg++
	defer c.ran()
	c.reg++
	defer c.ran()
	c.reg++
	defer c.ran()
	c.reg++
	defer c.ran()
	c.reg++
	defer c.ran()
	c.reg++
	defer c.ran()
	if then != nil {
		then()
	}
}

func nineRunner(ready *sync.WaitGroup) {
	var c counts
	for i := 0; i < nineCalls; i++ {
		nine(&c, nil)
	}
	nine(&c, func() {
		c.add()
		out <- c.truth("nine")
		ready.Done()
		<-block
	})
}

// goexiter ends inside nine(): runtime.Goexit runs the nine stack records.
func goexiter(ready *sync.WaitGroup) {
	var c counts
	defer func() {
		c.add()
		out <- c.truth("goexiter")
		ready.Done()
	}()
	nine(&c, runtime.Goexit)
}

// panicky registers n heap records and panics; recoverer's own defer is open-coded (in
// Go before 1.22 a panic gives such a frame a _defer record of its own: not a defer).
func panicky(c *counts, n int) {
	for i := 0; i < n; i++ {
		c.reg++
		defer c.ran()
	}
	panic("boom")
}

func recoverer(c *counts, n int) (recovered bool) {
	defer func() { recovered = recover() != nil }()
	panicky(c, n)
	return
}

func panicker(ready *sync.WaitGroup) {
	var c counts
	for i := 0; i < panics; i++ {
		if !recoverer(&c, runnerDefers) {
			panic("not recovered")
		}
	}
	c.add()
	out <- c.truth("panicker")
	ready.Done()
	<-block
}

// once has a single defer and one return: the compiler open-codes it.
func once(c *counts) {
	defer c.ran()
}

func openRunner(ready *sync.WaitGroup) {
	var c counts
	for i := 0; i < openCalls; i++ {
		once(&c)
	}
	parkOpenCoded(&c, ready)
}

// parkOpenCoded parks with three open-coded defers pending. Probes never see them (the
// runtime never hears of them): as far as the runtime's records go, nothing is pending.
func parkOpenCoded(c *counts, ready *sync.WaitGroup) {
	at := line() + 1
	defer c.ran()
	defer c.ran()
	defer c.ran()
	out <- truth{"role": "opencoded", "goid": goid(), "defers_registered": 0, "defers_run": 0,
		"defers_pending": 0, "conns_held": 0, "open_coded_run": c.run,
		"open_coded_pending": 3, "open_coded_lines": []int{at, at + 1, at + 2}}
	ready.Done()
	<-block
}

// A database/sql driver with no database behind it: every query returns one row.
type fakeDriver struct{}
type fakeConn struct{}
type fakeStmt struct{}
type fakeRows struct{ left int }

func (fakeDriver) Open(string) (driver.Conn, error)          { return &fakeConn{}, nil }
func (*fakeConn) Prepare(string) (driver.Stmt, error)        { return &fakeStmt{}, nil }
func (*fakeConn) Close() error                               { return nil }
func (*fakeConn) Begin() (driver.Tx, error)                  { return nil, driver.ErrSkip }
func (*fakeStmt) Close() error                               { return nil }
func (*fakeStmt) NumInput() int                              { return -1 }
func (*fakeStmt) Exec([]driver.Value) (driver.Result, error) { return driver.RowsAffected(0), nil }
func (*fakeStmt) Query([]driver.Value) (driver.Rows, error)  { return &fakeRows{left: 1}, nil }
func (*fakeRows) Columns() []string                          { return []string{"n"} }
func (*fakeRows) Close() error                               { return nil }
func (r *fakeRows) Next(dest []driver.Value) error {
	if r.left == 0 {
		return io.EOF
	}
	r.left--
	dest[0] = int64(1)
	return nil
}

var (
	leaked    []*sql.Rows // keeps leaked rows reachable, as a real leak would
	queryLine int         // the line of query's db.Query: the site of each leaked get
)

func query(db *sql.DB) *sql.Rows {
	queryLine = line() + 1
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
	spawn(func() {
		t := truth{"role": "db_closer", "goid": goid(), "conns_held": 0}
		for i := 0; i < closedQuery; i++ {
			if err := db.QueryRow("select 1").Scan(&n); err != nil {
				panic(err)
			}
		}
		out <- t
		close(closer)
		<-block
	})
	<-closer

	holder := make(chan struct{})
	spawn(func() {
		t := truth{"role": "db_holder", "goid": goid(), "conns_held": heldRows}
		for i := 0; i < heldRows; i++ {
			leaked = append(leaked, query(db))
		}
		out <- t
		close(holder)
		<-block
	})
	<-holder

	for i := 0; i < orphanRows; i++ {
		done := make(chan struct{})
		spawn(func() {
			out <- truth{"role": "db_orphaner", "goid": goid(), "conns_held": 1}
			leaked = append(leaked, query(db))
			close(done)
		})
		<-done
	}
	out <- truth{"pool": "db", "gets": closedQuery + heldRows + orphanRows,
		"puts": closedQuery, "outstanding": heldRows + orphanRows, "peak": heldRows + orphanRows,
		"orphans": orphanRows, "site_line": queryLine}
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

	in := stdinLines()
	fmt.Printf("READY %d %s\n", os.Getpid(), runtime.Version())
	if _, ok := <-in; !ok {
		return
	}

	var ready sync.WaitGroup
	ready.Add(1 + runners + exiters + 1 + 1 + 1 + 1 + 1 + 1)
	spawn(func() { looper(loops, &ready) })
	for i := 0; i < runners; i++ {
		spawn(func() { runner("runner", &ready) })
	}
	for i := 0; i < exiters; i++ {
		spawn(func() { runner("exiter", &ready) })
	}
	spawn(func() { nineRunner(&ready) })
	spawn(func() { goexiter(&ready) })
	spawn(func() { panicker(&ready) })
	spawn(func() { openRunner(&ready) })
	// A closure's open-coded defer of a func literal: a closure of a closure
	// (main.main.funcN.1), registered at its defer statement all the same.
	spawn(func() {
		var c counts
		at := line() + 1
		defer func() { c.ran() }()
		out <- truth{"role": "opencoded_closure", "goid": goid(), "defers_registered": 0,
			"defers_run": 0, "defers_pending": 0, "conns_held": 0, "open_coded_pending": 1,
			"open_coded_lines": []int{at}, "open_coded_in": "main.main.func"}
		ready.Done()
		<-block
	})
	spawn(func() { dbWork(db, &ready) })
	ready.Wait()
	// main itself: parked on a channel below, with runtime.main's deferred unlock
	// (an open-coded defer of the runtime's) pending under main.main all along.
	out <- truth{"role": "main", "goid": goid(), "defers_pending": 0, "runtime_main_defers": 1,
		"conns_held": 0}
	out <- truth{"totals": true, "defers_registered": totalReg.Load(),
		"defers_run": totalRun.Load(), "defers_pending": totalReg.Load() - totalRun.Load(),
		"exited": exiters + orphanRows + 1, "created": spawned.Load()}
	close(out)
	enc := json.NewEncoder(os.Stdout)
	for t := range out {
		fmt.Print("TRUTH ")
		enc.Encode(t)
	}
	fmt.Println("DONE")
	for range in {
	}
}

// stdinLines: a goroutine reads stdin with bare read(2)s and sends a value per line, so
// that main waits parked on a channel, and no frame of the reader's has a defer pending
// (os.File.Read would have the standard library's open-coded unlock pending in FD.Read).
func stdinLines() <-chan bool {
	c := make(chan bool)
	go func() {
		var b [1]byte
		for {
			n, err := syscall.Read(0, b[:])
			if err == syscall.EINTR {
				continue
			}
			if n <= 0 {
				close(c)
				return
			}
			if b[0] == '\n' {
				c <- true
			}
		}
	}()
	return c
}
