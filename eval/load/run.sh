#!/usr/bin/env bash
# Load test against the real server on 127.0.0.1; writes eval/load/results.md.
#
# Usage: eval/load/run.sh [SECONDS_PER_PHASE] [THREADS]      (defaults: 30, 8)
#
# Environment: LOAD_MODEL (default qwen2.5-coder-1.5b, the model users run) picks the model
# the draft phase keeps busy; LOAD_SEED processes are created first (default 500).
#
# Starts `ablauf serve` (release build) on a free port with a fresh data directory, seeds it,
# then runs three phases (client: eval/load/load.rs): reads only, the read/write mix, and the
# same mix while two clients keep the model drafting. Exits 1 on any error other than the
# intended refusals of a busy model (503/429 with Retry-After).
set -euo pipefail

seconds=${1:-30}
threads=${2:-8}
model=${LOAD_MODEL:-qwen2.5-coder-1.5b}
seed=${LOAD_SEED:-500}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"

cargo build --release --bin ablauf --example load
data=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token="abl_load_$(date +%s)"
log="$data/server.log"
ABLAUF_BOOTSTRAP_TOKEN=$token ABLAUF_BOOTSTRAP_PASSWORD=load-test-password \
    target/release/ablauf serve --data-dir "$data" --addr "127.0.0.1:$port" --model "$model" >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$data"' EXIT
until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do
    kill -0 $server 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.5
done
# The draft phase needs the model loaded, not still loading.
until grep -q "language model ready" "$log"; do sleep 1; done

status=0
rows=()
run_phase() {
    local label=$1 drafts=$2
    shift 2
    local out
    out=$(ABLAUF_LOAD_TOKEN=$token target/release/examples/load --url "http://127.0.0.1:$port" \
        --seconds "$seconds" --threads "$threads" --drafts "$drafts" --seed "$seed" --pid $server --label "$label" "$@") || status=1
    echo "$out"
    rows+=("$out")
}
run_phase "reads" 0 --read-only
run_phase "reads+writes" 0
run_phase "reads+writes, 2 drafting clients" 2

{
    echo "# Load test results"
    echo
    echo "Written by \`eval/load/run.sh $seconds $threads\` on $(date -u '+%Y-%m-%d %H:%M UTC') at commit"
    echo "$(git rev-parse --short HEAD)$(git diff --quiet HEAD 2>/dev/null || echo ' (with local changes)');"
    echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), release build,"
    echo "client and server on the same machine. $seed processes seeded; $threads client threads send"
    echo "30 % searches, 20 % reads, 15 % BPMN exports, 10 % wiki pages, 5 % stats, 10 % creates and"
    echo "10 % edits (in \"reads\" searches instead of writes); the last phase adds 2 clients that keep"
    echo "$model drafting. Latencies in ms;"
    echo "\"refused\" are the intended 503/429 answers with Retry-After of a busy model queue."
    echo
    echo "| phase | endpoint | requests | req/s | p50 | p99 | max | refused | errors |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for r in "${rows[@]}"; do printf '%s\n' "$r" | grep '^|'; done
    echo
    for r in "${rows[@]}"; do printf '%s\n' "$r" | grep '^server RSS'; done
} >"$here/results.md"
cat "$here/results.md"
exit $status
