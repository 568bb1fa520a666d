#!/usr/bin/env bash
# The test command: installs the external checkers the tests use (scripts/test-deps.sh), then
# runs every test. Arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-deps.sh
cargo test --locked "$@"
