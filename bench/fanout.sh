#!/usr/bin/env bash
# A from-scratch build fanned out past one invocation, as deployed: SIZE
# generated articles (100000) on versitygw, bench/site.yaml with every
# default, the coordinator and two workers as the build bootstrap under the
# Lambda emulator, batches through local-aws-sqs. Prints the build's wall
# time and the peak resident memory of the coordinator and of the larger
# worker, each told the memory of its function (BUILD_MB, WORKER_MB: 512),
# as one Markdown table. It is functions/e2e's BenchmarkFanOut.
#
#   bash bench/fanout.sh                 # or: make bench
#   SIZE=10000 bash bench/fanout.sh      # a quick run
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-100000}
BUILD_MB=${BUILD_MB:-512}
WORKER_MB=${WORKER_MB:-512}
export PATH="$PWD/.tools/bin:$PATH"
command -v aws-lambda-rie >/dev/null && command -v versitygw >/dev/null && [ -d .tools/node/node_modules/local-aws-sqs ] || make -s tools

head="feedpub: $(git rev-parse --short HEAD) work tree; $(nproc) CPUs; $(date -u '+%F %H:%M UTC')"
out=$(FEEDPUB_TEST_S3_ENDPOINT= FEEDPUB_BENCH_FANOUT=$SIZE FEEDPUB_BENCH_BUILD_MB=$BUILD_MB FEEDPUB_BENCH_WORKER_MB=$WORKER_MB \
	go test -run '^$' -bench '^BenchmarkFanOut$' -benchtime=1x -timeout 60m ./functions/e2e 2>&1) || { echo "$out" >&2; exit 1; }
line=$(grep '^BenchmarkFanOut' <<<"$out") || { echo "$out" >&2; exit 1; }
echo "$head"
metric() { awk -v unit="$1" '{for (i = 2; i < NF; i++) if ($(i+1) == unit) print $i}' <<<"$line"; }
printf '| articles | build wall | batches | coordinator peak RSS (%s MB function) | worker peak RSS (%s MB function) |\n|---:|---:|---:|---:|---:|\n' "$BUILD_MB" "$WORKER_MB"
printf '| %s | %.1f s | %.0f | %.0f MiB | %.0f MiB |\n' "$SIZE" "$(metric s/build)" "$(metric batches/build)" "$(metric coordinator-peak-MiB)" "$(metric worker-peak-MiB)"
