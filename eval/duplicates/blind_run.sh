#!/usr/bin/env bash
# Runs what a user runs on a corpus directory and scores it:
#   eval/duplicates/blind_run.sh DIR [OUT]
# DIR holds processes/<id>.json, pairs.jsonl, catalog.jsonl, coverage.jsonl (format in
# eval/duplicates/README.md). A fresh data directory gets every process through `ablauf add`,
# then `ablauf duplicates` (default threshold) and `ablauf gaps --catalog DIR/catalog.jsonl`
# run, and eval/duplicates/score_run.py prints duplicates P/R, hard-negative pairs suggested
# and gaps P/R. OUT (default: a temporary directory) keeps the data dir and the raw answers.
# ABLAUF (default target/release/ablauf) names the binary.
set -euo pipefail
dir=${1:?usage: blind_run.sh DIR [OUT]}
here=$(cd "$(dirname "$0")" && pwd)
bin=${ABLAUF:-$here/../../target/release/ablauf}
out=${2:-$(mktemp -d)}
mkdir -p "$out"
data="$out/data"
rm -rf "$data"
: > "$out/ids.tsv"
for f in "$dir"/processes/*.json; do
  name=$(basename "$f" .json)
  id=$("$bin" --data-dir "$data" add --file "$f" --author eval --reason "blind run" 2>>"$out/stderr.log" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  printf '%s\t%s\n' "$name" "$id" >> "$out/ids.tsv"
done
start=$(date +%s.%N)
"$bin" --data-dir "$data" duplicates > "$out/duplicates.json" 2>>"$out/stderr.log"
mid=$(date +%s.%N)
"$bin" --data-dir "$data" gaps --catalog "$dir/catalog.jsonl" > "$out/gaps.json" 2>>"$out/stderr.log"
end=$(date +%s.%N)
python3 "$here/score_run.py" "$dir" "$out" \
  "$(python3 -c "print(f'{$mid-$start:.1f}')")" "$(python3 -c "print(f'{$end-$mid:.1f}')")"
