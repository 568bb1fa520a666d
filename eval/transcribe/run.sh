#!/usr/bin/env bash
# Speech to text side by side, in one run: ablauf (release build) and the reference engine,
# faster-whisper on the same Whisper base weights (int8 and float32, greedy), on the draft cases
# spoken by espeak-ng (make-audio.sh) and on the test fixtures; word error rate per voice and
# speed, compute per second of audio; with --drafts also drafts from the transcripts beside
# drafts from the written dictations (ablauf only). Reports go to target/eval-transcribe/.
#
# Usage: eval/transcribe/run.sh [CASES (default 6)] [--drafts]
set -euo pipefail
cd "$(dirname "$0")/../.."
cases=${1:-6}
drafts=${2:-}
out=target/eval-transcribe
audio=$out/audio
mkdir -p "$out"
cargo build --release --bin ablauf
[ -d "$audio" ] || eval/transcribe/make-audio.sh "$audio" "$cases" >&2
bin=target/release/ablauf
summary() { python3 eval/transcribe/summary.py "$1" "$2"; }
for set in "$audio" tests/fixtures/speech; do
    name=$(basename "$set")
    extra=()
    [ "$drafts" = --drafts ] && [ "$set" = "$audio" ] && extra=(--draft-cases eval/draft/cases)
    $bin eval transcribe --dir "$set" "${extra[@]}" >"$out/$name.ablauf.json"
    summary "$out/$name.ablauf.json" "$name: ablauf (candle f32)"
    for type in int8 float32; do
        eval/transcribe/peer.sh "$set" "$type" >"$out/$name.peer-$type.jsonl"
        $bin eval transcribe --dir "$set" --hypotheses "$out/$name.peer-$type.jsonl" >"$out/$name.peer-$type.json"
        summary "$out/$name.peer-$type.json" "$name: faster-whisper $type"
    done
done
