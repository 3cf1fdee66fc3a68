#!/usr/bin/env sh
# Generates the Kotlin, Swift and Python bindings of tidings-bindings from the built library.
#
#   bindings/generate.sh [OUT_DIR] [LANGUAGE...]      (default: bindings/generated, all three)
#
# Builds the library (debug, or release with PROFILE=release) and the workspace's
# `uniffi-bindgen`, then writes OUT_DIR/<language>/. Generated code is not committed.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-"$root/bindings/generated"}
[ $# -gt 0 ] && shift
languages=${*:-"kotlin swift python"}
profile=${PROFILE:-debug}

cd "$root"
if [ "$profile" = release ]; then flag=--release; else flag=; fi
# shellcheck disable=SC2086 # $flag is empty or one word
cargo build $flag -p tidings-bindings --lib
# shellcheck disable=SC2086
cargo build $flag -p tidings-bindings --features cli --bin uniffi-bindgen

target=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
case "$(uname -s)" in
  Darwin) lib="$target/$profile/libtidings_bindings.dylib" ;;
  *) lib="$target/$profile/libtidings_bindings.so" ;;
esac

for language in $languages; do
  "$target/$profile/uniffi-bindgen" generate --library "$lib" --language "$language" \
    --out-dir "$out/$language" --no-format
  # Python and Kotlin load the library at run time: put it next to the Python module.
  if [ "$language" = python ]; then cp "$lib" "$out/python/"; fi
  echo "generated $language in $out/$language"
done
