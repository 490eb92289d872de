// A Go target whose pending defers only walks see change: goroutines park with two
// open-coded defers pending (no runtime call registers or runs them), and on "release K"
// K of them return from that frame (the defers run, still without a runtime call) and
// park again with none pending, alive. It prints READY, then after each command its
// truth, one JSON line per goroutine (TRUTH {"goid": N, "pending": P}), then DONE.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

type worker struct {
	goid    uint64
	pending int
	release chan struct{}
}

var (
	mu      sync.Mutex
	workers []*worker
)

func goid() uint64 {
	b := make([]byte, 64)
	b = b[:runtime.Stack(b, false)]
	f := bytes.Fields(b)
	n, _ := strconv.ParseUint(string(f[1]), 10, 64)
	return n
}

func ran(w *worker) {
	mu.Lock()
	w.pending--
	mu.Unlock()
}

// hold has two open-coded defers pending while it waits.
//
//go:noinline
func hold(w *worker, parked *sync.WaitGroup) {
	defer ran(w)
	defer ran(w)
	mu.Lock()
	w.pending = 2
	mu.Unlock()
	parked.Done()
	<-w.release
}

func run(w *worker, parked, released *sync.WaitGroup) {
	w.goid = goid()
	hold(w, parked)
	released.Done()
	select {}
}

var released sync.WaitGroup

func main() {
	fmt.Println("READY")
	in := bufio.NewScanner(os.Stdin)
	next := 0
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) != 2 {
			continue
		}
		n, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "park":
			var parked sync.WaitGroup
			parked.Add(n)
			for i := 0; i < n; i++ {
				w := &worker{release: make(chan struct{})}
				mu.Lock()
				workers = append(workers, w)
				mu.Unlock()
				go run(w, &parked, &released)
			}
			parked.Wait()
		case "release":
			for ; n > 0 && next < len(workers); n, next = n-1, next+1 {
				released.Add(1)
				close(workers[next].release)
			}
			released.Wait()
		}
		mu.Lock()
		for _, w := range workers {
			fmt.Printf("TRUTH {\"goid\": %d, \"pending\": %d}\n", w.goid, w.pending)
		}
		mu.Unlock()
		fmt.Println("DONE")
	}
}
