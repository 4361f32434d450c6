#!/usr/bin/env bash
# Runs every cargo-fuzz target briefly, starting from the committed seeds.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS (default 60) is the time given to each target (-max_total_time); with no TARGET all
# targets are run, one after the other. Exits 0 when cargo-fuzz is not installed (fuzzing is
# skipped), non-zero when a target fails to build or any target finds a crash, a timeout, an
# out-of-memory or a leak; the failing inputs are in fuzz/artifacts/<target>/.
#
# Environment:
#   FUZZ_SANITIZER   address (default) or none; passed to `cargo fuzz -s`
#   FUZZ_RSS_MB      -rss_limit_mb for libFuzzer (default 2048)
#   FUZZ_MAX_LEN     -max_len in bytes (default 1048576, the largest body worth trying)
#   FUZZ_TIMEOUT     -timeout in seconds for one input (default 30)
#   RUSTC_BOOTSTRAP  set to 1 unless already set: cargo-fuzz passes nightly-only flags
#                    (-Zsanitizer, -Cpasses=sancov-module) and the machine has stable Rust
set -euo pipefail

seconds="${1:-60}"
if [ "$#" -gt 0 ]; then
    shift
fi
case "$seconds" in
    '' | *[!0-9]*)
        echo "usage: $0 [SECONDS] [TARGET...]" >&2
        exit 2
        ;;
esac

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$fuzz_dir")"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: cargo-fuzz is not installed, fuzzing skipped (install it with: cargo install cargo-fuzz)"
    exit 0
fi

export RUSTC_BOOTSTRAP="${RUSTC_BOOTSTRAP:-1}"
sanitizer="${FUZZ_SANITIZER:-address}"
rss_mb="${FUZZ_RSS_MB:-2048}"
max_len="${FUZZ_MAX_LEN:-1048576}"
timeout="${FUZZ_TIMEOUT:-30}"

cd "$root"

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list --fuzz-dir "$fuzz_dir")
fi
if [ "${#targets[@]}" -eq 0 ]; then
    echo "fuzz: no targets found in $fuzz_dir" >&2
    exit 1
fi

echo "fuzz: building ${targets[*]} (sanitizer: $sanitizer)"
cargo fuzz build --fuzz-dir "$fuzz_dir" -s "$sanitizer"

failed=()
for target in "${targets[@]}"; do
    seeds="$fuzz_dir/seeds/$target"
    corpus="$fuzz_dir/corpus/$target"
    artifacts="$fuzz_dir/artifacts/$target"
    mkdir -p "$corpus" "$artifacts"
    if [ ! -d "$seeds" ]; then
        echo "fuzz: warning: no seeds for $target in $seeds" >&2
        seed_dirs=()
    else
        seed_dirs=("$seeds")
    fi
    before="$(ls -A "$artifacts")"
    echo "fuzz: running $target for ${seconds}s"
    # New inputs are written to the first directory only (the ignored scratch corpus); the
    # committed seeds are read, never changed.
    status=0
    cargo fuzz run --fuzz-dir "$fuzz_dir" -s "$sanitizer" "$target" "$corpus" "${seed_dirs[@]}" -- \
        -max_total_time="$seconds" \
        -rss_limit_mb="$rss_mb" \
        -max_len="$max_len" \
        -timeout="$timeout" \
        -print_final_stats=1 ||
        status=$?
    after="$(ls -A "$artifacts")"
    if [ "$status" -ne 0 ] || [ "$before" != "$after" ]; then
        failed+=("$target")
        echo "fuzz: $target FAILED (exit status $status)" >&2
        for artifact in $(comm -13 <(printf '%s\n' "$before" | sort) <(printf '%s\n' "$after" | sort)); do
            echo "fuzz: $target artifact: $artifacts/$artifact" >&2
        done
    else
        echo "fuzz: $target ok"
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: failures in: ${failed[*]} (reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz -s $sanitizer <target> <artifact>)" >&2
    exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds}s each without a failure"
