// gostarts starts goroutines from three `go` statements (a closure in a loop, a named
// function in a loop, a method value) and prints, for each statement, the function it
// is in, its line and how many goroutines it started: they stay parked until stdin
// closes. It prints READY, waits for a line on stdin (so codefer-top can attach first),
// starts them, prints one TRUTH line per statement (JSON) and DONE.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
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
	enc := json.NewEncoder(os.Stdout)
	for _, t := range facts {
		fmt.Print("TRUTH ")
		enc.Encode(t)
	}
	fmt.Println("DONE")
	io.Copy(io.Discard, in)
}
