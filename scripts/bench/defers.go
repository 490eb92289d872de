// The benchmark's Go target (scripts/bench.sh). Prints "PID <pid>", then for each line N
// on stdin calls work() N times and prints "NS <ns per call>". work registers one defer
// in a loop (a heap record: deferproc) and returns (the defer runs: freedefer/popDefer).
// A line "park N" starts N goroutines that park with two open-coded defers pending;
// "parkheap N", N that park with three heap defers pending (on g._defer, what the census
// reads). "stall" prints "NS <longest pause in ns>" of a goroutine that sleeps 1 ms in a
// loop, since the last "stall": what stopping the process cost it.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var sink int

//go:noinline
func work() {
	for i := 0; i < 1; i++ {
		defer func() { sink++ }()
	}
}

var block = make(chan struct{})

func park(parked *sync.WaitGroup) {
	defer func() { sink++ }()
	defer func() { sink++ }()
	parked.Done()
	<-block
}

func parkHeap(parked *sync.WaitGroup) {
	for i := 0; i < 3; i++ {
		defer func() { sink++ }()
	}
	parked.Done()
	<-block
}

var longest atomic.Int64

// meter: the longest gap between two wake-ups of a 1 ms sleep, beyond the 1 ms.
func meter() {
	last := time.Now()
	for {
		time.Sleep(time.Millisecond)
		now := time.Now()
		if gap := now.Sub(last).Nanoseconds() - 1e6; gap > longest.Load() {
			longest.Store(gap)
		}
		last = now
	}
}

func main() {
	fmt.Printf("PID %d\n", os.Getpid())
	go meter()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 1 && f[0] == "stall" {
			fmt.Printf("NS %d\n", longest.Swap(0))
			continue
		}
		if len(f) == 2 && (f[0] == "park" || f[0] == "parkheap") {
			n, _ := strconv.Atoi(f[1])
			var parked sync.WaitGroup
			parked.Add(n)
			for i := 0; i < n; i++ {
				if f[0] == "park" {
					go park(&parked)
				} else {
					go parkHeap(&parked)
				}
			}
			parked.Wait()
			fmt.Printf("NS 0\n")
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(in.Text()))
		if err != nil || n <= 0 {
			continue
		}
		t0 := time.Now()
		for i := 0; i < n; i++ {
			work()
		}
		fmt.Printf("NS %.1f\n", float64(time.Since(t0).Nanoseconds())/float64(n))
	}
}
