// A small Go service that leaks the three ways codefer looks for, for `make demo`:
//
//   - a subscriber goroutine that never returns and registers a defer on every message
//     (the defers pile up: each one keeps its closure alive);
//   - request goroutines, ten a second, whose defers run and whose connections go back,
//     except one in ten that forgets rows.Close() and ends holding a connection;
//   - a database/sql pool over a fake in-process driver (no network, stdlib only).
package main

import (
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"os"
	"time"
)

type fakeDriver struct{}
type fakeConn struct{}
type fakeStmt struct{}
type fakeRows struct{ n int }

func (fakeDriver) Open(string) (driver.Conn, error)         { return fakeConn{}, nil }
func (fakeConn) Prepare(string) (driver.Stmt, error)        { return fakeStmt{}, nil }
func (fakeConn) Close() error                               { return nil }
func (fakeConn) Begin() (driver.Tx, error)                  { return nil, driver.ErrSkip }
func (fakeStmt) Close() error                               { return nil }
func (fakeStmt) NumInput() int                              { return -1 }
func (fakeStmt) Exec([]driver.Value) (driver.Result, error) { return driver.RowsAffected(0), nil }
func (fakeStmt) Query([]driver.Value) (driver.Rows, error)  { return &fakeRows{}, nil }
func (*fakeRows) Columns() []string                         { return []string{"v"} }
func (*fakeRows) Close() error                              { return nil }
func (r *fakeRows) Next(dest []driver.Value) error {
	if r.n++; r.n > 1 {
		return io.EOF
	}
	dest[0] = int64(r.n)
	return nil
}

var db *sql.DB

// subscribe handles messages forever; the defer in the loop runs only when it returns,
// which it never does.
func subscribe(msgs <-chan int) {
	for m := range msgs {
		buf := make([]byte, 256)
		defer func() { buf[0] = byte(m) }()
	}
}

func request(i int) {
	defer func() {}()
	rows, err := db.Query("SELECT 1")
	if err != nil {
		return
	}
	if i%10 == 0 {
		return // forgot rows.Close(): the connection never goes back
	}
	defer rows.Close()
	for rows.Next() {
	}
}

func main() {
	sql.Register("fake", fakeDriver{})
	db, _ = sql.Open("fake", "")
	db.SetMaxOpenConns(1000)
	msgs := make(chan int)
	go subscribe(msgs)
	fmt.Printf("demo service: pid %d\n", os.Getpid())
	for i := 1; ; i++ {
		go request(i)
		if i%2 == 0 {
			msgs <- i
		}
		time.Sleep(100 * time.Millisecond)
	}
}
