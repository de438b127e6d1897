#!/usr/bin/env bash
# Fetches what the tests need besides Rust crates, into target/test-deps/ (idempotent):
#   sarif-schema.json  the SARIF 2.1.0 JSON schema, from the npm package @microsoft/jest-sarif
# kubectl must be on PATH (it is on the development and CI machines).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=target/test-deps
mkdir -p "$dest"
if [[ ! -s $dest/sarif-schema.json ]]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null 2>&1 && tar xzf microsoft-jest-sarif-*.tgz)
  cp "$tmp/package/lib/schemas/sarif-2.1.0-rtm.5.json" "$dest/sarif-schema.json"
fi
command -v kubectl >/dev/null || { echo "kubectl is not on PATH; the kubectl tests need it" >&2; exit 1; }
echo "test dependencies ready in $dest"
