#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster: initialised in a temporary
# folder, listening on 127.0.0.1 only on a free port, owned by an unprivileged user
# (PostgreSQL refuses to run as root), removed afterwards. DATABASE_URL is exported.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/install-system-deps.sh" postgresql

bindir=$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
run_as=()
pg_user=$(id -un)
if [[ $(id -u) -eq 0 ]]; then
  pg_user=cmtest
  id -u "$pg_user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$pg_user"
  run_as=(runuser -u "$pg_user" --)
fi

datadir=$(mktemp -d /tmp/cloudmentor-pg.XXXXXX)
chown "$pg_user" "$datadir"
chmod 700 "$datadir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cleanup() {
  "${run_as[@]}" "$bindir/pg_ctl" -D "$datadir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$datadir"
}
trap cleanup EXIT INT TERM

"${run_as[@]}" "$bindir/initdb" -D "$datadir/data" -U cloudmentor --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${run_as[@]}" "$bindir/pg_ctl" -D "$datadir/data" -l "$datadir/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $datadir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null

export DATABASE_URL="postgres://cloudmentor@127.0.0.1:$port/cloudmentor"
echo "PostgreSQL throwaway cluster on 127.0.0.1:$port"
"$@"
