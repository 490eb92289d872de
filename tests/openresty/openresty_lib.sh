# Helpers for the OpenResty tests: a real nginx with lua-nginx-module on 127.0.0.1
# (Debian's packages, unpacked into $BUILD/openresty by scripts/install-deps.sh: they
# need luajit2, which conflicts with luajit), stopped by the test or after two minutes.
# Sourced by tests/openresty/test_*.sh.

OR_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
. "$OR_TESTS/../lib.sh"
NGINX_PID=
CLIENTS_PIDS=

or_cleanup() {
	# shellcheck disable=SC2086  # a list of pids
	[ -n "$CLIENTS_PIDS" ] && kill $CLIENTS_PIDS 2>/dev/null
	[ -s "$WORK/nginx.pid" ] && kill -TERM "$(cat "$WORK/nginx.pid")" 2>/dev/null
	TARGET_PID=	# the worker: nginx stops it
	cleanup
}
trap or_cleanup EXIT

# need_openresty: unpacks nginx, the Lua module and luajit2; $OR_ROOT is where.
need_openresty() {
	need_root
	command -v python3 >/dev/null || skip "no python3"
	OR_ROOT=$BUILD/openresty
	"$OR_TESTS/../../scripts/install-deps.sh" --openresty "$OR_ROOT" ||
		skip "nginx and libnginx-mod-http-lua cannot be unpacked from the Debian archive"
}

# nginx_start LUA_INIT_WORKER: one worker running $OR_TESTS/leak.lua (@PORT@ in its
# init_worker code is its port), `location /park` parking each request, `/pong`
# answering "pong", `/hold` borrowing a connection from pool `req` and parking, `/spawn`
# parking in two light threads; $PORT, $WORKER (its pid), $ENTRY_SITE, $HOLD_SITE and
# $SPAWN_SITE (the create sites of a /park, /hold and /spawn request's coroutine: their
# content_by_lua chunks).
nginx_start() {
	local lib i
	PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	lib=$(dirname "$(find "$OR_ROOT/usr/lib" -name 'libluajit-5.1.so.2' | head -n 1)")
	INIT_WORKER=${1//@PORT@/$PORT}
	mkdir -p "$WORK/tmp"
	cat >"$WORK/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/error.log info;
load_module $OR_ROOT/usr/lib/nginx/modules/ndk_http_module.so;
load_module $OR_ROOT/usr/lib/nginx/modules/ngx_http_lua_module.so;
events { worker_connections ${OR_WORKER_CONNECTIONS:-1024}; }
http {
	access_log off;
	client_body_temp_path $WORK/tmp;
	proxy_temp_path $WORK/tmp;
	fastcgi_temp_path $WORK/tmp;
	uwsgi_temp_path $WORK/tmp;
	scgi_temp_path $WORK/tmp;
	lua_package_path "$OR_ROOT/usr/share/lua/5.1/?.lua;$OR_TESTS/?.lua;;";
	init_worker_by_lua_block { $INIT_WORKER }
	server {
		listen 127.0.0.1:$PORT;
		location /park {
			content_by_lua_block { require("leak").park() }
		}
		location /spawn {
			content_by_lua_block { require("leak").spawn(2) }
		}
		location /hold {
			content_by_lua_block { require("leak").hold($PORT) }
		}
		location /pools {
			content_by_lua_block {
				local a = ngx.req.get_uri_args()
				require("leak").pools($PORT, tonumber(a.keep), tonumber(a.leak), tonumber(a.burst))
				require("leak").orphans_timer($PORT, tonumber(a.orphans))
				ngx.say("started")
			}
		}
		location /orphans {
			content_by_lua_block { require("leak").orphans_request($PORT, tonumber(ngx.var.arg_n)) }
		}
		location /pong {
			return 200 "pong";
		}
	}
}
CONF
	ENTRY_SITE="content_by_lua(nginx.conf:$(grep -n 'leak").park' "$WORK/nginx.conf" | cut -d: -f1)):0"
	HOLD_SITE="content_by_lua(nginx.conf:$(grep -n 'leak").hold' "$WORK/nginx.conf" | cut -d: -f1)):0"
	SPAWN_SITE="content_by_lua(nginx.conf:$(grep -n 'leak").spawn' "$WORK/nginx.conf" | cut -d: -f1)):0"
	LD_LIBRARY_PATH=$lib timeout 120 "$OR_ROOT/usr/sbin/nginx" -p "$WORK" -c "$WORK/nginx.conf" \
		>"$WORK/nginx.out" 2>&1 &
	NGINX_PID=$!
	for ((i = 0; i < 100; i++)); do
		[ -s "$WORK/nginx.pid" ] && WORKER=$(pgrep -P "$(cat "$WORK/nginx.pid")" | head -n 1)
		[ -n "$WORKER" ] && break
		kill -0 "$NGINX_PID" 2>/dev/null || fail "nginx did not start: $(cat "$WORK/nginx.out")"
		sleep 0.1
	done
	[ -n "$WORKER" ] || fail "no nginx worker"
	TARGET_PID=$WORKER
}

# park_requests N [LOCATION]: N clients each wait for a request to /park (or LOCATION)
# that never completes.
park_requests() {
	timeout 120 python3 - "$PORT" "$1" "${2:-/park}" <<'PY' &
import socket, sys, time
port, n, where = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
held = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % where.encode())
    held.append(s)
time.sleep(120)
PY
	CLIENTS_PIDS="$CLIENTS_PIDS $!"
}

# wait_truth N: until the error log holds N TRUTH lines.
wait_truth() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(grep -c 'TRUTH {' "$WORK/error.log" 2>/dev/null)" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "the worker logged $(grep -c 'TRUTH {' "$WORK/error.log") of $1 TRUTH lines"
}
