#!/usr/bin/env bash
# Soak and abuse test of `dsguard serve` on loopback, bounded in time.
#
#   scripts/soak.sh                 # 10 minutes; SOAK_MINUTES=2 scripts/soak.sh for a short run
#
# Needs h2load (apt-get install nghttp2-client), Go (apt-get install golang-go; builds
# tests/go/abuse) and the usual coreutils. What it runs, all at once:
#   load      h2load over HTTP/2 at $RATE reviews/s in all ($CONNS connections), one run per
#             minute, for $SOAK_MINUTES minutes; the body is the node-exporter CREATE review
#   rotation  a new serving certificate (same CA) written every $ROTATE_SECS seconds, as the
#             kubelet updates a Secret volume (the ..data symlink swap)
#   idle      $IDLE TLS connections (HTTP/2) that send nothing
#   slowloris $SLOW HTTP/1.1 connections sending their headers one byte every 5 s
#   abusers   from minute 2: an HTTP/2 rapid-reset client (CVE-2023-44487) and a CONTINUATION
#             flood (CVE-2024-27316 class), each for 60 s
#   SIGTERM   at the end, while a last load run is in flight: the server keeps answering for
#             its --drain-delay (5 s, as manifests/ sets it: time for the Service to drop the
#             pod), so that run must see no failed review, then exits 0 within the grace
#             period without waiting for the idle and slowloris connections
# It prints one line per minute (reviews, failures, p99, RSS, open file descriptors), what the
# abusers reported, the server's metrics on connections, and a verdict.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SOAK_MINUTES=${SOAK_MINUTES:-10}
RATE=${RATE:-2000}
CONNS=${CONNS:-4}
ROTATE_SECS=${ROTATE_SECS:-30}
IDLE=${IDLE:-1000}
SLOW=${SLOW:-200}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

for tool in h2load go curl awk sort; do
  command -v $tool >/dev/null || { echo "missing $tool (apt-get install nghttp2-client golang-go curl gawk)" >&2; exit 2; }
done
ulimit -n 65536 2>/dev/null || ulimit -n 4096

cargo build --profile dist --quiet
DSGUARD=$TARGET/dist/dsguard
TMP=$(mktemp -d -t dsguard-soak.XXXXXX)
(cd tests/go/abuse && GOCACHE=$TMP/go-cache go build -o "$TMP/abuse" .)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

# The serving pair lives in a directory shaped like a Secret volume: the files point
# through ..data to a timestamped directory, swapped atomically on rotation.
"$DSGUARD" certs --out "$TMP/ca" --san localhost --san 127.0.0.1 >/dev/null 2>&1
SECRET=$TMP/secret
mkdir -p "$SECRET"
publish() { # copy the current pair into a new version directory and swap ..data
  local v; v=$SECRET/..$(date +%s%N)
  mkdir "$v"; cp "$TMP/ca/tls.crt" "$TMP/ca/tls.key" "$v/"
  ln -sfn "$(basename "$v")" "$SECRET/..data_tmp"; mv -T "$SECRET/..data_tmp" "$SECRET/..data"
}
publish
ln -sfn ..data/tls.crt "$SECRET/tls.crt"; ln -sfn ..data/tls.key "$SECRET/tls.key"

PORT=$((20000 + RANDOM % 20000)); PROBE=$((PORT + 1))
"$DSGUARD" serve --tls-cert "$SECRET/tls.crt" --tls-key "$SECRET/tls.key" \
  --listen "127.0.0.1:$PORT" --probe-listen "127.0.0.1:$PROBE" --log-level warn \
  --max-connections 4096 --drain-delay 5 --grace-period 20 2>"$TMP/serve.log" &
SERVER=$!; PIDS+=("$SERVER")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PROBE/readyz" >/dev/null && break; sleep 0.1; done

python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), separators=(",",":")))' \
  tests/fixtures/admission/create-node-exporter.request.json >"$TMP/body.json"
URL="https://127.0.0.1:$PORT/validate?timeout=10s"

rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$SERVER/status"; }
fds() { ls "/proc/$SERVER/fd" | wc -l; }

# Rotation every ROTATE_SECS: a new serving certificate from the same CA.
( while sleep "$ROTATE_SECS"; do
    "$DSGUARD" certs --out "$TMP/ca" --san localhost --san 127.0.0.1 >/dev/null 2>&1 && publish
  done ) & PIDS+=("$!")

SECS=$((SOAK_MINUTES * 60 + 30))
"$TMP/abuse" -addr "127.0.0.1:$PORT" -ca "$TMP/ca/ca.crt" -mode idle -n "$IDLE" -d "${SECS}s" >"$TMP/idle.out" & PIDS+=("$!")
"$TMP/abuse" -addr "127.0.0.1:$PORT" -ca "$TMP/ca/ca.crt" -mode slowloris -n "$SLOW" -d "${SECS}s" >"$TMP/slow.out" & PIDS+=("$!")
( sleep 120
  "$TMP/abuse" -addr "127.0.0.1:$PORT" -ca "$TMP/ca/ca.crt" -mode rapid-reset -d 60s >"$TMP/reset.out"
  "$TMP/abuse" -addr "127.0.0.1:$PORT" -ca "$TMP/ca/ca.crt" -mode continuation -d 60s >"$TMP/cont.out"
) & PIDS+=("$!")

per_conn=$((RATE / CONNS))
run_minute() { # label seconds
  h2load -t 1 -c "$CONNS" -m 1 --rps "$per_conn" -D "$2" -d "$TMP/body.json" \
    -H 'content-type: application/json' --log-file="$TMP/$1.log" "$URL" >"$TMP/$1.out" 2>&1 || true
  local total ok p99
  total=$(awk '/^requests:/{print $2}' "$TMP/$1.out")
  ok=$(awk '/^status codes:/{print $3}' "$TMP/$1.out")
  p99=$(cut -f3 "$TMP/$1.log" 2>/dev/null | sort -n | awk '{a[NR]=$1} END{i=int(NR*0.99); if(i<1)i=1; printf "%.3f", a[i]/1000}')
  echo "$1 reviews=${total:-0} failed=$(( ${total:-0} - ${ok:-0} )) p99_ms=$p99 rss_kib=$(rss_kib) fds=$(fds)"
}

echo "soak: $SOAK_MINUTES min at $RATE reviews/s over HTTP/2 ($CONNS connections); cert rotation every ${ROTATE_SECS}s; $IDLE idle + $SLOW slowloris connections; abusers from minute 2"
FAILED=0
for m in $(seq 1 "$SOAK_MINUTES"); do
  line=$(run_minute "minute$m" 60); echo "$line"
  f=$(sed -E 's/.*failed=([0-9-]+).*/\1/' <<<"$line"); FAILED=$((FAILED + f))
done

curl -s "http://127.0.0.1:$PROBE/metrics" >"$TMP/metrics.txt" || true

# SIGTERM while a last run is in flight; the run ends within the drain delay.
run_minute drain 4 >"$TMP/drain.line" & LOAD=$!
sleep 1
START=$(date +%s%N); kill -TERM "$SERVER"
rc=0; wait "$SERVER" || rc=$?
ELAPSED=$(( ($(date +%s%N) - START) / 1000000 ))
wait "$LOAD" || true
echo "sigterm: exit=$rc after ${ELAPSED} ms; in-flight run: $(cat "$TMP/drain.line")"

echo "idle: $(cat "$TMP/idle.out" 2>/dev/null || echo running)"
echo "slowloris: $(cat "$TMP/slow.out" 2>/dev/null || echo running)"
echo "rapid-reset: $(cat "$TMP/reset.out" 2>/dev/null || echo none)"
echo "continuation: $(cat "$TMP/cont.out" 2>/dev/null || echo none)"
echo "server log warnings/errors: $(grep -c -E '"level":"(WARN|ERROR)"' "$TMP/serve.log" || true)"
echo "metrics before SIGTERM:"
grep -E '^dsguard_(tls_connections_open|tls_connections_rejected_total|tls_handshake_errors_total|tls_certificate_reloads_total|admission_requests_total)' "$TMP/metrics.txt" | sed 's/^/  /' || true
DRAIN_FAILED=$(sed -E 's/.*failed=([0-9-]+).*/\1/' "$TMP/drain.line")
FAILED=$((FAILED + DRAIN_FAILED))
echo "total failed reviews during the soak (the drain run included): $FAILED"
[[ $rc -eq 0 && $FAILED -eq 0 ]] && echo "VERDICT ok" || echo "VERDICT FAILED"
