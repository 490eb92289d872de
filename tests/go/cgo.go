// Linked into gotarget for the cgo variants: any import "C" makes the binary a cgo one
// (runtime/cgo, libc threads, a different TLS layout for g).
package main

// static int codefer_cgo_answer(void) { return 42; }
import "C"

var cgoAnswer = int(C.codefer_cgo_answer())
