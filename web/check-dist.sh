#!/usr/bin/env bash
# Proves that web/dist (what the tidings binary embeds and serves) is exactly a fresh build of
# web/src: type-checks, builds into a scratch directory and compares every file.
# `npm ci` must have run in web/. Rebuild the committed copy with: (cd web && npm run build)
set -euo pipefail
cd "$(dirname "$0")"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
npx tsc --noEmit
npx vite build --logLevel warn --outDir "$scratch/dist" --emptyOutDir
if ! diff -r "$scratch/dist" dist >"$scratch/diff" 2>&1; then
    echo "web/dist differs from a fresh build of web/src; run (cd web && npm run build) and commit dist/:" >&2
    head -50 "$scratch/diff" >&2
    exit 1
fi
echo "web/dist equals a fresh build ($(find dist -type f | wc -l) files)"
