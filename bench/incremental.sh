#!/usr/bin/env bash
# Incremental builds against the from-scratch build of the same corpus: a
# no-change rebuild, and one edit, delete, create and embargo release, each
# with its time and the store operations it made by kind (counted by the
# stores, build -ops); on a folder (the CLI, its listing included) and on
# S3 (versitygw on loopback, as S3 event builds: -keys, no listing); then
# event-to-feed freshness under the Lambda emulator (bench/freshness).
#
#   bash bench/incremental.sh                      # or: make bench
#   SIZE=10000 S3_SIZE=10000 bash bench/incremental.sh
#
# Environment: SIZE (folder corpus, default 100000), S3_SIZE (S3 corpus,
# default 10000: writing 100k documents to versitygw takes about 5 minutes),
# EVENTS (freshness rounds, 50), TMPDIR (on disk, not tmpfs), GO.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
GO=${GO:-go}
SIZE=${SIZE:-100000}
S3_SIZE=${S3_SIZE:-10000}
EVENTS=${EVENTS:-50}
NOW=2025-06-01T00:00:00Z
LATER=2025-06-02T01:00:00Z # past the corpus's first embargoes
export PATH=$root/.tools/bin:$PATH

base=${TMPDIR:-/var/tmp}
[ "$(stat -f -c %T "$base" 2>/dev/null)" = tmpfs ] && base=$root/.tmp
mkdir -p "$base"
work=$(mktemp -d "$base/feedpub-incremental.XXXXXX")
gw_pid=
cleanup() {
	[ -n "$gw_pid" ] && kill "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

"$GO" build -o "$work/build" ./functions/build
"$GO" build -o "$work/corpus" ./bench/corpus
"$GO" build -o "$work/s3edit" ./bench/freshness/s3edit
CGO_ENABLED=0 "$GO" build -tags lambda.norpc -o "$work/bootstrap" ./functions/build

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
now_s() { date +%s.%N; }

# run LABEL ARGS...: one build, its wall time and the store operations.
run() {
	local label=$1 t0 t1 out
	shift
	t0=$(now_s)
	out=$("$work/build" "$@" -ops)
	t1=$(now_s)
	local ops written
	ops=$(grep '^store operations' <<<"$out" | sed 's/^store operations: //; s/notmodified=0//g; s/ delete=0//g; s/ head=0//g; s/  */ /g')
	written=$(grep -o 'files written [0-9]*' <<<"$out" | grep -o '[0-9]*$')
	echo "$label|$(secs "$t0" "$t1")|$written|$ops"
}

table() { # rows on stdin: label|secs|written|ops ; first row is the full build
	local full=
	echo "| build | wall s | vs full | outputs written | store operations |"
	echo "|---|---|---|---|---|"
	while IFS='|' read -r label s w ops; do
		[ -z "$full" ] && full=$s
		ratio=$(awk -v a="$s" -v b="$full" 'BEGIN { printf "%.1f%%", 100 * a / b }')
		echo "| $label | $s | $ratio | $w | $ops |"
	done
}

recent() { # a recent article of the built site in $1: its document key
	"$GO" run ./bench/freshness/recent "$1"
}

echo "## Folder, $SIZE articles ($(nproc) CPUs, $(date -u +%F))"
"$work/corpus" -n "$SIZE" -seed 1 -out "$work/c" -now "$NOW" >/dev/null
cat "$work"/c/articles/*.json >/dev/null 2>&1 || find "$work/c" -type f -exec cat {} + >/dev/null
site=$root/bench/site.yaml
F=(-articles "$work/c/articles" -site "$site" -out "$work/o" -now "$NOW")
{
	run "from scratch" "${F[@]}"
	run "no change" "${F[@]}"
	run "no change" "${F[@]}"
	key=$(recent "$work/o")
	cp "$work/c/articles/$key" "$work/saved.json"
	sed -i 's/"title":"/"title":"EDITED /' "$work/c/articles/$key"
	run "one edit" "${F[@]}"
	rm "$work/c/articles/$key"
	run "one delete" "${F[@]}"
	cp "$work/saved.json" "$work/c/articles/$key"
	run "one create" "${F[@]}"
	run "embargo release" -articles "$work/c/articles" -site "$site" -out "$work/o" -now "$LATER"
} | table

echo
echo "## S3 (versitygw), $S3_SIZE articles, S3 event builds"
port=$((20000 + RANDOM % 20000))
mkdir -p "$work/gw/content" "$work/gw/feeds"
versitygw --access benchaccess --secret benchsecret1 --port "127.0.0.1:$port" --quiet posix "$work/gw" &
gw_pid=$!
for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
export AWS_ENDPOINT_URL_S3=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=benchaccess AWS_SECRET_ACCESS_KEY=benchsecret1 AWS_REGION=us-east-1 FEEDPUB_S3_PATH_STYLE=1
"$work/corpus" -n "$S3_SIZE" -seed 1 -out s3://content -now "$NOW" >/dev/null
S=(-articles s3://content/articles -site "$site" -out s3://feeds/)
{
	run "from scratch" "${S[@]}" -now "$NOW"
	run "no change (listing)" "${S[@]}" -now "$NOW"
	key=$(recent "$work/gw/feeds")
	"$work/s3edit" s3://content/articles "$key" edit >/dev/null
	run "one edit (event)" "${S[@]}" -now "$NOW" -keys "$key"
	"$work/s3edit" s3://content/articles "$key" delete >/dev/null
	run "one delete (event)" "${S[@]}" -now "$NOW" -keys "$key"
	"$work/s3edit" s3://content/articles "$key" restore >/dev/null
	run "one create (event)" "${S[@]}" -now "$NOW" -keys "$key"
	run "embargo release (event)" "${S[@]}" -now "$LATER" -keys none.json
} | table

echo
echo "## Event-to-feed freshness, S3 events under the Lambda emulator, $S3_SIZE articles"
"$GO" run ./bench/freshness -bootstrap "$work/bootstrap" -rie "$(command -v aws-lambda-rie)" \
	-articles s3://content/articles -site "$site" -out s3://feeds/ -now "$LATER" -n "$EVENTS"
