#!/usr/bin/env bash
# What the sanitiser and the publish gate cost a from-scratch build (the
# hardening issue's target: at most 1.30x), in one table: feedpub from the
# work tree against BASE (default 9194985, the last commit before either
# existed), built into a new folder each run, the two taking turns (new,
# base, new, base ...) so that a drift of the machine's speed touches both;
# ratios are of medians. Site: bench/site.yaml with Hugo's work (no
# variants, archives, previews or deltas), corpora from bench/corpus.
#
#   bash bench/gate.sh                      # 10,000 and 100,000 articles
#   SIZES=10000 RUNS=3 bash bench/gate.sh   # a quick run
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

GO=${GO:-go}
BASE=${BASE:-9194985}
SIZES=${SIZES:-10000 100000}
RUNS=${RUNS:-5}
SEED=${SEED:-1}
NOW=${NOW:-2025-06-01T00:00:00Z}

. bench/lib.sh
[ -x /usr/bin/time ] || { need_pkg /usr/bin/time time; }

parent=${TMPDIR:-/tmp}
if [ "$(df --output=fstype "$parent" 2>/dev/null | tail -1)" = tmpfs ]; then
	parent=/var/tmp # outputs on disk, as a build writes them
fi
work=$(mktemp -d "$parent/feedpub-gate.XXXXXX")
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/base"
git -C "$root" archive --format=tar "$BASE" | tar -x -C "$work/base"
(cd "$work/base" && "$GO" build -o "$work/feedpub-base" ./functions/build)
"$GO" build -o "$work/feedpub-new" ./functions/build
"$GO" build -o "$work/corpus" ./bench/corpus
{ cat bench/site.yaml; printf 'precompress: []\narchives: {site: none, category: none, tag: none, author: none}\npreviews: false\ndeltas: 0\n'; } >"$work/site.yaml"

# run BIN ARTICLES: one from-scratch build into a new folder; prints
# "user+sys wall peakKiB".
run() {
	local out
	out=$(mktemp -d "$work/out.XXXXXX")
	/usr/bin/time -f '%U %S %e %M' -o "$work/time" "$1" -articles "$2" -site "$work/site.yaml" -out "$out" -now "$NOW" >/dev/null 2>&1
	rm -rf "$out"
	awk '{printf "%.2f %.2f %d\n", $1 + $2, $3, $4}' "$work/time"
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "machine: $(nproc) CPUs, $(uname -sr); $(date -u '+%Y-%m-%d %H:%M UTC'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "feedpub: work tree at $(git rev-parse --short HEAD) against $BASE; $RUNS runs each, in turn; Hugo's work (no variants, archives, previews, deltas)"
echo
echo "| articles | CPU new | CPU base | CPU ratio | wall new | wall base | wall ratio | peak RSS new / base (MiB) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for size in $SIZES; do
	articles=$work/corpus-$size
	"$work/corpus" -n "$size" -seed "$SEED" -out "$articles" >/dev/null
	run "$work/feedpub-new" "$articles/articles" >/dev/null # warm the page cache
	: >"$work/new.txt"
	: >"$work/base.txt"
	for _ in $(seq "$RUNS"); do
		run "$work/feedpub-new" "$articles/articles" >>"$work/new.txt"
		run "$work/feedpub-base" "$articles/articles" >>"$work/base.txt"
	done
	cn=$(cut -d' ' -f1 "$work/new.txt" | median)
	cb=$(cut -d' ' -f1 "$work/base.txt" | median)
	wn=$(cut -d' ' -f2 "$work/new.txt" | median)
	wb=$(cut -d' ' -f2 "$work/base.txt" | median)
	pn=$(cut -d' ' -f3 "$work/new.txt" | median)
	pb=$(cut -d' ' -f3 "$work/base.txt" | median)
	awk -v n="$size" -v cn="$cn" -v cb="$cb" -v wn="$wn" -v wb="$wb" -v pn="$pn" -v pb="$pb" \
		'BEGIN {printf "| %d | %.2f s | %.2f s | %.2f× | %.2f s | %.2f s | %.2f× | %.0f / %.0f |\n", n, cn, cb, cn / cb, wn, wb, wn / wb, pn / 1024, pb / 1024}'
	rm -rf "$articles"
done
echo
echo "target: CPU ratio at most 1.30 (the sanitiser and the gate together)"
