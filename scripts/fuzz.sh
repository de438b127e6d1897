#!/usr/bin/env bash
# Coverage-guided fuzzing of the two readers of untrusted input, one target after the other:
#   review    any bytes as an AdmissionReview body, through /validate and /mutate
#   manifest  any bytes as a manifest file, through the reader, validate and mutate
#
#   scripts/fuzz.sh                  # 600 s per target
#   FUZZ_SECONDS=60 scripts/fuzz.sh  # shorter
#   scripts/fuzz.sh review           # one target
#
# Needs the nightly toolchain and cargo-fuzz (rustup toolchain install nightly;
# cargo install cargo-fuzz). Starts from tests/fuzz-corpus/<target> (checked in) and writes
# what it finds to fuzz/corpus/<target> (ignored by git); `cargo fuzz cmin` then
# copying back keeps the corpus small. A crash leaves its input in fuzz/artifacts/<target>/:
# add it to tests/fuzz-corpus/<target>/ and a regression test in tests/integration/props.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${FUZZ_SECONDS:-600}
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(review manifest)
command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz is missing: cargo install cargo-fuzz" >&2; exit 2; }
for t in "${TARGETS[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  echo "== $t: ${SECONDS_PER_TARGET}s" >&2
  cargo +nightly fuzz run "$t" "fuzz/corpus/$t" "tests/fuzz-corpus/$t" -- \
    -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 -max_len=65536 -timeout=10
done
