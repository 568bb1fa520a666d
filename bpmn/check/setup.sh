#!/usr/bin/env bash
# Installs what the BPMN checkers need; idempotent. Usage: setup.sh [WORKDIR]
# WORKDIR (default: a cache folder outside the source tree) receives node_modules and a Python venv,
# so this folder itself stays read-only friendly.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${1:-${BPMN_CHECK_HOME:-$HOME/.cache/bpmn-check}}"
mkdir -p "$work"
# Test binaries run in parallel and may all call this at once: one installs, the others wait.
exec 9>"$work/.setup.lock"
flock 9
need=()
command -v xmllint >/dev/null || need+=(libxml2-utils)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! cmp -s "$here/package-lock.json" "$work/package-lock.json" || [ ! -d "$work/node_modules/bpmn-js" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$work/"
  (cd "$work" && npm ci --silent --no-audit --no-fund)
fi
cp "$here/render.mjs" "$here/moddle-check.mjs" "$work/"
if [ ! -x "$work/venv/bin/python" ]; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q xmlschema
fi
echo "$work"
