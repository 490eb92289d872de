# shellcheck shell=bash
# go_toolchains, for the Go tests and the post-mortem tests (tests/dump). Sourced.

# The Go toolchains to test with, one `go` binary a line, each Go version once: Debian's
# (/usr/lib/go-1.NN), `go1.NN` commands on PATH, and the GOROOTs listed (colon-separated)
# in $CODEFER_GO_ROOTS, such as toolchains built by hand from release tags.
go_toolchains() {
	local g v seen=" " r
	local -a cands=(/usr/lib/go-1.*/bin/go)
	for g in $(compgen -c go1. | sort -u); do
		cands+=("$(command -v "$g")")
	done
	IFS=: read -ra r <<<"${CODEFER_GO_ROOTS:-}"
	for g in "${r[@]}"; do
		cands+=("$g/bin/go")
	done
	for g in "${cands[@]}"; do
		[ -x "$g" ] && v=$("$g" env GOVERSION 2>/dev/null) || continue
		case $seen in *" $v "*) continue ;; esac
		seen+="$v "
		echo "$g"
	done
}
