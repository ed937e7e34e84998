#!/usr/bin/env bash
# Serving, feedpub's local server against nginx (Debian; gzip_static, and
# brotli_static from libnginx-mod-http-brotli-static when Debian has it),
# on the same published feed, measured by wrk (Debian) over loopback:
# 200 gzip, 200 br, 304 (If-None-Match). Prints one Markdown table
# with requests per second, errors and the ratio feedpub/nginx. See
# docs/benchmarks.md.
#
#   bash bench/serve.sh              # or: make bench
#   ROUNDS=1 DURATION=2s bash bench/serve.sh  # a quick run
#
# The site is a generated corpus (bench/corpus, SIZE articles, full text)
# built by feedpub with its default precompress: [gzip, br]; the feed is
# FEED (feeds/index.rss: 50 items, about 280 KB). Both servers serve the
# same folder: nginx finds feedpub's variants (index.rss.gz, .br) as its
# static modules expect them. Each row is ROUNDS (5) rounds of wrk -t2
# -c32 for DURATION (5s) against each server in turn, after a 2 s warm-up
# of each: the machine's speed drifts, and a ratio is taken within a round.
#
# PIN=1 gives the servers CPU 1 and wrk CPU 0 (taskset; nginx then runs one
# worker, Go sizes GOMAXPROCS from the affinity): each side its own core,
# instead of the client and the server taking turns on both.
#
# Environment: SIZE (10000), FEED (feeds/index.rss), DURATION (5s), ROUNDS (5),
# THREADS (2), CONNECTIONS (32), PIN (unset), TMPDIR, GO.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
GO=${GO:-go}
SIZE=${SIZE:-10000}
FEED=${FEED:-feeds/index.rss}
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-5}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
PIN=${PIN:-}
srv=() cli=() workers=2
if [ -n "$PIN" ]; then
	srv=(taskset -c 1) cli=(taskset -c 0) workers=1
fi

. bench/lib.sh
need_pkg nginx nginx
need_pkg wrk wrk
need_pkg curl curl
brotli_module=/usr/lib/nginx/modules/ngx_http_brotli_static_module.so
if [ ! -e "$brotli_module" ] && [ "$(id -u)" = 0 ] &&
	apt-cache show libnginx-mod-http-brotli-static >/dev/null 2>&1; then
	echo "installing the Debian package libnginx-mod-http-brotli-static" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libnginx-mod-http-brotli-static >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/feedpub-serve-bench.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

"$GO" build -o "$work/build" ./functions/build
"$GO" build -o "$work/serve" ./functions/serve
"$GO" build -o "$work/bareserve" ./bench/bareserve
"$GO" run ./bench/corpus -n "$SIZE" -seed 1 -out "$work/corpus" -now 2025-06-01T00:00:00Z >/dev/null
"$work/build" -articles "$work/corpus/articles" -site bench/site.yaml -out "$work/site" -now 2025-06-01T00:00:00Z >/dev/null
chmod 755 "$work" && chmod -R a+rX "$work/site" # nginx's workers run as www-data

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return; sleep 0.1; done; echo "nothing listens on $1" >&2; exit 1; }

fp=$(free_port)
"${srv[@]}" "$work/serve" -feeds "$work/site" -addr "127.0.0.1:$fp" 2>"$work/serve.log" &
pids+=($!)

bp=$(free_port)
"${srv[@]}" "$work/bareserve" -file "$work/site/$FEED.gz" -addr "127.0.0.1:$bp" 2>"$work/bare.log" &
pids+=($!)

np=$(free_port)
mkdir -p "$work/nginx"
brotli_load="" brotli_on=""
if [ -e "$brotli_module" ]; then
	brotli_load="load_module $brotli_module;"
	brotli_on="brotli_static on;"
fi
cat >"$work/nginx/nginx.conf" <<EOF
$brotli_load
worker_processes $workers;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	client_body_temp_path $work/nginx/body;
	proxy_temp_path $work/nginx/proxy;
	fastcgi_temp_path $work/nginx/fastcgi;
	uwsgi_temp_path $work/nginx/uwsgi;
	scgi_temp_path $work/nginx/scgi;
	types { application/rss+xml rss; application/atom+xml atom; application/feed+json json; }
	gzip_static on;
	$brotli_on
	server {
		listen 127.0.0.1:$np;
		root $work/site;
	}
}
EOF
"${srv[@]}" nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)
wait_port "$fp"
wait_port "$bp"
wait_port "$np"

etag_of() { # port accept-encoding
	curl -sS -o /dev/null -D - -H "Accept-Encoding: $2" "http://127.0.0.1:$1/$FEED" |
		awk 'tolower($1) == "etag:" { sub(/\r$/, ""); print $2 }'
}
# rps port args...: requests per second and errors of one wrk run.
rps() {
	local port=$1
	shift
	local out
	out=$("${cli[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" "$@" "http://127.0.0.1:$port/$FEED")
	local r e
	r=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
	e=$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}' <<<"$out")
	echo "$r $e"
}

bytes_of() { curl -sS -o /dev/null -w '%{size_download}' -H "Accept-Encoding: $2" "http://127.0.0.1:$1/$FEED"; }
echo "machine: $(nproc) CPUs, $(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(uname -sr)"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "feedpub: $(git rev-parse --short HEAD 2>/dev/null || echo unknown); $(nginx -v 2>&1); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "feed: /$FEED of a $SIZE-article site, $(bytes_of "$fp" identity) bytes (gzip $(bytes_of "$fp" gzip), br $(bytes_of "$fp" br)); wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS rounds a row${PIN:+; servers on CPU 1, wrk on CPU 0}"
[ -n "$brotli_on" ] || echo "note: nginx has no brotli_static module here: its br row serves gzip"
echo

# Warm both.
wrk -t1 -c4 -d2s "http://127.0.0.1:$fp/$FEED" >/dev/null
wrk -t1 -c4 -d2s "http://127.0.0.1:$np/$FEED" >/dev/null
wrk -t1 -c4 -d2s "http://127.0.0.1:$bp/$FEED" >/dev/null

echo "| request | feedpub req/s | nginx req/s | feedpub/nginx | bare net/http req/s | bare/nginx | errors feedpub / nginx / bare |"
echo "|---|---:|---:|---:|---:|---:|---:|"
# row name args...: ROUNDS rounds, each running feedpub, nginx and (for
# gzip) the bare handler in turn; requests per second are the medians,
# the ratios the medians of each round's ratio (pairing the runs of one
# round keeps a ratio meaningful while the machine's speed drifts), the
# errors summed.
row() {
	local name=$1
	shift
	local f n b out=()
	local fetag netag
	fetag=$(etag_of "$fp" "$accept")
	netag=$(etag_of "$np" "$accept")
	for _ in $(seq "$ROUNDS"); do
		# shellcheck disable=SC2206
		f=($(rps "$fp" "${@//@ETAG@/$fetag}"))
		# shellcheck disable=SC2206
		n=($(rps "$np" "${@//@ETAG@/$netag}"))
		b=(- 0)
		if [ "$accept" = gzip ]; then # the yardstick holds the gzip body alone
			# shellcheck disable=SC2206
			b=($(rps "$bp" "${@//@ETAG@/\"bare\"}"))
		fi
		out+=("${f[0]} ${n[0]} ${b[0]} ${f[1]} ${n[1]} ${b[1]}")
	done
	printf '%s\n' "${out[@]}" | awk -v name="$name" '
		function median(a, k,   i, j, t) { # sorts a[1..k] in place
			for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
			return k % 2 ? a[(k+1)/2] : (a[k/2] + a[k/2+1]) / 2
		}
		{ k++; f[k] = $1; n[k] = $2; b[k] = $3; rf[k] = $2 > 0 ? $1 / $2 : 0; bare = $3 != "-"
		  if (bare) rb[k] = $3 / $2; fe += $4; ne += $5; be += $6 }
		END {
			fn = median(rf, k); bn = bare ? sprintf("%.2f×", median(rb, k)) : "-"
			bs = bare ? sprintf("%.0f", median(b, k)) : "-"
			printf "| %s | %.0f | %.0f | %.2f× | %s | %s | %d / %d / %s |\n", name, median(f, k), median(n, k), fn, bs, bn, fe, ne, bare ? be : "-"
		}'
}
accept=gzip
row "200 gzip" -H "Accept-Encoding: gzip"
accept=br
row "200 br" -H "Accept-Encoding: br"
accept=gzip
row "304 (If-None-Match, gzip)" -H "Accept-Encoding: gzip" -H "If-None-Match: @ETAG@"
echo
echo "bare net/http: bench/bareserve, the least a Go server does for a poll (one gzip body in memory, no negotiation, no other header): the yardstick the issue names."
echo "HEAD is not measured: wrk 4.1 waits for the body a HEAD answer announces (wg/wrk#198); its semantics are tested in feed/serve."
