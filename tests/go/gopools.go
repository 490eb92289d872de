// gopools opens two database/sql pools and exhausts one of them:
//   - "fake" (sql.Open on a registered driver, main.fakeDriver): at most `max`
//     connections, all taken and held, and `waiters` goroutines waiting for one;
//   - an OpenDB pool on a connector of its own (*main.connector): no limit, `held`
//     connections taken and held, `idle` given back.
//
// The OpenDB pool is opened before READY, the other one once a line comes on stdin: a
// probe attached in between sees that one opened. It prints READY, waits for a line on
// stdin, sets the scene, prints one TRUTH line per pool (JSON: driver, open, idle, max
// (-1: none), waiters), one OPENED line per pool (its driver, then the file:line of its
// sql.Open or sql.OpenDB call, then "before READY" for the OpenDB pool) and DONE, then
// stays as it is until stdin closes. Then each line "take" borrows one more connection
// from the OpenDB pool and "give" returns one it took before DONE, and it prints
// "OUT n", the connections now out of that pool.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

type fakeDriver struct{}
type fakeConn struct{}

func (fakeDriver) Open(string) (driver.Conn, error)   { return &fakeConn{}, nil }
func (*fakeConn) Prepare(string) (driver.Stmt, error) { return nil, driver.ErrSkip }
func (*fakeConn) Close() error                        { return nil }
func (*fakeConn) Begin() (driver.Tx, error)           { return nil, driver.ErrSkip }

type connector struct{}

func (*connector) Connect(context.Context) (driver.Conn, error) { return &fakeConn{}, nil }
func (*connector) Driver() driver.Driver                        { return fakeDriver{} }

type truth struct {
	Driver  string `json:"driver"`
	Open    int    `json:"open"`
	Idle    int    `json:"idle"`
	Max     int    `json:"max"`
	Waiters int    `json:"waiters"`
}

var kept []*sql.Conn // held connections stay reachable

// here: the file:line it is called from.
func here() string {
	_, file, line, _ := runtime.Caller(1)
	return fmt.Sprintf("%s:%d", filepath.Base(file), line)
}

func must(db *sql.DB, err error) *sql.DB {
	if err != nil {
		panic(err)
	}
	return db
}

// take borrows n connections from db and keeps them.
func take(db *sql.DB, n int) {
	for i := 0; i < n; i++ {
		c, err := db.Conn(context.Background())
		if err != nil {
			panic(err)
		}
		kept = append(kept, c)
	}
}

func main() {
	const max, waiters, held, idle = 3, 2, 4, 2
	sql.Register("fake", fakeDriver{})
	free, freeAt := sql.OpenDB(&connector{}), here()
	free.SetMaxIdleConns(idle)

	in := bufio.NewReader(os.Stdin)
	fmt.Printf("READY %d %s\n", os.Getpid(), runtime.Version())
	if _, err := in.ReadString('\n'); err != nil {
		return
	}
	limited, limitedAt := must(sql.Open("fake", "")), here()
	limited.SetMaxOpenConns(max)
	take(limited, max)
	for i := 0; i < waiters; i++ {
		go take(limited, 1) // blocks: the pool is exhausted
	}
	take(free, held+idle)
	for _, c := range kept[len(kept)-idle:] {
		c.Close()
	}
	// Until both waiters are queued (db.Stats counts them once they wait).
	for limited.Stats().WaitCount < waiters {
		time.Sleep(10 * time.Millisecond)
	}
	enc := json.NewEncoder(os.Stdout)
	for _, t := range []truth{{"main.fakeDriver", max, 0, max, waiters},
		{"*main.connector", held + idle, idle, -1, 0}} {
		fmt.Print("TRUTH ")
		enc.Encode(t)
	}
	fmt.Printf("OPENED main.fakeDriver %s\nOPENED *main.connector %s before READY\n", limitedAt, freeAt)
	fmt.Println("DONE")
	given := 0
	for {
		line, err := in.ReadString('\n')
		if err != nil {
			return
		}
		switch line {
		case "take\n":
			take(free, 1)
		case "give\n":
			kept[max+given].Close()
			given++
		}
		st := free.Stats()
		fmt.Printf("OUT %d\n", st.OpenConnections-st.Idle)
	}
}
