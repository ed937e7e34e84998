#!/usr/bin/env bash
# sign-rebuild.sh — ask a feedpub server to rebuild the site now.
#
#   FEEDPUB_REBUILD_SECRET=... infra/sign-rebuild.sh [--dry-run] URL [BODY]
#
# URL is the server's base URL (the script appends /rebuild); BODY defaults to
# {}. The request carries
#
#   X-Feedpub-Timestamp: <unix seconds>
#   X-Feedpub-Signature: sha256=<hex HMAC-SHA256(secret, timestamp "." body)>
#
# and is good for 5 minutes, once: run the script again rather than resending
# a request. It prints the HTTP status (202: the rebuild started) and exits 0
# only on 2xx. --dry-run prints the curl command instead of running it.
#
# Needs bash, openssl and curl (Debian: apt-get install openssl curl). The
# secret is passed to openssl as an argument, so other users of this machine
# could see it in the process list while openssl runs.
set -euo pipefail

usage() {
	echo "usage: FEEDPUB_REBUILD_SECRET=... $0 [--dry-run] URL [BODY]" >&2
	exit 2
}

dry_run=false
if [[ ${1:-} == --dry-run ]]; then
	dry_run=true
	shift
fi
[[ $# -eq 1 || $# -eq 2 ]] || usage
url=$1
body=${2-'{}'}
secret=${FEEDPUB_REBUILD_SECRET:-}
if [[ -z $secret ]]; then
	echo "$0: FEEDPUB_REBUILD_SECRET is not set" >&2
	exit 2
fi
for tool in openssl curl; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool not found: install openssl curl" >&2
		exit 2
	}
done
while [[ $url == */ ]]; do url=${url%/}; done

ts=$(date +%s)
# printf '%s': the signed bytes are exactly "$ts.$body", no trailing newline.
sig=$(printf '%s' "$ts.$body" | openssl dgst -sha256 -hmac "$secret" | awk '{print $NF}')
[[ $sig =~ ^[0-9a-f]{64}$ ]] || {
	echo "$0: openssl gave no HMAC-SHA256" >&2
	exit 1
}

# CloudFront signs what it forwards to the function URL (origin access
# control) and needs the body's SHA-256 from the client for a POST.
body_sha=$(printf '%s' "$body" | openssl dgst -sha256 | awk '{print $NF}')

# The body goes through stdin (@-): curl would read a body starting with @
# as a file name.
cmd=(curl -sS -X POST -o /dev/null -w '%{http_code}\n'
	-H "X-Feedpub-Timestamp: $ts"
	-H "X-Feedpub-Signature: sha256=$sig"
	-H "x-amz-content-sha256: $body_sha"
	-H "Content-Type: application/json"
	--data-binary @- "$url/rebuild")

if $dry_run; then
	printf 'printf %%s %q | %s\n' "$body" "$(printf '%q ' "${cmd[@]}")"
	exit 0
fi

status=$(printf '%s' "$body" | "${cmd[@]}")
echo "$status"
[[ $status == 2?? ]]
