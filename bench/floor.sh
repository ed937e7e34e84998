#!/usr/bin/env bash
# What "10× Hugo from scratch" leaves a build on this machine: on one
# generated corpus (SIZE articles, full text, Hugo's work), in turn, each
# into a new empty folder after a sync, RUNS rounds of
#   - Hugo, RSS only (the yardstick of the scale issue);
#   - Hugo, RSS, Atom and JSON Feed (what feedpub writes, as Hugo's output
#     formats; bench/hugo/convert's three-formats.json);
#   - feedpub (bench/site.yaml with precompress: [], no archives, previews
#     or deltas);
#   - bench/floor: read every document, then write the bytes of feedpub's
#     outputs into as many new files, and nothing else; once with all of
#     them, once with the RSS files alone (the bytes Hugo's RSS-only run
#     writes, near enough);
# and prints one Markdown table of medians: wall, CPU, peak RSS, and each
# row's wall as a share of a tenth of Hugo's (RSS only). A floor row at or
# above 100% means no build that reads these documents and writes these
# files could be 10× Hugo in that run. See docs/benchmarks.md.
#
#   bash bench/floor.sh                  # or: make bench
#   SIZE=10000 RUNS=1 bash bench/floor.sh # a quick run
#
# Environment: SIZE (100000), RUNS (3), SEED (1), NOW
# (2025-06-01T00:00:00Z), TMPDIR (on disk: a tmpfs is avoided; every
# output is kept until the end, about 4.7 GB a round at 100,000), GO.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
SIZE=${SIZE:-100000}
RUNS=${RUNS:-3}
SEED=${SEED:-1}
NOW=${NOW:-2025-06-01T00:00:00Z}

. bench/lib.sh
need_pkg hugo hugo
[ -x /usr/bin/time ] || { need_pkg /usr/bin/time time; }

work=$(mktemp -d "$(disk_dir)/feedpub-floor.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/outs"
"$GO" build -o "$work/bin/feedpub" ./functions/build
"$GO" build -o "$work/bin/convert" ./bench/hugo/convert
"$GO" build -o "$work/bin/floor" ./bench/floor
{ cat bench/site.yaml; echo "$hugos_work"; } >"$work/site.yaml"

echo "machine: $(nproc) CPUs, $(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(uname -sr)"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "feedpub: $(git rev-parse --short HEAD 2>/dev/null || echo unknown); Hugo: $(hugo version | awk '{print $2}'); $SIZE articles, $RUNS rounds"
echo

echo "corpus and Hugo site, $SIZE articles" >&2
"$GO" run ./bench/corpus -n "$SIZE" -seed "$SEED" -out "$work/corpus" -now "$NOW" >&2
"$work/bin/convert" -articles "$work/corpus/articles" -site bench/site.yaml -out "$work/hugo" -now "$NOW" >&2
find "$work/corpus" "$work/hugo" -type f -exec cat {} + >/dev/null
# The bytes the floor writes: a warm-up build of feedpub's, not counted.
"$work/bin/feedpub" -articles "$work/corpus/articles" -site "$work/site.yaml" -out "$work/ref" -now "$NOW" >/dev/null

raw=$work/raw.txt
: >"$raw"
# one name cmd...: a run into a new folder (@OUT@ in the command), measured.
# Hugo and feedpub are timed by /usr/bin/time; the floor times itself,
# without loading the bytes it writes.
one() {
	local name=$1
	shift
	local out
	out=$(mktemp -d "$work/outs/XXXXXX")/out
	sync
	sleep 5
	echo "  $name" >&2
	local args=("${@//@OUT@/$out}")
	case $name in
	floor*)
		"${args[@]}" >"$work/floor.txt"
		# "... total W s wall, C s CPU": wall, CPU; no peak RSS (it holds the outputs)
		awk -v n="$name" '{for (i = 1; i <= NF; i++) { if ($(i+1) == "s" && $(i+2) == "wall,") w = $i; if ($(i+1) == "s" && $(i+2) == "CPU") c = $i }} END {print n, w, c, "-"}' "$work/floor.txt" >>"$raw"
		;;
	*)
		(cd "$work/hugo" && /usr/bin/time -o "$work/time.txt" -f '%e %U %S %M' "${args[@]}" >"$work/log.txt" 2>&1) ||
			{ tail -20 "$work/log.txt" >&2; exit 1; }
		awk -v n="$name" '{print n, $1, $2 + $3, $4}' "$work/time.txt" >>"$raw"
		;;
	esac
}
for _ in $(seq "$RUNS"); do
	one "hugo-rss" hugo --quiet --source "$work/hugo" --layoutDir layouts-full --destination @OUT@ --cacheDir "$work/hugo-cache" --clock "$NOW"
	one "hugo-three" hugo --quiet --source "$work/hugo" --config hugo.json,three-formats.json --layoutDir layouts-full --destination @OUT@ --cacheDir "$work/hugo-cache" --clock "$NOW"
	one "feedpub" "$work/bin/feedpub" -articles "$work/corpus/articles" -site "$work/site.yaml" -out @OUT@ -now "$NOW"
	one "floor-all" "$work/bin/floor" -articles "$work/corpus/articles" -site "$work/ref" -out @OUT@
	one "floor-rss" "$work/bin/floor" -articles "$work/corpus/articles" -site "$work/ref" -out @OUT@ -only .rss
done

awk '
function median(name, col,    m, i, j, x, a) {
	m = n[name]
	for (i = 1; i <= m; i++) {
		x = v[name, i, col]
		for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]
		a[j + 1] = x
	}
	return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
{ k = ++n[$1]; v[$1, k, 1] = $2; v[$1, k, 2] = $3; v[$1, k, 3] = $4; w[$1] = w[$1] sep[$1] sprintf("%.2f", $2); sep[$1] = ", " }
END {
	split("hugo-rss hugo-three feedpub floor-all floor-rss", order, " ")
	label["hugo-rss"] = "Hugo, RSS only (full text)"
	label["hugo-three"] = "Hugo, RSS + Atom + JSON Feed (full text)"
	label["feedpub"] = "feedpub, Hugo'"'"'s work (three formats, full text)"
	label["floor-all"] = "floor: read the documents, write feedpub'"'"'s files"
	label["floor-rss"] = "floor: read the documents, write the RSS files alone"
	tenth = median("hugo-rss", 1) / 10
	print "| run | wall (median) | walls | CPU | peak RSS | wall / (Hugo RSS ÷ 10) |"
	print "|---|---:|---|---:|---:|---:|"
	for (i = 1; i <= 5; i++) {
		r = order[i]
		if (!(r in n)) continue
		rss = median(r, 3)
		printf "| %s | %.2f s | %s | %.2f s | %s | %.0f%% |\n", label[r], median(r, 1), w[r], median(r, 2),
			v[r, 1, 3] == "-" ? "-" : sprintf("%.0f MiB", rss / 1024), 100 * median(r, 1) / tenth
	}
}' "$raw"
