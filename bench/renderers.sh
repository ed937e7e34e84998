#!/usr/bin/env bash
# Benchmarks feedpub's RSS, Atom and JSON Feed renderers against
# github.com/gorilla/feeds v1.2.0 (feed/bench_test.go) and prints the medians
# and ratios as Markdown tables. See docs/benchmarks.md.
#
#   bash bench/renderers.sh            # or: make bench
#   COUNT=10 COUNT5000=5 bash bench/renderers.sh
#   RAW=/tmp/bench.txt bash bench/renderers.sh   # keep go test's output
#
# Needs only Go and awk; medians are computed here, no benchstat required.
set -euo pipefail

GO=${GO:-go}
COUNT=${COUNT:-6}         # runs of the 50-item benchmark
COUNT5000=${COUNT5000:-3} # runs of the 5,000-item benchmark, one render each
if [ -n "${RAW:-}" ]; then
	case $RAW in /*) raw=$RAW ;; *) raw=$PWD/$RAW ;; esac
else
	raw=$(mktemp)
	trap 'rm -f "$raw"' EXIT
fi

cd "$(dirname "$0")/.."

load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
echo "machine: $(nproc) CPUs, $("$GO" version | cut -d' ' -f3-), load average before the runs: $load"

# bench runs go test with the given flags, appending its output to $raw;
# on failure it shows that output.
bench() {
	echo "running: $GO test -run '^\$' $* ./feed" >&2
	if ! "$GO" test -run '^$' "$@" ./feed >>"$raw" 2>&1; then
		cat "$raw" >&2
		exit 1
	fi
}
: >"$raw"
bench -bench 'BenchmarkRender(Prose)?$' -benchmem -count "$COUNT"
bench -bench 'BenchmarkRender5000$' -benchmem -benchtime 1x -count "$COUNT5000"

grep -E '^(goos|goarch|cpu):' "$raw" | sort -u || true

awk '
# Lines look like:
# BenchmarkRender/format=rss/impl=feedpub-2  2888  636886 ns/op  270.16 MB/s  180000 out-B  48224 B/op  356 allocs/op
/^BenchmarkRender/ {
	split($1, part, "/")
	bench = part[1]; format = part[2]; impl = part[3]
	sub(/^format=/, "", format)
	sub(/^impl=/, "", impl); sub(/-[0-9]+$/, "", impl)
	if (!(bench in seenBench)) { seenBench[bench] = 1; benches[++nb] = bench }
	if (!((bench, format) in seenFormat)) { seenFormat[bench, format] = 1; formats[bench, ++nf[bench]] = format }
	for (i = 3; i < NF; i += 2) {
		key = bench SUBSEP format SUBSEP impl SUBSEP $(i + 1)
		n[key]++
		v[key, n[key]] = $i + 0
	}
}

# median of the values recorded under key (insertion sort: mawk has no asort)
function median(key,    m, i, j, x, a) {
	m = n[key]
	if (m == 0) return -1
	for (i = 1; i <= m; i++) {
		x = v[key, i]
		for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]
		a[j + 1] = x
	}
	return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}

function get(bench, format, impl, unit) { return median(bench SUBSEP format SUBSEP impl SUBSEP unit) }

function duration(ns) {
	if (ns >= 1e9) return sprintf("%.3f s", ns / 1e9)
	if (ns >= 1e6) return sprintf("%.2f ms", ns / 1e6)
	if (ns >= 1e3) return sprintf("%.1f µs", ns / 1e3)
	return sprintf("%.0f ns", ns)
}

function size(b) {
	if (b >= 1048576) return sprintf("%.1f MiB", b / 1048576)
	if (b >= 1024) return sprintf("%.1f KiB", b / 1024)
	return sprintf("%d B", b)
}

# the targets of the issue, for the 50-item feed
function verdict(format, speed, alloc) {
	if (format == "json") return speed >= 3 ? "met (≥3×)" : "NOT MET (≥3×)"
	s = speed >= 5 ? "speed met" : "speed NOT MET"
	a = alloc <= 0.1 ? "bytes met" : "bytes NOT MET"
	return s " (≥5×), " a " (≤1/10)"
}

END {
	for (b = 1; b <= nb; b++) {
		bench = benches[b]
		label = bench == "BenchmarkRender" ? "50 items, bodies dense with markup" : bench == "BenchmarkRenderProse" ? "50 items, prose bodies" : bench == "BenchmarkRender5000" ? "5,000 items, bodies dense with markup" : bench
		judged = bench == "BenchmarkRender" || bench == "BenchmarkRenderProse"
		printf "\n%s (%s), median of %d runs\n\n", label, bench, n[bench SUBSEP formats[bench, 1] SUBSEP "feedpub" SUBSEP "ns/op"]
		printf "| format | feedpub ns/op | gorilla ns/op | speed ratio (gorilla/feedpub) | feedpub B/op | gorilla B/op | alloc ratio (feedpub/gorilla) | allocs/op feedpub / gorilla | output feedpub / gorilla |%s\n", judged ? " target |" : ""
		printf "|---|---:|---:|---:|---:|---:|---:|---:|---:|%s\n", judged ? "---|" : ""
		for (f = 1; f <= nf[bench]; f++) {
			format = formats[bench, f]
			ons = get(bench, format, "feedpub", "ns/op"); gns = get(bench, format, "gorilla", "ns/op")
			ob = get(bench, format, "feedpub", "B/op"); gb = get(bench, format, "gorilla", "B/op")
			oa = get(bench, format, "feedpub", "allocs/op"); ga = get(bench, format, "gorilla", "allocs/op")
			oo = get(bench, format, "feedpub", "out-B"); go = get(bench, format, "gorilla", "out-B")
			speed = gns / ons; alloc = ob / gb
			printf "| %s | %s | %s | %.2f× | %s | %s | %.3f (1/%.1f) | %d / %d | %s / %s |", format, duration(ons), duration(gns), speed, size(ob), size(gb), alloc, gb / ob, oa, ga, size(oo), size(go)
			if (judged) printf " %s |", verdict(format, speed, alloc)
			printf "\n"
		}
		if (n[bench SUBSEP formats[bench, 1] SUBSEP "feedpub-planned" SUBSEP "ns/op"] == 0) continue
		printf "\nthe same feed made by feed.Plan (impl=feedpub-planned): escaped texts cached per build, reused from the 2nd render on\n\n"
		printf "| format | feedpub-planned ns/op | speed ratio (gorilla/planned) | feedpub-planned B/op | alloc ratio (planned/gorilla) | allocs/op |\n"
		printf "|---|---:|---:|---:|---:|---:|\n"
		for (f = 1; f <= nf[bench]; f++) {
			format = formats[bench, f]
			pns = get(bench, format, "feedpub-planned", "ns/op"); gns = get(bench, format, "gorilla", "ns/op")
			pb = get(bench, format, "feedpub-planned", "B/op"); gb = get(bench, format, "gorilla", "B/op")
			printf "| %s | %s | %.2f× | %s | %.3f (1/%.1f) | %d |\n", format, duration(pns), gns / pns, size(pb), pb / gb, gb / pb, get(bench, format, "feedpub-planned", "allocs/op")
		}
	}
}
' "$raw"
