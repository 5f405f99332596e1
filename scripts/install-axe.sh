#!/bin/sh
# Install axe-core from the npm registry into .cache/axe/node_modules/axe-core for the
# accessibility tests, which serve it to the browser from this local copy (never a CDN).
# Pinned to one exact version and checked against the registry's sha512; idempotent and
# quiet: it does nothing when that version is already in place.
set -eu

AXE_VERSION=4.14.1
# npm's dist.integrity for axe-core@4.14.1, in hex.
AXE_SHA512=1477dafa598d8d065f273d6af302aa203c02e83131707b7fa648cd41bd3d6b734f8c22a0dab86ee6a6f64b8afbe804b214d36db85a2826965edfb3a0b9d546b5

cd "$(dirname "$0")/.."
dest=.cache/axe/node_modules/axe-core

if [ -f "$dest/axe.min.js" ] && grep -q "\"version\": \"$AXE_VERSION\"" "$dest/package.json" 2>/dev/null; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  # Like the other browser tools: the tests skip on a laptop and fail under CI=true.
  echo "install-axe: npm is missing, so the accessibility tests cannot run axe-core." >&2
  exit 0
fi

mkdir -p .cache/axe/node_modules
work=$(mktemp -d .cache/axe/tmp.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

tarball="$work/axe-core-$AXE_VERSION.tgz"
npm pack "axe-core@$AXE_VERSION" --pack-destination "$work" --ignore-scripts \
  --silent --no-fund --no-audit >/dev/null
if ! echo "$AXE_SHA512  $tarball" | sha512sum -c --status; then
  echo "install-axe: axe-core $AXE_VERSION from the registry does not match its pinned sha512." >&2
  exit 1
fi
mkdir "$work/axe-core"
tar -xzf "$tarball" -C "$work/axe-core" --strip-components=1 --no-same-owner
rm -rf "$dest"
mv "$work/axe-core" "$dest"
