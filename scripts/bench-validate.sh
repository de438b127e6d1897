#!/usr/bin/env bash
# Corpus benchmark for `dsguard validate`, side by side with kubernetes-validate --strict.
#
#   scripts/bench-validate.sh [N]        (N manifests, default 10000; PEER_N for the peer, default 1000)
#
# Writes N DaemonSet manifests of about 2 KB (every fifth one broken in some way) into a
# temporary directory, then reports for each tool: documents, seconds, documents per second,
# peak resident memory (GNU time), and the ratio. dsguard's peak memory is also measured on a
# tenth of the corpus, to show it does not grow with the number of files. A single small file
# end to end (process start to exit) is timed with hyperfine when it is installed.
# Then: `validate --previous DIR` of the corpus against a previous version of it (another N
# files, one image tag older), side by side with `validate` alone; and `mutate --write` over
# a copy of the corpus (and its tenth, for memory), every file rewritten in place.
# Needs: python3, /usr/bin/time; pip installs kubernetes-validate when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
PEER_N=${PEER_N:-1000}
cargo build --profile dist --quiet
BIN=$PWD/target/dist/dsguard
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

python3 - "$TMP" "$N" "$PEER_N" <<'PY'
import os, shutil, sys
tmp, n, peer_n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = os.path.join(tmp, "corpus")
for d in ("corpus", "peer", "tenth", "previous"):
    os.makedirs(os.path.join(tmp, d))
tmpl = open("examples/node-exporter.yaml").read()
for i in range(n):
    doc = tmpl.replace("name: node-exporter\n  namespace", f"name: node-exporter-{i}\n  annotations:\n    description: \"{'Prometheus node exporter for host metrics, one pod per node. ' * 10}\"\n  namespace")
    kind = i % 5
    if kind == 1:
        doc = doc.replace("app.kubernetes.io/name: node-exporter\n    spec:", "app.kubernetes.io/name: other\n    spec:")
    elif kind == 2:
        doc = doc.replace("  selector:", "  replicas: 3\n  selector:")
    elif kind == 3:
        doc = doc.replace("containerPort: 9100", 'containerPort: "9100"')
    name = f"ds-{i:05d}.yaml"
    with open(os.path.join(out, name), "w") as f:
        f.write(doc)
    with open(os.path.join(tmp, "previous", name), "w") as f:
        f.write(doc.replace("prom/node-exporter:v1.3.1", "prom/node-exporter:v1.3.0"))
    if i < peer_n:
        shutil.copy(os.path.join(out, name), os.path.join(tmp, "peer", name))
    if i < n // 10:
        shutil.copy(os.path.join(out, name), os.path.join(tmp, "tenth", name))
PY
echo "corpus: $N files, $(du -sh "$TMP/corpus" | cut -f1); peer subset: $PEER_N files"

measure() { # label docs command...
  local label=$1 docs=$2; shift 2
  local start end secs rss
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$TMP/rss" "$@" >/dev/null 2>"$TMP/err" || true
  end=$(date +%s.%N)
  secs=$(python3 -c "print(f'{$end-$start:.3f}')")
  rss=$(tail -n1 "$TMP/rss")
  python3 -c "print(f'RESULT $label docs=$docs secs=$secs docs_per_sec={$docs/($end-$start):.0f} peak_rss_kb=$rss')"
  echo "$docs $end $start" > "$TMP/last"
}
rate() { python3 -c "import sys; d,e,s=open('$TMP/last').read().split(); print(float(d)/(float(e)-float(s)))"; }

measure dsguard "$N" "$BIN" validate "$TMP/corpus"; DS=$(rate)
measure dsguard-tenth $((N / 10)) "$BIN" validate "$TMP/tenth"
measure dsguard-peer-subset "$PEER_N" "$BIN" validate "$TMP/peer"

if ! command -v kubernetes-validate >/dev/null; then
  pip install --quiet kubernetes-validate
fi
measure kubernetes-validate "$PEER_N" kubernetes-validate --strict "$TMP"/peer/*.yaml; KV=$(rate)
python3 -c "print(f'RATIO dsguard/kubernetes-validate documents per second: {$DS/$KV:.0f}x')"

if command -v hyperfine >/dev/null; then
  hyperfine --warmup 5 --runs 50 -N "$BIN validate examples/node-exporter.yaml" --export-json "$TMP/h.json" >/dev/null
  python3 -c "import json; r=json.load(open('$TMP/h.json'))['results'][0]; print(f\"RESULT one-file-end-to-end mean_ms={r['mean']*1000:.2f} min_ms={r['min']*1000:.2f} max_ms={r['max']*1000:.2f}\")"
fi

# --previous: the same N files checked as updates of N previous versions.
measure dsguard-validate "$N" "$BIN" validate "$TMP/corpus"; ALONE=$(rate)
measure dsguard-validate-previous "$N" "$BIN" validate --previous "$TMP/previous" "$TMP/corpus"; PREV=$(rate)
python3 -c "print(f'RATIO validate --previous takes {$ALONE/$PREV:.2f}x the time of validate alone')"

# mutate --write: every file fixed in place (a copy; the broken ones stay unreadable).
cp -r "$TMP/corpus" "$TMP/write"; cp -r "$TMP/tenth" "$TMP/write-tenth"
measure dsguard-mutate-write "$N" "$BIN" mutate --write "$TMP/write"
measure dsguard-mutate-write-tenth $((N / 10)) "$BIN" mutate --write "$TMP/write-tenth"
echo "mutate --write changed $(diff -rq "$TMP/corpus" "$TMP/write" | wc -l) of $N files"
