#!/usr/bin/env bash
# Runs blind_run.sh on a copy of a corpus directory whose processes carry no meta.leika_key:
#   eval/duplicates/keyless_run.sh DIR [OUT]
# The blind set gives 3 of its 78 processes a LeiKa key, the development sets about half; a key
# settles a process's catalogue service before any content is compared, so the keyless copy
# measures what the content alone decides (docs/similarity.md, session 32). The gold coverage
# was judged by content and stays as it is.
set -euo pipefail
dir=${1:?usage: keyless_run.sh DIR [OUT]}
here=$(cd "$(dirname "$0")" && pwd)
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
cp -r "$dir"/. "$copy"/
python3 - "$copy/processes" <<'PY'
import json, pathlib, sys
for path in pathlib.Path(sys.argv[1]).glob("*.json"):
    process = json.loads(path.read_text(encoding="utf-8"))
    if (process.get("meta") or {}).pop("leika_key", None) is not None:
        path.write_text(json.dumps(process, ensure_ascii=False, indent=1), encoding="utf-8")
PY
"$here/blind_run.sh" "$copy" "${2:-}"
