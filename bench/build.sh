#!/usr/bin/env bash
# Full builds from scratch, feedpub against Hugo (Debian's hugo package), on
# the same generated corpus at several sizes: wall time, CPU time (user+sys)
# and peak RSS of each build, medians, the ratio Hugo/feedpub, as one
# Markdown table; and a chart of wall time and peak memory against corpus
# size (docs/build-chart.svg, drawn by bench/chart). See docs/benchmarks.md.
#
#   bash bench/build.sh                       # or: make bench
#   SIZES="1000 10000" bash bench/build.sh    # a quick run
#   REV=HEAD bash bench/build.sh              # feedpub as committed, not the work tree
#
# For each size: bench/corpus writes the corpus (seed SEED, as of NOW),
# bench/hugo/convert turns it into a Hugo site holding the same published
# articles (drafts marked as drafts; deleted and embargoed ones left out),
# both are read once so the page cache is warm, then each tool builds into
# an empty folder, in two modes: full text (bench/site.yaml; a full-text RSS
# template for Hugo) and summaries (bench/site-summaries.yaml; Hugo's
# embedded RSS template), both doing Hugo's work: no precompressed variants,
# archive pages, preview pages or delta packs (precompress: [], archives:
# none, previews: false, deltas: 0); and feedpub once more in full text with
# everything it publishes by default (gzip and br variants, RFC 5005
# archives, preview pages, delta packs), against Hugo's full-text runs. The runs alternate tools, each measured by
# /usr/bin/time (%e %U %S %M). The first size also gets one warm-up run of
# each, not counted.
#
# Environment: SIZES (default "1000 10000 100000"), RUNS (counted runs per
# tool and mode, default 3), LARGE and LARGE_RUNS (sizes of LARGE articles or
# more get LARGE_RUNS runs; 100000 and 2), SEED (1), NOW
# (2025-06-01T00:00:00Z), CHART (docs/build-chart.svg; empty: none), RAW
# (keep every run's figures in this file), REV (build feedpub from this git
# revision instead of the work tree), HUGO_FORMAT (html: bodies as .html
# content files, taken as they are; md: Markdown files with raw HTML),
# VARIANTS (1: also feedpub full text with its defaults — variants,
# archives, previews, deltas — beside Hugo's full text; 0: not), TMPDIR (where the corpora and outputs go; tmpfs is avoided; every run's
# output is kept until the end, about 12 GB with the defaults), GO.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

GO=${GO:-go}
SIZES=${SIZES:-1000 10000 100000}
RUNS=${RUNS:-3}
LARGE=${LARGE:-100000}
LARGE_RUNS=${LARGE_RUNS:-2}
SEED=${SEED:-1}
NOW=${NOW:-2025-06-01T00:00:00Z}
CHART=${CHART-docs/build-chart.svg}
HUGO_FORMAT=${HUGO_FORMAT:-html}
REV=${REV:-}
VARIANTS=${VARIANTS:-1}

# Hugo, and GNU time for the measurements.
. bench/lib.sh
need_pkg hugo hugo
[ -x /usr/bin/time ] || { need_pkg /usr/bin/time time; }

# The work folder: on disk, not in memory.
work=$(mktemp -d "$(disk_dir)/feedpub-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/outs"
if [ -n "${RAW:-}" ]; then
	case $RAW in /*) raw=$RAW ;; *) raw=$root/$RAW ;; esac
else
	raw=$work/raw.txt
fi
: >"$raw"

# The binaries: feedpub's build from the work tree (or REV), our converter
# and chart from the work tree.
mkdir -p "$work/bin"
src=$root
if [ -n "$REV" ]; then
	src=$work/src
	mkdir -p "$src"
	git -C "$root" archive --format=tar "$REV" | tar -x -C "$src"
	feedpub_rev="$(git -C "$root" rev-parse --short "$REV") ($REV)"
else
	feedpub_rev="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown) work tree"
	if [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
		feedpub_rev="$feedpub_rev, with uncommitted changes"
	fi
fi
(cd "$src" && "$GO" build -o "$work/bin/feedpub" ./functions/build)
"$GO" build -o "$work/bin/convert" ./bench/hugo/convert
{ cat bench/site.yaml; echo "$hugos_work"; } >"$work/site-full.yaml"
{ cat bench/site-summaries.yaml; echo "$hugos_work"; } >"$work/site-summaries.yaml"
"$GO" build -o "$work/bin/chart" ./bench/chart

cpu_model=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo 2>/dev/null || true)
hugo_version=$(hugo version | awk '{print $2}')
started=$(date -u '+%Y-%m-%d %H:%M UTC')
echo "machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, ${mem:-unknown} memory, $(uname -sr)"
echo "date: $started; load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
echo "feedpub: $feedpub_rev, $("$GO" version | cut -d' ' -f3-); Hugo: $hugo_version; work folder: $work"
echo

# run_one tool mode size run counted: one build into an empty folder,
# measured; counted runs append "size mode tool run wall user sys rss_kb"
# to $raw.
run_one() {
	local tool=$1 mode=$2 size=$3 run=$4 counted=$5
	local out log=$work/log.txt tfile=$work/time.txt
	# A new folder each run, and nothing deleted until the bench ends:
	# ext4 will not reuse an inode freed in the last minute or so, and
	# every file made just after a large rm -rf first steps over the
	# inodes it freed (recently_deleted() in the kernel's ialloc.c). That
	# cost 2-3x at 1,000 articles, in both tools: it is the harness's,
	# not a user's (a from-scratch build is into a new or empty folder).
	out=$(mktemp -d "$work/outs/$tool.$mode.$size.XXXXXX")/out
	rm -rf "$work/hugo-cache"
	sync
	local cmd
	case $tool in
	feedpub)
		# Hugo's work: no variants, archives, previews or deltas; the
		# "variants" mode is full text with all of feedpub's defaults,
		# beside Hugo's full-text runs.
		local site=$work/site-full.yaml
		[ "$mode" = summaries ] && site=$work/site-summaries.yaml
		[ "$mode" = variants ] && site=bench/site.yaml
		cmd=("$work/bin/feedpub" -articles "$work/corpus/articles" -site "$site" -out "$out" -now "$NOW")
		;;
	hugo)
		local layouts="layouts-full"
		[ "$mode" = summaries ] && layouts="layouts-embedded"
		cmd=(hugo --source "$work/hugo-site" --layoutDir "$layouts" --destination "$out"
			--cacheDir "$work/hugo-cache" --clock "$NOW")
		;;
	esac
	local what="run $run"
	[ "$counted" = 1 ] || what="warm-up"
	echo "  $tool $mode, $size articles, $what" >&2
	if ! /usr/bin/time -o "$tfile" -f '%e %U %S %M' "${cmd[@]}" >"$log" 2>&1; then
		echo "$tool failed:" >&2
		tail -20 "$log" >&2
		exit 1
	fi
	if [ "$counted" = 1 ]; then
		echo "$size $mode $tool $run $(tail -1 "$tfile")" >>"$raw"
	fi
	# What the build published, checked once per tool, mode and size.
	if [ "$run" = 1 ] && [ "$counted" = 1 ]; then
		local feeds items
		case $tool in
		feedpub)
			feeds=$(sed -n 's/^feeds: \([0-9]*\),.*/\1/p' "$log")
			local published
			published=$(sed -n 's/^articles: [0-9]* read, \([0-9]*\) published.*/\1/p' "$log")
			if [ "$published" != "$hugo_published" ]; then
				echo "warning: feedpub published $published articles, the Hugo site holds $hugo_published" >&2
			fi
			items=$(grep -o '<item>' "$out/feeds/index.rss" | wc -l)
			;;
		hugo)
			feeds=$(find "$out" -name index.xml | wc -l)
			items=$(grep -o '<item>' "$out/index.xml" | wc -l)
			;;
		esac
		echo "$size $mode $tool $feeds $items" >>"$work/feeds.txt"
	fi
}

: >"$work/feeds.txt"
first=1
for size in $SIZES; do
	echo "$size articles: corpus, Hugo site" >&2
	rm -rf "$work/corpus" "$work/hugo-site"
	"$GO" run ./bench/corpus -n "$size" -seed "$SEED" -out "$work/corpus" -now "$NOW" >&2
	"$work/bin/convert" -articles "$work/corpus/articles" -site bench/site.yaml -out "$work/hugo-site" \
		-now "$NOW" -format "$HUGO_FORMAT" | tee "$work/convert.txt" >&2
	hugo_published=$(sed -n 's/.* \([0-9]*\) published,.*/\1/p' "$work/convert.txt")
	# Warm the page cache: read every input once.
	find "$work/corpus" "$work/hugo-site" -type f -exec cat {} + >/dev/null
	if [ "$first" = 1 ]; then
		for mode in full summaries; do
			run_one feedpub "$mode" "$size" 0 0
			run_one hugo "$mode" "$size" 0 0
		done
		first=0
	fi
	runs=$RUNS
	[ "$size" -ge "$LARGE" ] && runs=$LARGE_RUNS
	for run in $(seq "$runs"); do
		for mode in full summaries; do
			# Alternate which tool goes first, so neither always follows the other.
			if [ $((run % 2)) = 1 ]; then
				run_one feedpub "$mode" "$size" "$run" 1
				run_one hugo "$mode" "$size" "$run" 1
			else
				run_one hugo "$mode" "$size" "$run" 1
				run_one feedpub "$mode" "$size" "$run" 1
			fi
		done
		[ "$VARIANTS" = 1 ] && run_one feedpub variants "$size" "$run" 1
	done
	rm -rf "$work/corpus" "$work/hugo-site"
done

# The table and the chart's CSV, from the medians.
awk -v csv="$work/medians.csv" -v feedsfile="$work/feeds.txt" '
BEGIN {
	while ((getline line < feedsfile) > 0) {
		split(line, w, " ")
		feeds[w[1], w[2], w[3]] = w[4]
		items[w[1], w[2], w[3]] = w[5]
	}
	print "tool,mode,articles,runs,wall_s,cpu_s,rss_kb" > csv
}
{
	size = $1; mode = $2; tool = $3
	key = size SUBSEP mode SUBSEP tool
	k = ++n[key]
	wall[key, k] = $5; cpu[key, k] = $6 + $7; rss[key, k] = $8
	if (!(size in seenSize)) { seenSize[size] = 1; sizes[++ns] = size }
	if (!(mode in seenMode)) { seenMode[mode] = 1; modes[++nm] = mode }
}
function median(arr, key,    m, i, j, x, a) {
	m = n[key]
	for (i = 1; i <= m; i++) {
		x = arr[key, i]
		for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]
		a[j + 1] = x
	}
	return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
function secs(s) { return s < 10 ? sprintf("%.2f s", s) : sprintf("%.1f s", s) }
function mib(kb) { return kb < 10240 ? sprintf("%.1f MiB", kb / 1024) : sprintf("%.0f MiB", kb / 1024) }
function ratio(h, f) { return f > 0 ? sprintf("%.2f×", h / f) : "-" }
function count(v,    s) {
	s = sprintf("%d", v)
	while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s)
	return s
}
END {
	print "| articles | mode | wall feedpub | wall Hugo | Hugo/feedpub | CPU feedpub | CPU Hugo | Hugo/feedpub | peak RSS feedpub | peak RSS Hugo | Hugo/feedpub | feeds feedpub / Hugo | runs |"
	print "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= ns; i++) for (j = 1; j <= nm; j++) {
		size = sizes[i]; mode = modes[j]
		f = size SUBSEP mode SUBSEP "feedpub"; h = size SUBSEP (mode == "variants" ? "full" : mode) SUBSEP "hugo"
		if (!(f in n) || !(h in n)) continue
		fw = median(wall, f); hw = median(wall, h)
		fc = median(cpu, f); hc = median(cpu, h)
		fr = median(rss, f); hr = median(rss, h)
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s×3 / %s | %d |\n",
			count(size), mode == "full" ? "full text" : mode == "variants" ? "full text, all defaults (variants, archives, previews, deltas)" : mode,
			secs(fw), secs(hw), ratio(hw, fw), secs(fc), secs(hc), ratio(hc, fc),
			mib(fr), mib(hr), ratio(hr, fr), count(feeds[f]), count(feeds[h]), n[f]
		if (mode == "variants") continue # the chart compares like with like
		printf "feedpub,%s,%s,%d,%s,%s,%s\n", mode == "full" ? "full text" : mode, size, n[f], fw, fc, fr > csv
		printf "Hugo,%s,%s,%d,%s,%s,%s\n", mode == "full" ? "full text" : mode, size, n[h], hw, hc, hr > csv
	}
}' "$raw"

echo
echo "Medians of the counted runs; CPU = user + sys; peak RSS = the process's maximum resident set."
echo "Load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) ($(nproc) CPUs; wall times above that count are stretched by other work)."
echo "Feeds: feedpub writes each feed as RSS, Atom and JSON Feed (×3 files); Hugo writes RSS only (index.xml)."
awk '$5 != 50 {printf "note: %s articles, %s, %s: %s items in the home feed\n", $1, $2, $3, $5}' "$work/feeds.txt"

if [ -n "$CHART" ]; then
	note="medians; $(nproc) CPUs, ${cpu_model:-unknown CPU}, ${mem:-?}; $started; feedpub $feedpub_rev; Hugo $hugo_version"
	"$work/bin/chart" -note "$note" -o "$CHART" <"$work/medians.csv"
	echo "chart: $CHART"
fi
