#!/usr/bin/env bash
# The native profile (probe specs on the command line) attached before any work: every
# count of the leaky fixture must match its own truth exactly, then again after more
# leaking and more coroutines ending with a connection.
. "$(dirname "$0")/native_lib.sh"
need_root

leaky_start
live_run
finish
