// gostarts starts goroutines from three `go` statements (a closure in a loop, a named
// function in a loop, a method value) and prints, for each statement, the function it
// is in, its line and how many goroutines it started: they stay parked until stdin
// closes. It prints READY, waits for a line on stdin (so codefer-top can attach first),
// starts them, prints one TRUTH line per statement (JSON) and DONE. It also parks one
// goroutine in each of the standard library's waits (a mutex, a WaitGroup, a Cond,
// time.Sleep, a TCP read, one inlined into a helper of its own) and prints, for each, a
// WAIT line (JSON): the function and line it waits at, as a user reads the source.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

var block = make(chan struct{}) // never closed

func line() int {
	_, _, l, _ := runtime.Caller(1)
	return l
}

type truth struct {
	Func  string `json:"func"`
	Line  int    `json:"line"`
	Count int    `json:"count"`
}

//go:noinline
func closures(n int) truth {
	at := line() + 2
	for i := 0; i < n; i++ {
		go func() { <-block }()
	}
	return truth{"main.closures", at, n}
}

func park(int) { <-block }

//go:noinline
func named(n int) truth {
	at := line() + 2
	for i := 0; i < n; i++ {
		go park(i)
	}
	return truth{"main.named", at, n}
}

type server struct{}

func (server) serve() { <-block }

//go:noinline
func methods(n int) truth {
	var s server
	at := line() + 2
	for i := 0; i < n; i++ {
		go s.serve()
	}
	return truth{"main.methods", at, n}
}

var (
	held   sync.Mutex // locked by main for ever
	undone sync.WaitGroup
	cond   = sync.NewCond(&sync.Mutex{})
)

type wait struct {
	Func string `json:"func"`
	Line int    `json:"line"`
}

func waitLock(at chan<- wait) {
	at <- wait{"main.waitLock", line() + 1}
	held.Lock()
}

func waitGroup(at chan<- wait) {
	at <- wait{"main.waitGroup", line() + 1}
	undone.Wait()
}

func waitCond(at chan<- wait) {
	cond.L.Lock()
	at <- wait{"main.waitCond", line() + 1}
	cond.Wait()
}

func waitSleep(at chan<- wait) {
	at <- wait{"main.waitSleep", line() + 1}
	time.Sleep(time.Hour)
}

func waitRead(at chan<- wait, c net.Conn) {
	at <- wait{"main.waitRead", line() + 1}
	c.Read(make([]byte, 1))
}

// lockHeld is small enough to be inlined into its caller: its line, in its name.
func lockHeld(at chan<- wait) {
	at <- wait{"main.lockHeld", line() + 1}
	held.Lock()
}

//go:noinline
func waitInlined(at chan<- wait) {
	lockHeld(at)
}

// waits starts one goroutine per wait, and one accepting connections, and returns
// where each waits and its two `go` statements.
func waits() ([]wait, []truth) {
	held.Lock()
	undone.Add(1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	accepts := line() + 1
	go func() {
		for {
			if _, err := ln.Accept(); err != nil {
				return
			}
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	at := make(chan wait)
	starts := []func(){
		func() { waitLock(at) }, func() { waitGroup(at) }, func() { waitCond(at) },
		func() { waitSleep(at) }, func() { waitRead(at, c) }, func() { waitInlined(at) },
	}
	var got []wait
	startsAt := line() + 2
	for _, start := range starts {
		go start()
		got = append(got, <-at)
	}
	time.Sleep(100 * time.Millisecond) // each goes on to its wait
	return got, []truth{{"main.waits", accepts, 1}, {"main.waits", startsAt, len(starts)}}
}

func main() {
	n := 10
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	in := bufio.NewReader(os.Stdin)
	fmt.Printf("READY %d %s\n", os.Getpid(), runtime.Version())
	if _, err := in.ReadString('\n'); err != nil {
		return
	}
	facts := []truth{closures(n), named(2 * n), methods(3 * n)}
	waited, started := waits()
	enc := json.NewEncoder(os.Stdout)
	for _, t := range append(facts, started...) {
		fmt.Print("TRUTH ")
		enc.Encode(t)
	}
	for _, w := range waited {
		fmt.Print("WAIT ")
		enc.Encode(w)
	}
	fmt.Println("DONE")
	io.Copy(io.Discard, in)
}
