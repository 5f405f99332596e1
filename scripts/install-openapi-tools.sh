#!/bin/sh
# Install the npm tools of tests/integration/test_generated_clients.py into
# .cache/openapi-tools/node_modules: openapi-typescript (TypeScript types from
# /api/v1/openapi.json), openapi-fetch (the client the usage file is typed against) and
# typescript (tsc). Exact versions and each package's sha512 are pinned in
# scripts/openapi-tools/package-lock.json, which `npm ci` enforces. Idempotent and quiet:
# it does nothing when that lock file is already installed.
set -eu

cd "$(dirname "$0")/.."
src=scripts/openapi-tools
dest=.cache/openapi-tools

if [ -x "$dest/node_modules/.bin/tsc" ] && cmp -s "$src/package-lock.json" "$dest/package-lock.json"; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  # Like the other tools: the test skips on a laptop and fails under CI=true.
  echo "install-openapi-tools: npm is missing, so the generated TypeScript client cannot be checked." >&2
  exit 0
fi

mkdir -p .cache
work=$(mktemp -d .cache/openapi-tools.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

cp "$src/package.json" "$src/package-lock.json" "$work/"
(cd "$work" && npm ci --ignore-scripts --silent --no-fund --no-audit >/dev/null)
rm -rf "$dest"
mv "$work" "$dest"
