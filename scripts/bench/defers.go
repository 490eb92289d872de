// The benchmark's Go target (scripts/bench.sh). Prints "PID <pid>", then for each line N
// on stdin calls work() N times and prints "NS <ns per call>". work registers one defer
// in a loop (a heap record: deferproc) and returns (the defer runs: freedefer/popDefer).
// A line "park N" starts N goroutines that park with two open-coded defers pending.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
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

func main() {
	fmt.Printf("PID %d\n", os.Getpid())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if f := strings.Fields(in.Text()); len(f) == 2 && f[0] == "park" {
			n, _ := strconv.Atoi(f[1])
			var parked sync.WaitGroup
			parked.Add(n)
			for i := 0; i < n; i++ {
				go park(&parked)
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
