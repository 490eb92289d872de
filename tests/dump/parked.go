// Parked goroutines with pending defers, for codefer-dump's Go core test and bench.
//
// Usage: parked GOROUTINES DEFERS. Each goroutine registers DEFERS defers in a loop (so
// each is a runtime.deferproc heap record on g._defer) and parks forever. When all are
// parked it prints one TRUTH line (JSON) with the totals and the goids, then DONE, and
// lives until stdin closes. main waits parked on a channel with one defer pending, the
// runtime's own (runtime.main's deferred unlock, open-coded); a goroutine reads stdin
// with bare read(2)s, with no defer pending.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

var block = make(chan struct{}) // never closed

func goid() int64 {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	n, _ := strconv.ParseInt(strings.Fields(string(buf))[1], 10, 64)
	return n
}

func noop() {}

// park registers n defers and blocks; the defers stay pending.
func park(n int, id *int64, ready *sync.WaitGroup) {
	for i := 0; i < n; i++ {
		defer noop()
	}
	*id = goid()
	ready.Done()
	<-block
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: parked GOROUTINES DEFERS")
		os.Exit(2)
	}
	gs, _ := strconv.Atoi(os.Args[1])
	ds, _ := strconv.Atoi(os.Args[2])
	ids := make([]int64, gs)
	var ready sync.WaitGroup
	ready.Add(gs)
	for i := range ids {
		go park(ds, &ids[i], &ready)
	}
	ready.Wait()
	// With few goroutines, name them all; the truth is exact either way.
	named := ids
	if len(named) > 100 {
		named = nil
	}
	eof := make(chan struct{})
	go func() {
		var b [512]byte
		for {
			if n, err := syscall.Read(0, b[:]); n <= 0 && err != syscall.EINTR {
				close(eof)
				return
			}
		}
	}()
	t, _ := json.Marshal(map[string]any{"goroutines": gs, "defers_each": ds,
		"defers_pending": gs*ds + 1, "goids": named, "main_goid": goid(),
		"version": runtime.Version()})
	fmt.Printf("TRUTH %s\nDONE\n", t)
	<-eof
}
