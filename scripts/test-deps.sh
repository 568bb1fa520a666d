#!/usr/bin/env bash
# Installs what the BPMN and browser tests need and nothing else: xmllint, Chromium, Node and
# npm (apt, so root on a clean machine), the checkers' Node packages and a Python venv with
# xmlschema (under ~/.cache/bpmn-check), and playwright-core (under target/e2e-node).
# Idempotent; `.ci/run` calls it through scripts/test.sh before the tests.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/bpmn/check/setup.sh" >/dev/null
"$root/tests/e2e/setup.sh" "$root/target/e2e-node" >/dev/null
echo "test dependencies ready"
