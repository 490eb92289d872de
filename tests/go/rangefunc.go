// The range-over-func target (Go 1.23+; test_go_rangefunc.sh): defers in the body of a
// loop over an iterator function are records of one frame, made by deferprocat under a
// head record (deferrangefunc) that is no defer. Prints READY, waits for a line on stdin, then runs
// work() LOOPS times (3 such defers each: registered and run) and starts a goroutine that
// parks with 4 pending; prints `TRUTH {json}` with its counts and its goid, then DONE.
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

var sink int

func seq(n int) func(func(int) bool) {
	return func(yield func(int) bool) {
		for i := 0; i < n; i++ {
			if !yield(i) {
				return
			}
		}
	}
}

//go:noinline
func work() {
	for i := range seq(3) {
		defer func() { sink += i }()
	}
}

func goid() int {
	b := make([]byte, 64)
	f := strings.Fields(string(b[:runtime.Stack(b, false)]))
	id, _ := strconv.Atoi(f[1])
	return id
}

func park(ch chan struct{}, id chan int) {
	for i := range seq(4) {
		defer func() { sink += i }() // parked
	}
	id <- goid()
	<-ch
}

func main() {
	loops, _ := strconv.Atoi(os.Args[1])
	fmt.Println("READY")
	in := bufio.NewScanner(os.Stdin)
	in.Scan()
	for i := 0; i < loops; i++ {
		work()
	}
	ch, id := make(chan struct{}), make(chan int)
	go park(ch, id)
	fmt.Printf("TRUTH {\"registered\": %d, \"run\": %d, \"parked\": %d, \"parked_pending\": 4}\n",
		3*loops+4, 3*loops, <-id)
	fmt.Println("DONE")
	in.Scan()
}
