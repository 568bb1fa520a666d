#!/usr/bin/env python3
"""Transcribes WAV files with faster-whisper, to set ablauf's speech figures side by side.

faster-whisper (CTranslate2) is only the peer for these figures, never a dependency of ablauf:
run it through eval/transcribe/peer.sh, which builds its venv and model folder under target/.

Per file: German (`language="de"`), task transcribe, greedy (beam 1, best_of 1, temperature 0),
no timestamps, no conditioning on previous text, no VAD. The model is loaded once before the loop;
the audio is decoded to 16-kHz mono by faster-whisper's own decoder before the clock starts, so
`compute_seconds` is transcription only (including consuming the segment generator). With
`--beam 5` each file is transcribed a second time with beam search of width 5.

Prints one JSON object per line on stdout:
{"file", "text", "audio_seconds", "compute_seconds", "beam", "compute_type"}.
"""

import argparse
import json
import os
import sys
import time

from faster_whisper import WhisperModel, decode_audio

RATE = 16000


def transcribe(model, audio, beam):
    started = time.perf_counter()
    segments, _info = model.transcribe(
        audio,
        language="de",
        task="transcribe",
        beam_size=beam,
        best_of=1,
        temperature=0.0,
        without_timestamps=True,
        condition_on_previous_text=False,
        vad_filter=False,
    )
    text = "".join(segment.text for segment in segments).strip()
    return text, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="faster-whisper model folder")
    parser.add_argument("--compute-type", default="int8", choices=["int8", "float32"])
    parser.add_argument("--beam", type=int, choices=[5], help="also run beam search of width 5")
    parser.add_argument("--threads", type=int, default=2, help="CTranslate2 cpu_threads")
    parser.add_argument("wavs", nargs="+")
    args = parser.parse_args()

    model = WhisperModel(
        args.model, device="cpu", compute_type=args.compute_type, cpu_threads=args.threads
    )
    beams = [1] + ([args.beam] if args.beam else [])
    for path in args.wavs:
        audio = decode_audio(path, sampling_rate=RATE)
        for beam in beams:
            text, seconds = transcribe(model, audio, beam)
            record = {
                "file": os.path.basename(path),
                "text": text,
                "audio_seconds": round(len(audio) / RATE, 3),
                "compute_seconds": round(seconds, 3),
                "beam": beam,
                "compute_type": args.compute_type,
            }
            print(json.dumps(record, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
