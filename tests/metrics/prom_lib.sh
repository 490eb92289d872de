# shellcheck shell=bash
# Debian's real Prometheus scraping codefer-top --listen on the loopback, read back through
# its query API. Sourced after tests/lib.sh by the tests that need it.
command -v prometheus >/dev/null || skip "no prometheus (scripts/install-deps.sh installs it)"
command -v curl >/dev/null || skip "no curl"

PROM_PID=
trap '[ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null; cleanup' EXIT

# free_port: a TCP port nothing listens on.
free_port() {
	local p i
	for ((i = 0; i < 50; i++)); do
		p=$((20000 + RANDOM % 20000))
		ss -ltnH "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
	fail "no free port"
}
MPORT=$(free_port)
PPORT=$(free_port)

# prom_start: Prometheus on 127.0.0.1:$PPORT scraping codefer-top at 127.0.0.1:$MPORT
# every second.
prom_start() {
	cat >"$WORK/prom.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: codefer
    static_configs:
      - targets: ["127.0.0.1:$MPORT"]
YML
	# Bounded: it stops by itself if the test is killed before its cleanup runs.
	timeout 120 prometheus --config.file="$WORK/prom.yml" --storage.tsdb.path="$WORK/tsdb" \
		--web.listen-address="127.0.0.1:$PPORT" >"$WORK/prom.err" 2>&1 &
	PROM_PID=$!
}

# q PROMQL: the instant query's values, one per series, sorted by their labels.
q() {
	curl -sfG "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result | sort_by(.metric | tostring) | map(.value[1]) | join(" ")'
}

# prom_fresh: waits for two more codefer-top snapshots (lines of $WORK/top.json), then for
# a scrape Prometheus took after them.
prom_fresh() {
	local have i ts after
	have=$(wc -l <"$WORK/top.json")
	for ((i = 0; i < 100; i++)); do
		[ "$(wc -l <"$WORK/top.json")" -ge $((have + 2)) ] && break
		sleep 0.1
	done
	after=$(date +%s.%N)
	for ((i = 0; i < 300; i++)); do
		ts=$(q 'max(timestamp(codefer_info))')
		[ -n "$ts" ] && python3 -c "import sys; sys.exit(not float('$ts') > $after)" && return 0
		kill -0 "$PROM_PID" 2>/dev/null || fail "prometheus exited: $(tail -n 3 "$WORK/prom.err")"
		sleep 0.1
	done
	fail "prometheus scraped nothing after the workload: $(tail -n 3 "$WORK/prom.err")"
}
