#!/usr/bin/env bash
# Cold start of the two Lambda functions: bootstrap sizes (arm64 as deployed,
# amd64 as tested) and init time under the AWS Lambda Runtime Interface
# Emulator (median of RUNS cold starts, amd64), as the emulator reports it in
# its "INIT REPORT(durationMs: …)" line.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-7}
export PATH="$PWD/.tools/bin:$PATH"
command -v aws-lambda-rie >/dev/null || make -s tools
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build() { # fn arch
  CGO_ENABLED=0 GOOS=linux GOARCH=$2 go build -tags lambda.norpc -trimpath -ldflags="-s -w" \
    -o "$work/$2/$1/bootstrap" "./functions/$1"
}

median() { sort -n | awk '{a[NR]=$1} END {printf "%.1f\n", (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# Configuration as in Lambda; the S3 endpoint is never reached at init.
export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_ENDPOINT_URL_S3=http://127.0.0.1:9
export FEEDPUB_ARTICLES=s3://content/articles FEEDPUB_SITE=s3://content/config/site.yaml FEEDPUB_OUT=s3://feeds/ FEEDPUB_FEEDS=s3://feeds/

printf '| function | bootstrap arm64 | bootstrap amd64 | init (median of %s, amd64, emulator) |\n|---|---|---|---|\n' "$RUNS"
for fn in build serve; do
  build "$fn" arm64
  build "$fn" amd64
  inits=()
  for i in $(seq "$RUNS"); do
    port=$(( 30000 + RANDOM % 20000 ))
    log="$work/$fn-$i.log"
    aws-lambda-rie --runtime-interface-emulator-address "127.0.0.1:$port" \
      --runtime-api-address "127.0.0.1:$((port + 1))" "$work/amd64/$fn/bootstrap" >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
    curl -s -o /dev/null -XPOST "http://127.0.0.1:$port/2015-03-31/functions/function/invocations" -d '{"probe":true}' || true
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
    inits+=("$(grep -o 'INIT REPORT(durationMs: [0-9.]*' "$log" | grep -o '[0-9.]*$' | head -1)")
  done
  size() { awk '{printf "%.1f MB", $1/1e6}' <<<"$(stat -c %s "$1")"; }
  printf '| %s | %s | %s | %s ms |\n' "$fn" "$(size "$work/arm64/$fn/bootstrap")" "$(size "$work/amd64/$fn/bootstrap")" \
    "$(printf '%s\n' "${inits[@]}" | median)"
done
