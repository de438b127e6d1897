#!/usr/bin/env bash
# Fetches what the tests need besides Rust crates, into target/test-deps/ (idempotent):
#   sarif-schema.json  the SARIF 2.1.0 JSON schema, from the npm package @microsoft/jest-sarif
#   h2client           tests/go/h2client built with Go: net/http, the client the API server
#                      calls webhooks with (Debian: apt-get install golang-go)
#   venv/bin/pre-commit  the pre-commit framework (PyPI), to test .pre-commit-hooks.yaml
#                      (needs python3 with venv; Debian: apt-get install python3-venv)
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
command -v go >/dev/null || { echo "go is not on PATH; the webhook tests use Go's net/http client (apt-get install golang-go)" >&2; exit 1; }
if [[ ! -x $dest/h2client || tests/go/h2client/main.go -nt $dest/h2client ]]; then
  (cd tests/go/h2client && GOFLAGS=-mod=mod GOCACHE="${GOCACHE:-$PWD/../../../$dest/go-cache}" go build -o "../../../$dest/h2client" .)
fi
if [[ ! -x $dest/venv/bin/pre-commit ]]; then
  command -v python3 >/dev/null || { echo "python3 is not on PATH; the pre-commit test needs it (apt-get install python3-venv)" >&2; exit 1; }
  python3 -m venv "$dest/venv"
  "$dest/venv/bin/pip" install --quiet --disable-pip-version-check 'pre-commit>=3,<5'
fi
command -v kubectl >/dev/null || { echo "kubectl is not on PATH; the kubectl tests need it" >&2; exit 1; }
echo "test dependencies ready in $dest"
