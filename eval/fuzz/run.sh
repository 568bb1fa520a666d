#!/usr/bin/env bash
# Fuzzes every target for a fixed time and writes eval/fuzz/results.md.
#
# Usage: eval/fuzz/run.sh [SECONDS_PER_TARGET]        (default 600)
#
# Environment:
#   FUZZ_TARGETS        targets to run (default: "process_json bpmn_import catalog_import")
#   FUZZ_SANITIZER      address (default) or none (faster, finds panics only)
#   FUZZ_UPDATE_CORPUS  1: merge the inputs that add coverage into eval/fuzz/corpus/ afterwards
#
# Needs only a stable toolchain: cargo-fuzz is installed if missing, and RUSTC_BOOTSTRAP=1
# lets stable rustc take the -Z flags cargo-fuzz passes. Each run works on its own corpus in
# eval/fuzz/target/corpus/<target> (kept between runs), seeded with eval/fuzz/corpus/<target>
# and eval/fuzz/regressions/<target>; crash inputs land in eval/fuzz/artifacts/<target>.
# Exits 1 if any target crashed.
set -euo pipefail

seconds=${1:-600}
targets=${FUZZ_TARGETS:-process_json bpmn_import catalog_import}
sanitizer=${FUZZ_SANITIZER:-address}
fuzz_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$fuzz_dir/../.." && pwd)
cd "$repo"
export RUSTC_BOOTSTRAP=1

# Longest input per target: processes and catalogues are small, BPMN documents larger.
max_len() {
    case $1 in
        process_json) echo 16384 ;;
        bpmn_import) echo 65536 ;;
        catalog_import) echo 8192 ;;
        *) echo 4096 ;;
    esac
}

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

fuzz=(cargo fuzz)
flags=(--fuzz-dir "$fuzz_dir" --sanitizer "$sanitizer")
"${fuzz[@]}" build "${flags[@]}"

logs="$fuzz_dir/target/logs"
mkdir -p "$logs"
rows=()
crashed=0
for t in $targets; do
    work="$fuzz_dir/target/corpus/$t"
    artifacts="$fuzz_dir/artifacts/$t"
    mkdir -p "$work" "$artifacts" "$fuzz_dir/regressions/$t"
    before=$(find "$artifacts" -type f | wc -l)
    log="$logs/$t.log"
    echo "fuzzing $t for ${seconds}s (log: $log)" >&2
    start=$(date +%s)
    status=0
    "${fuzz[@]}" run "${flags[@]}" "$t" "$work" "$fuzz_dir/corpus/$t" "$fuzz_dir/regressions/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -max_len="$(max_len "$t")" -timeout=20 \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    elapsed=$(($(date +%s) - start))
    stat() { { grep -a "^stat::$1:" "$log" || true; } | tail -1 | awk '{print $2}'; }
    execs=$(stat number_of_executed_units)
    rate=$(stat average_exec_per_sec)
    cov=$({ grep -aoE 'cov: [0-9]+' "$log" || true; } | tail -1 | awk '{print $2}')
    units=$(find "$work" -type f | wc -l)
    bytes=$(du -sk "$work" | awk '{print $1}')
    new_crashes=$(($(find "$artifacts" -type f | wc -l) - before))
    if [ "$status" -ne 0 ] || [ "$new_crashes" -gt 0 ]; then
        crashed=1
        newest=$(ls -t "$artifacts" 2>/dev/null | head -1)
        crash_note="$new_crashes (exit $status${newest:+, eval/fuzz/artifacts/$t/$newest})"
        echo "$t crashed, see $log" >&2
    else
        crash_note=0
    fi
    rows+=("| $t | $elapsed | ${execs:-?} | ${rate:-?} | ${cov:-?} | $units files, ${bytes} KiB | $(max_len "$t") | $crash_note |")
done

if [ "${FUZZ_UPDATE_CORPUS:-0}" = 1 ]; then
    for t in $targets; do
        echo "merging new coverage of $t into eval/fuzz/corpus/$t" >&2
        "${fuzz[@]}" run "${flags[@]}" "$t" "$fuzz_dir/corpus/$t" "$fuzz_dir/target/corpus/$t" -- \
            -merge=1 -max_len="$(max_len "$t")" -rss_limit_mb=2048 -timeout=20 >"$logs/$t.merge.log" 2>&1
    done
fi

{
    echo "# Fuzzing results"
    echo
    echo "Written by \`eval/fuzz/run.sh $seconds\` on $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "at commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (with local changes)');"
    echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(rustc --version),"
    echo "$(cargo fuzz --version), sanitizer: $sanitizer, release build with debug assertions."
    echo "One libFuzzer process per target, one after the other; seeds: eval/fuzz/corpus/<target>"
    echo "and eval/fuzz/regressions/<target>."
    echo
    echo "| target | seconds | executions | exec/s | coverage (edges) | corpus after the run | max_len | crashes |"
    echo "|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
} >"$fuzz_dir/results.md"
cat "$fuzz_dir/results.md"
exit "$crashed"
