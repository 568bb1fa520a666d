#!/usr/bin/env bash
# Transcribes every *.wav in AUDIO_DIR with faster-whisper (the reference engine), on the same
# Whisper base weights ablauf uses, so its figures can stand side by side with ablauf's.
# faster-whisper is only this peer, never a dependency of ablauf: it lives in a venv under target/.
#
# Usage: eval/transcribe/peer.sh AUDIO_DIR [int8|float32] [--beam 5]
#        (default int8; --beam 5 adds a beam-search line per file after the greedy one)
#
# Output: one JSON object per file and run on stdout (see peer.py), e.g.
#   {"file": "a.wav", "text": "…", "audio_seconds": 3.1, "compute_seconds": 0.8, "beam": 1, "compute_type": "int8"}
#
# Once (idempotent): creates target/peer-venv with faster-whisper from PyPI, and assembles the
# model folder target/peer-whisper-base from the CTranslate2 files `ablauf models fetch
# whisper-base` leaves in ${ABLAUF_MODELS_DIR:-models} (relative to the working directory, as for
# ablauf): model.bin, config.json and tokenizer.json as symlinks, plus vocabulary.txt, which
# CTranslate2 needs to load the model and which is derived offline from tokenizer.json (the
# tokens in id order, then the 1501 timestamp tokens <|0.00|> … <|30.00|>; byte-identical to the
# vocabulary.txt of the upstream package, checked by its sha256 below).
set -euo pipefail

FASTER_WHISPER=1.2.1
CTRANSLATE2=4.8.5
VOCAB_SIZE=51865
VOCAB_SHA256=34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913

usage() { echo "usage: $0 AUDIO_DIR [int8|float32] [--beam 5]" >&2; exit 2; }
[ $# -ge 1 ] || usage
audio_dir=$1
shift
compute_type=int8
if [ $# -ge 1 ] && [[ $1 != -* ]]; then
    compute_type=$1
    shift
fi
case $compute_type in int8 | float32) ;; *) usage ;; esac
[ -d "$audio_dir" ] || { echo "no such directory: $audio_dir" >&2; exit 2; }

models=$(cd "${ABLAUF_MODELS_DIR:-models}" 2>/dev/null && pwd) || {
    echo "models directory ${ABLAUF_MODELS_DIR:-models} not found (set ABLAUF_MODELS_DIR)" >&2
    exit 1
}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
venv=$repo/target/peer-venv
model=$repo/target/peer-whisper-base

# The venv, rebuilt only when missing or pinned differently.
stamp="faster-whisper==$FASTER_WHISPER ctranslate2==$CTRANSLATE2"
if [ "$(cat "$venv/.peer-stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "creating $venv ($stamp)" >&2
    rm -rf "$venv"
    nice -n 19 python3 -m venv "$venv"
    # shellcheck disable=SC2086
    nice -n 19 "$venv/bin/pip" install --quiet --disable-pip-version-check $stamp >&2
    echo "$stamp" >"$venv/.peer-stamp"
fi

# The model folder faster-whisper loads.
for f in whisper-base-ct2.bin whisper-base-ct2-config.json whisper-base-tokenizer.json; do
    [ -f "$models/$f" ] || { echo "missing $models/$f: run \`ablauf models fetch whisper-base\`" >&2; exit 1; }
done
mkdir -p "$model"
ln -sfn "$models/whisper-base-ct2.bin" "$model/model.bin"
ln -sfn "$models/whisper-base-ct2-config.json" "$model/config.json"
ln -sfn "$models/whisper-base-tokenizer.json" "$model/tokenizer.json"
if [ ! -f "$model/vocabulary.txt" ] || ! echo "$VOCAB_SHA256  $model/vocabulary.txt" | sha256sum -c --status - 2>/dev/null; then
    "$venv/bin/python" - "$model/tokenizer.json" "$model/vocabulary.txt.tmp" "$VOCAB_SIZE" <<'EOF'
import json, sys
tokenizer, out, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
tok = json.load(open(tokenizer, encoding="utf-8"))
ids = dict(tok["model"]["vocab"])
ids.update({a["content"]: a["id"] for a in tok.get("added_tokens", [])})
assert sorted(ids.values()) == list(range(len(ids))), "token ids are not contiguous"
tokens = [t for t, _ in sorted(ids.items(), key=lambda kv: kv[1])]
# CTranslate2's Whisper converter appends the timestamp tokens up to the model's vocabulary size.
tokens += ["<|%.2f|>" % (i * 0.02) for i in range(size - len(tokens))]
with open(out, "w", encoding="utf-8", newline="\n") as f:
    f.write("\n".join(tokens) + "\n")
EOF
    echo "$VOCAB_SHA256  $model/vocabulary.txt.tmp" | sha256sum -c --status - ||
        { echo "derived vocabulary.txt differs from the expected one" >&2; exit 1; }
    mv "$model/vocabulary.txt.tmp" "$model/vocabulary.txt"
fi

shopt -s nullglob
wavs=("$audio_dir"/*.wav)
[ ${#wavs[@]} -gt 0 ] || { echo "no *.wav in $audio_dir" >&2; exit 1; }
export HF_HUB_OFFLINE=1
exec "$venv/bin/python" "$here/peer.py" --model "$model" --compute-type "$compute_type" --threads 2 "$@" "${wavs[@]}"
