#!/usr/bin/env bash
# Speaks the dictations of the draft cases with espeak-ng (Debian's; a male and a female
# German voice, slow and brisk) into OUT/CASE.VOICE-SPEED.wav (16 kHz mono) beside the text
# that was spoken, for `ablauf eval transcribe --dir OUT [--draft-cases eval/draft/cases]`.
#
# Usage: eval/transcribe/make-audio.sh OUT [CASES (default 6)] [CASE_DIR (default eval/draft/cases)]
set -euo pipefail
out=$1
count=${2:-6}
cases=${3:-eval/draft/cases}
command -v espeak-ng >/dev/null && command -v sox >/dev/null || {
    echo "needs espeak-ng and sox: apt-get install espeak-ng sox" >&2
    exit 2
}
mkdir -p "$out"
for case in $(ls "$cases"/*.txt | head -n "$count"); do
    id=$(basename "$case" .txt)
    # The dictation is the second part of a case file (header --- dictation --- gold).
    text=$(python3 -c 'import sys; print(open(sys.argv[1], encoding="utf-8").read().split("\n---\n")[1].strip())' "$case")
    for voice in de de+f3; do
        for speed in 110 150; do
            name="$id.${voice/+/_}-$speed"
            espeak-ng -v "$voice" -s "$speed" -w "$out/$name.raw.wav" "$text"
            sox "$out/$name.raw.wav" -r 16000 -c 1 -b 16 "$out/$name.wav"
            rm "$out/$name.raw.wav"
            printf '%s\n' "$text" >"$out/$name.txt"
        done
    done
done
ls "$out"/*.wav | wc -l | xargs echo "recordings:"
