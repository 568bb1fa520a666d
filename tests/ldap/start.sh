#!/usr/bin/env bash
# Starts a throwaway OpenLDAP server (Debian's slapd) with the test directory (directory.ldif)
# on a free port of 127.0.0.1 and prints its URL. Usage: start.sh WORKDIR; stop it with
# `kill "$(cat WORKDIR/slapd.pid)"`. The admin of the directory is
# cn=admin,dc=rathaus,dc=example with the password "verzeichnis-admin".
set -euo pipefail
export PATH="$PATH:/usr/sbin"
here="$(cd "$(dirname "$0")" && pwd)"
work="$1"
if [ -f "$work/slapd.pid" ]; then kill "$(cat "$work/slapd.pid")" 2>/dev/null || true; fi
rm -rf "$work" && mkdir -p "$work/db"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cat > "$work/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $work/slapd.pid
database mdb
maxsize 10485760
suffix "dc=rathaus,dc=example"
rootdn "cn=admin,dc=rathaus,dc=example"
rootpw verzeichnis-admin
directory $work/db
# Passwords are for binding, never for reading; everything else may be read by signed-in users.
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none
CONF
slapadd -q -f "$work/slapd.conf" -l "$here/directory.ldif"
slapd -f "$work/slapd.conf" -h "ldap://127.0.0.1:$port/"
for _ in $(seq 1 50); do
  if ldapsearch -x -H "ldap://127.0.0.1:$port/" -D cn=admin,dc=rathaus,dc=example -w verzeichnis-admin \
      -b dc=rathaus,dc=example -s base >/dev/null 2>&1; then
    echo "ldap://127.0.0.1:$port"
    exit 0
  fi
  sleep 0.1
done
echo "slapd did not answer on port $port" >&2
exit 1
