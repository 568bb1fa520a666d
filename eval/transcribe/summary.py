"""One line of eval/transcribe/run.sh's table from an `ablauf eval transcribe` report."""
import json
import sys

report = json.load(open(sys.argv[1]))["transcribe"]
groups = ", ".join("{} {:.2f}".format(g["group"], g["word_error_rate"]) for g in report["by_group"])
print("{:<34} WER {:.3f} ({}); {:.3f} s per audio second".format(
    sys.argv[2], report["word_error_rate"], groups, report["compute_per_audio_second"]))
