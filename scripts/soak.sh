#!/usr/bin/env bash
# A long soak of the real binary on loopback: readers, pollers and writers; stops by itself.
#   scripts/soak.sh [--seconds N] [--postgres]
# The test suite runs the same soak for 15 seconds; this runs it longer, in release mode.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=180
backend=sqlite
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --postgres) backend=postgres; shift ;;
        *) echo "usage: $0 [--seconds N] [--postgres]" >&2; exit 2 ;;
    esac
done
if [ "$backend" = postgres ]; then
    export ROLIE_TEST_DATABASE_URL="${ROLIE_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
fi
ROLIE_SOAK_SECONDS="$seconds" ROLIE_SOAK_BACKEND="$backend" \
    cargo test --release -p rolie-tests --test e2e soak -- --nocapture
