#!/usr/bin/env bash
# The test command: installs the external checkers the tests use (scripts/test-deps.sh), then
# runs every test. Arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-deps.sh
# The directory sign-in tests (tests/it/directory.rs) run against a real OpenLDAP server,
# started here for this run and stopped when it ends.
ldap_work="$PWD/target/ldap"
ABLAUF_TEST_LDAP_URL="$(tests/ldap/start.sh "$ldap_work")"
export ABLAUF_TEST_LDAP_URL
trap 'kill "$(cat "$ldap_work/slapd.pid")" 2>/dev/null || true' EXIT
cargo test --locked "$@"
