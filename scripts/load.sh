#!/usr/bin/env bash
# Load test of `dsguard serve` against the physical limit of this machine, in one run.
#
#   scripts/load.sh            # needs h2load (apt-get install nghttp2-client) and taskset
#
# Each server runs pinned to core $SERVER_CPU, h2load to core $CLIENT_CPU; runs alternate
# between the servers, $REPEAT (2) times per mode. Servers:
#   limit     ../shared/tools/limit-server (TLS + HTTP + uid echo, no policy work), if present
#   validate  dsguard serve, POST /validate
#   mutate    dsguard serve, POST /mutate
# Body: a realistic AdmissionReview, a defaulted node-exporter DaemonSet CREATE
# (tests/fixtures/admission/create-node-exporter.request.json, compacted as the API server sends it).
#
# Per server and mode it prints one line: requests/s, server CPU microseconds per request
# (utime+stime from /proc over the run / requests answered), for dsguard that CPU over the
# limit server's in the run just before (x_limit), latency mean/p50/p99/max
# (h2load's per-request log), failures, and the server's RSS after the run (VmRSS) and peak
# (VmHWM). Modes:
#   h2     HTTP/2, $H2_C connections x $H2_M streams, $N requests (saturation)
#   h1     HTTP/1.1 keep-alive, $H1_C connections, $N requests (saturation)
#   steady HTTP/2, 4 connections at $RATE requests/s each (2,000/s in all), $STEADY_N requests
# Then dsguard's idle RSS and time to ready (spawn until /readyz answers 200), $READY_RUNS runs.
# DSGUARD_BIN=path measures that dsguard binary instead of building this tree's.
#
# Requests per second swing up to 2x between runs on shared machines; compare CPU per request.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
N=${N:-100000}
STEADY_N=${STEADY_N:-20000}
RATE=${RATE:-500}
H2_C=${H2_C:-16}
H2_M=${H2_M:-8}
H1_C=${H1_C:-64}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
READY_RUNS=${READY_RUNS:-20}
LIMIT_DIR=${LIMIT_DIR:-$ROOT/../shared/tools/limit-server}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

for tool in h2load taskset curl python3; do
  command -v $tool >/dev/null || { echo "missing $tool (apt-get install nghttp2-client util-linux curl)" >&2; exit 2; }
done

if [[ -n ${DSGUARD_BIN:-} ]]; then
  DSGUARD=$DSGUARD_BIN # another build of dsguard, to compare two versions side by side
else
  cargo build --profile dist --quiet
  DSGUARD=$TARGET/dist/dsguard
fi
LIMIT=""
if [[ -f $LIMIT_DIR/Cargo.toml ]]; then
  CARGO_TARGET_DIR=$TARGET/tools cargo build --release --quiet --manifest-path "$LIMIT_DIR/Cargo.toml"
  LIMIT=$TARGET/tools/release/limit-server
else
  echo "note: $LIMIT_DIR not found; the limit server is not measured" >&2
fi

TMP=$(mktemp -d -t dsguard-load.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

"$DSGUARD" certs --out "$TMP/certs" --san localhost --san 127.0.0.1 >/dev/null 2>&1
python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1])), open(sys.argv[2],"w"), separators=(",",":"))' \
  tests/fixtures/admission/create-node-exporter.request.json "$TMP/body.json"
echo "body: $(wc -c <"$TMP/body.json") bytes; server on cpu $SERVER_CPU, h2load on cpu $CLIENT_CPU; $(nproc) cpus"

ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
mem() { awk '/^VmRSS|^VmHWM/{printf "%s=%.1fMB ", $1, $2/1024}' "/proc/$1/status" | tr -d ':'; }

wait_ready() { # url
  for _ in $(seq 1 200); do
    curl -sk -o /dev/null "$1" -d '{}' && return 0
    sleep 0.05
  done
  echo "server at $1 did not come up" >&2; exit 1
}

run() { # label pid url mode
  local label=$1 pid=$2 url=$3 mode=$4 args out log rc=0
  out=$TMP/$label-$mode.out; log=$TMP/$label-$mode.log
  args=(-t 1 -d "$TMP/body.json" -H 'content-type: application/json' --log-file="$log")
  case $mode in
    h2) args+=(-n "$N" -c "$H2_C" -m "$H2_M") ;;
    h1) args+=(-n "$N" --h1 -c "$H1_C" -m 1) ;;
    steady) args+=(-n "$STEADY_N" -c 4 -m 1 --rps="$RATE") ;;
  esac
  local t0; t0=$(ticks "$pid")
  taskset -c "$CLIENT_CPU" timeout -k 5 300 h2load "${args[@]}" "$url" >"$out" 2>&1 || rc=$?
  local t1; t1=$(ticks "$pid")
  if [[ $rc -ne 0 ]] || ! grep -q '^finished in' "$out"; then
    echo "RESULT $label $mode ERROR rc=$rc $(grep -m1 -iE 'error|fail' "$out" || true)"; return
  fi
  local ok rps
  ok=$(awk '/^status codes:/{print $3}' "$out")
  rps=$(awk '/^finished in/{print $4}' "$out")
  local failed; failed=$(awk '/^requests:/{t=$2} /^status codes:/{o=$3} END{print t-o}' "$out")
  local cpu; cpu=$(awk -v a="$t0" -v b="$t1" -v n="$ok" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.1f", (b-a)/hz*1e6/n}')
  local lat; lat=$(cut -f3 "$log" | sort -n | awk '{a[NR]=$1; s+=$1} END{
    printf "mean_ms=%.3f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f", s/NR/1000, a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000, a[NR]/1000}')
  # dsguard's CPU per request over the limit server's in the run just before it.
  local ratio=""
  if [[ $label == limit ]]; then
    LAST_LIMIT_CPU=$cpu
  elif [[ -n ${LAST_LIMIT_CPU:-} ]]; then
    ratio="x_limit=$(awk -v a="$cpu" -v b="$LAST_LIMIT_CPU" 'BEGIN{printf "%.2f", a/b}') "
  fi
  echo "RESULT $label $mode#$rep rps=$rps cpu_us_per_req=$cpu $ratio$lat ok=$ok failed=$failed $(mem "$pid")"
}

start_dsguard() {
  taskset -c "$SERVER_CPU" "$DSGUARD" serve --tls-cert "$TMP/certs/tls.crt" --tls-key "$TMP/certs/tls.key" \
    --listen 127.0.0.1:19444 --probe-listen 127.0.0.1:19080 --log-level "${LOG_LEVEL:-info}" 2>"$TMP/dsguard.log" &
  DS_PID=$!; PIDS+=($DS_PID)
  wait_ready http://127.0.0.1:19080/readyz
}

# Both servers run at once (the idle one costs nothing) and the runs alternate, so that a
# change in the machine's speed hits both alike.
start_dsguard
echo "RESULT dsguard idle $(mem "$DS_PID")"
if [[ -n $LIMIT ]]; then
  taskset -c "$SERVER_CPU" "$LIMIT" 127.0.0.1:19443 2>/dev/null &
  LIMIT_PID=$!; PIDS+=($LIMIT_PID)
  wait_ready https://127.0.0.1:19443/
fi
for mode in ${MODES:-h2 h1 steady}; do
  for rep in $(seq 1 "${REPEAT:-2}"); do
    [[ -n $LIMIT ]] && run limit "$LIMIT_PID" https://127.0.0.1:19443/validate "$mode"
    run validate "$DS_PID" https://127.0.0.1:19444/validate "$mode"
    run mutate "$DS_PID" https://127.0.0.1:19444/mutate "$mode"
  done
done
echo "log lines written: $(wc -l <"$TMP/dsguard.log")"
kill -TERM "$DS_PID"; wait "$DS_PID" || true

# Time to ready: spawn until /readyz answers 200, measured in-process by Python.
python3 - "$DSGUARD" "$TMP/certs" "$READY_RUNS" <<'PY'
import subprocess, sys, time, socket, statistics
exe, certs, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
times = []
for _ in range(runs):
    t0 = time.perf_counter()
    p = subprocess.Popen([exe, "serve", "--tls-cert", f"{certs}/tls.crt", "--tls-key", f"{certs}/tls.key",
                          "--listen", "127.0.0.1:19445", "--probe-listen", "127.0.0.1:19081"],
                         stderr=subprocess.DEVNULL)
    while True:
        try:
            with socket.create_connection(("127.0.0.1", 19081), timeout=1) as s:
                s.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    break
        except OSError:
            pass
        time.sleep(0.0005)
    times.append((time.perf_counter() - t0) * 1000)
    p.terminate(); p.wait()
print(f"RESULT dsguard ready_ms median={statistics.median(times):.1f} max={max(times):.1f} runs={runs}")
PY
