// A Go target that keeps working while codefer-top attaches: its census reads goroutines
// that change under it, and none of them is stopped. It prints READY, then works until
// a line on stdin:
//
//	parked   goroutines that deferred in a loop (heap records), then block
//	growers  goroutines that defer in an endless loop, one more pending defer a turn,
//	         sleeping 50 µs between turns (they park and wake all through the census)
//	churn    goroutines started all the time that defer three times and end
//
// On that line the growers stop after their current turn and no goroutine starts any
// more; once every started one has ended it prints one TRUTH line per parked goroutine
// and grower ({"goid": N, "pending": P}), one with its longest stall (the longest gap
// between 1 ms sleeps of a goroutine that measures it, in ms), then DONE.
package main

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	parkedN      = 200
	parkedDefers = 5
	growersN     = 8
)

type goroutine struct {
	goid    uint64
	pending int64
}

var (
	stop     atomic.Bool
	stopped  sync.WaitGroup // the growers, parked once told to stop
	churning sync.WaitGroup // every churn goroutine started
	block    = make(chan struct{})
)

func goid() uint64 {
	b := make([]byte, 64)
	b = b[:runtime.Stack(b, false)]
	n, _ := strconv.ParseUint(string(bytes.Fields(b)[1]), 10, 64)
	return n
}

func parked(g *goroutine, ready *sync.WaitGroup) {
	g.goid = goid()
	for i := 0; i < parkedDefers; i++ {
		defer func() {}()
		g.pending++
	}
	ready.Done()
	<-block
}

func grower(g *goroutine, ready *sync.WaitGroup) {
	g.goid = goid()
	ready.Done()
	for !stop.Load() {
		defer func() {}()
		atomic.AddInt64(&g.pending, 1)
		time.Sleep(50 * time.Microsecond)
	}
	stopped.Done()
	<-block
}

func short() {
	defer churning.Done()
	for i := 0; i < 3; i++ {
		defer func() {}()
	}
}

func churn() {
	for !stop.Load() {
		for i := 0; i < 20; i++ {
			churning.Add(1)
			go short()
		}
		time.Sleep(100 * time.Microsecond)
	}
	churning.Done()
}

// longestStall: the longest gap between 1 ms sleeps, in ns, until stop.
func longestStall(out *int64) {
	last := time.Now()
	for !stop.Load() {
		time.Sleep(time.Millisecond)
		now := time.Now()
		if gap := now.Sub(last).Nanoseconds() - int64(time.Millisecond); gap > *out {
			*out = gap
		}
		last = now
	}
	churning.Done()
}

// readLine waits for a line on stdin through the system call itself: os.File.Read would
// leave main's frames with open-coded defers pending (poll.FD's unlock) that the truth
// does not count.
func readLine() {
	b := make([]byte, 1)
	for {
		if n, err := syscall.Read(0, b); n <= 0 || err != nil || b[0] == '\n' {
			return
		}
	}
}

func main() {
	var ready sync.WaitGroup
	var stall int64
	all := make([]*goroutine, parkedN+growersN)
	for i := range all {
		all[i] = &goroutine{}
		ready.Add(1)
		if i < parkedN {
			go parked(all[i], &ready)
		} else {
			stopped.Add(1)
			go grower(all[i], &ready)
		}
	}
	ready.Wait()
	churning.Add(2)
	go churn()
	go longestStall(&stall)
	fmt.Println("READY")
	readLine()
	stop.Store(true)
	stopped.Wait()
	churning.Wait()
	for _, g := range all {
		fmt.Printf("TRUTH {\"goid\": %d, \"pending\": %d}\n", g.goid, atomic.LoadInt64(&g.pending))
	}
	fmt.Printf("TRUTH {\"stall_ms\": %.1f}\nDONE\n", float64(stall)/1e6)
	readLine()
}
