#!/usr/bin/env bash
# The native profile (probe specs on the command line) attached before any work: every
# count of the leaky fixture must match its own truth exactly, then again after more
# leaking and more coroutines ending with a connection.
. "$(dirname "$0")/native_lib.sh"
need_root

leaky_start
top_start "${NATIVE_PROBES[@]}"
leaky_do 1 work
leaky_do 2 "more 40"
leaky_do 3 "exit 3"
top_settle 2
check live
finish
