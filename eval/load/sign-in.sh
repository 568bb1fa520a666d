#!/usr/bin/env bash
# Sign-in latency of the release server: local accounts (argon2id) and directory accounts
# (a bind at the test OpenLDAP server of tests/ldap, then the group search), each followed by a
# new session. Prints p50 and p99 per kind.
#
# Usage: eval/load/sign-in.sh [SIGN_INS]      (default 100 of each kind)
set -euo pipefail
count=${1:-100}
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
cargo build --release --bin ablauf
work=$(mktemp -d)
ldap_url=$(tests/ldap/start.sh "$work/ldap")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ABLAUF_BOOTSTRAP_PASSWORD=sign-in-latency-1 target/release/ablauf serve --data-dir "$work/data" \
    --addr "127.0.0.1:$port" --model qwen2.5-coder-0.5b --ldap-url "$ldap_url" \
    --ldap-user-dn 'uid={user},ou=people,dc=rathaus,dc=example' --ldap-search-base dc=rathaus,dc=example \
    --ldap-groups tests/ldap/groups.toml >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; kill "$(cat "$work/ldap/slapd.pid")" 2>/dev/null || true; rm -rf "$work"' EXIT
until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.2; done
# The model and the embedder load in the background: measure after, on an idle server.
ready='import json, sys; h = json.load(sys.stdin); sys.exit(h["llm"]["state"] != "ready" or h["similarity"]["state"] != "ready")'
until curl -sf "http://127.0.0.1:$port/health" | python3 -c "$ready"; do sleep 0.5; done

measure() {
    local name=$1 password=$2
    for _ in $(seq "$count"); do
        curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H 'content-type: application/json' \
            -d "{\"name\":\"$name\",\"password\":\"$password\"}" "http://127.0.0.1:$port/api/session"
    done | python3 -c '
import sys
rows = [line.split() for line in sys.stdin]
bad = [code for code, _ in rows if code != "200"]
if bad:
    sys.exit(f"{len(bad)} sign-ins failed: {bad[:5]}")
times = sorted(float(t) * 1000 for _, t in rows)
pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
print(f"p50 {pick(0.5):.0f} ms, p99 {pick(0.99):.0f} ms over {len(times)} sign-ins")'
}
echo "local account (argon2id): $(measure admin sign-in-latency-1)"
echo "directory account (LDAP bind + group search): $(measure anna anna-verzeichnis-1)"
