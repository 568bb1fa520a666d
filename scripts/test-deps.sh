#!/usr/bin/env bash
# Installs what the BPMN, browser and directory tests need and nothing else: xmllint, Chromium,
# Node and npm, OpenLDAP's slapd and client tools (apt, so root on a clean machine), the
# checkers' Node packages and a Python venv with xmlschema (under ~/.cache/bpmn-check), and
# playwright-core (under target/e2e-node).
# Idempotent; `.ci/run` calls it through scripts/test.sh before the tests.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/bpmn/check/setup.sh" >/dev/null
if [ ! -x /usr/sbin/slapd ] || ! command -v ldapsearch >/dev/null; then
  # Only the binaries: Debian's own slapd instance stays unconfigured and stopped.
  echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slapd ldap-utils >/dev/null
fi
"$root/tests/e2e/setup.sh" "$root/target/e2e-node" >/dev/null
echo "test dependencies ready"
