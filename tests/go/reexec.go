// reexec prints READY, waits for a line on stdin, then runs another program in its place
// (syscall.Exec: the pid stays, the Go program is gone), as a graceful restart does.
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"syscall"
)

func main() {
	fmt.Printf("READY %d %s\n", os.Getpid(), runtime.Version())
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return
	}
	fmt.Println("EXEC")
	err := syscall.Exec("/bin/sleep", []string{"sleep", "100"}, os.Environ())
	fmt.Println("exec failed:", err)
}
