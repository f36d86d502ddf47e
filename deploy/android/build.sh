#!/usr/bin/env bash
# Builds the handheld's Android app with buildozer: `bash deploy/android/build.sh [debug|release]`.
# buildozer packs only what is under source.dir, so the handheld package and main.py are copied into
# app/ first. Needs buildozer and its Android toolchain (docs/handheld.md, "On a device").
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rm -rf "$here/app"
mkdir -p "$here/app"
cp -r "$here/../../handheld" "$here/app/handheld"
cp "$here/main.py" "$here/app/main.py"
find "$here/app" -name __pycache__ -prune -exec rm -rf {} +
cd "$here"
buildozer android "${1:-debug}"
