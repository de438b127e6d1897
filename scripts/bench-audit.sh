#!/usr/bin/env bash
# Time and peak memory of `dsguard audit` over 1,000, 5,000 and 10,000 DaemonSets in pages
# of 500 (5,000 = 10 pages),
# served by the test suite's fake API server (tests/integration/audit.rs, audit_benchmark).
# Prints one BENCH line per count and output format. Needs /usr/bin/time (apt-get install time).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v /usr/bin/time >/dev/null || { echo "missing /usr/bin/time (apt-get install time)" >&2; exit 2; }
cargo test --release --quiet --test integration audit_benchmark -- --ignored --nocapture 2>&1 | grep '^BENCH'
