#!/usr/bin/env bash
# A stream generated on the fly (JSON Lines of one KVS record, repeated) fed
# through the CLI's standard input: `kvstrail stats -` must read all of it
# with memory flat. Prints the time, the throughput and the peak RSS
# (/usr/bin/time -v). Not run by meson test at full size (10 GB takes
# minutes); meson runs it with --bytes 200000000.
#
#   tests/exhaust/stream_10g.sh [--bytes N] [--cli PATH] [--max-rss-mb M]
#
# Defaults: 10 GB, build/tools/kvstrail, no RSS bound. Exits 1 when the CLI
# fails, counts a different number of records than were generated, or
# (with --max-rss-mb) its peak RSS is above the bound.
set -uo pipefail
bytes=10000000000
cli=build/tools/kvstrail
max_rss_mb=
while [ $# -gt 0 ]; do
  case $1 in
    --bytes) bytes=$2; shift 2 ;;
    --cli) cli=$2; shift 2 ;;
    --max-rss-mb) max_rss_mb=$2; shift 2 ;;
    *) echo "usage: $0 [--bytes N] [--cli PATH] [--max-rss-mb M]" >&2; exit 2 ;;
  esac
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One record per line, all the same length, so the count is bytes // length.
record='{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:alice","arn":"arn:aws:sts::123456789012:assumed-role/Ops/alice","accountId":"123456789012","accessKeyId":"ASIAEXAMPLEEXAMPLE12","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::123456789012:role/Ops","accountId":"123456789012","userName":"Ops"},"attributes":{"creationDate":"2024-05-01T10:00:00Z","mfaAuthenticated":"true"}}},"eventTime":"2024-05-01T10:05:00Z","eventSource":"kinesisvideo.amazonaws.com","eventName":"CreateStream","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.10","userAgent":"aws-cli/2.15.0","requestParameters":{"streamName":"cam-01","mediaType":"video/h264","dataRetentionInHours":24},"responseElements":{"streamARN":"arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam-01/1714557900000"},"requestID":"5d3c1b2a-0000-4000-8000-000000000001","eventID":"7f1e2d3c-0000-4000-8000-000000000002","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management"}'

generate() {
  /usr/bin/python3 - "$bytes" "$record" <<'PY'
import sys
total, rec = int(sys.argv[1]), (sys.argv[2] + '\n').encode()
count = total // len(rec)
block = rec * max(1, (1 << 20) // len(rec))
per_block = len(block) // len(rec)
out = sys.stdout.buffer
full, rest = divmod(count, per_block)
for _ in range(full):
    out.write(block)
out.write(rec * rest)
out.flush()
PY
}
reclen=$(( ${#record} + 1 ))
want=$(( bytes / reclen ))

start=$(date +%s.%N)
generate | /usr/bin/time -v "$cli" stats - >"$tmp/stats" 2>"$tmp/time"
rc=$?
end=$(date +%s.%N)

got=$(sed -n 's/^records  *//p' "$tmp/stats")
rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$tmp/time")
elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
mbps=$(awk -v n=$(( want * reclen )) -v t="$elapsed" 'BEGIN { printf "%.1f", n / 1e6 / t }')
echo "stream: $want records, $(( want * reclen )) bytes, $elapsed s, $mbps MB/s," \
     "kvstrail peak RSS ${rss_kb:-?} KiB, exit $rc"

status=0
if [ "$rc" -ne 0 ]; then
  echo "FAIL: kvstrail stats exited $rc"; cat "$tmp/time"; status=1
fi
if [ "$got" != "$want" ]; then
  echo "FAIL: kvstrail counted ${got:-nothing} records, $want generated"; status=1
fi
if [ -n "$max_rss_mb" ] && [ -n "$rss_kb" ] && [ "$rss_kb" -gt $(( max_rss_mb * 1024 )) ]; then
  echo "FAIL: peak RSS ${rss_kb} KiB above ${max_rss_mb} MiB"; status=1
fi
exit $status
