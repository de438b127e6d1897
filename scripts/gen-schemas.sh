#!/usr/bin/env bash
# Regenerates the strict DaemonSet schemas dsguard embeds, one per Kubernetes version it
# supports (`--kubernetes-version`), from k8s-openapi through tools/schema-gen.
#
#   scripts/gen-schemas.sh           rewrite src/policy/daemonset.schema.json (the latest
#                                    version, whole) and src/policy/schemas/1.NN.patch.json
#                                    (each older version, as a JSON Patch against the latest)
#   scripts/gen-schemas.sh --check   regenerate into a temporary directory and fail if any
#                                    file differs from the embedded ones (or one is missing
#                                    or left over)
#
# Slow: k8s-openapi describes one Kubernetes version per build, so this builds
# tools/schema-gen once per version (30 to 50 s each on two cores, about 4 minutes in all
# the first time; seconds after that, the builds cached in target/schema-gen). That is why `cargo test` does not run it: the
# tests check the latest schema against k8s-openapi `latest` (embedded_schema_is_current)
# and that every embedded version applies and compiles; this script checks that the older
# versions are what k8s-openapi describes. Run it after bumping k8s-openapi or adding a
# version (then add the version to VERSIONS below, to tools/schema-gen/Cargo.toml and to
# src/policy/schema_versions.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

# Supported versions, oldest first; the last is `latest`. Which k8s-openapi release
# describes each is in tools/schema-gen/Cargo.toml ([features]).
VERSIONS=(1.30 1.31 1.32 1.33 1.34 1.35 1.36 1.37)

check=false
case "${1:-}" in
  "") ;;
  --check) check=true ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

target="${CARGO_TARGET_DIR:-$PWD/target}/schema-gen"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/full" "$tmp/out/schemas"

gen() {
  cargo run --quiet --locked --manifest-path tools/schema-gen/Cargo.toml \
    --target-dir "$target" "$@"
}

start=$SECONDS
for v in "${VERSIONS[@]}"; do
  echo "gen-schemas: Kubernetes $v" >&2
  gen --features "v${v/./_}" -- schema >"$tmp/full/$v.json"
done

latest="${VERSIONS[-1]}"
cp "$tmp/full/$latest.json" "$tmp/out/daemonset.schema.json"
for v in "${VERSIONS[@]}"; do
  [[ $v == "$latest" ]] && continue
  gen -- delta "$tmp/full/$latest.json" "$tmp/full/$v.json" >"$tmp/out/schemas/$v.patch.json"
done

embedded=src/policy
if $check; then
  status=0
  diff -u "$embedded/daemonset.schema.json" "$tmp/out/daemonset.schema.json" || status=1
  diff -ru "$embedded/schemas" "$tmp/out/schemas" || status=1
  if ((status)); then
    echo "gen-schemas: the embedded schemas differ from what k8s-openapi describes; run scripts/gen-schemas.sh" >&2
    exit 1
  fi
  echo "gen-schemas: the embedded schemas of ${VERSIONS[*]} are current ($((SECONDS - start)) s)" >&2
else
  cp "$tmp/out/daemonset.schema.json" "$embedded/daemonset.schema.json"
  rm -rf "$embedded/schemas"
  cp -r "$tmp/out/schemas" "$embedded/schemas"
  echo "gen-schemas: wrote $embedded/daemonset.schema.json (Kubernetes $latest) and $embedded/schemas/ ($((SECONDS - start)) s)" >&2
fi
