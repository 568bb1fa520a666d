#!/usr/bin/env bash
# Installs what the browser tests need; idempotent and unattended (run as root on a clean
# CI machine). Usage: setup.sh WORKDIR — WORKDIR receives node_modules, so the source tree
# stays untouched. Prints WORKDIR.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$1"
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v npm >/dev/null || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
mkdir -p "$work"
# Reinstall only when the lock file changed since the last install.
if ! cmp -s "$here/package-lock.json" "$work/package-lock.json" || [ ! -d "$work/node_modules/playwright-core" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$work/"
  (cd "$work" && npm ci --silent --no-audit --no-fund)
fi
echo "$work"
