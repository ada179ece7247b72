#!/usr/bin/env bash
# Install the Debian packages a task needs, when missing: chromium (browser journeys),
# wrk (benchmarks), postgresql (PostgreSQL test run), postgresql-client (pg_dump and
# pg_restore for `manage.py backup`/`restore` on a machine without the server), nginx and
# redis (the two-node test, tests/twonodes). Needs root or sudo for apt-get.
set -euo pipefail

declare -A PROVIDES=(
  [chromium]="chromium:chromium fonts-dejavu-core"
  [wrk]="wrk:wrk"
  [postgresql]="initdb:postgresql"
  [postgresql-client]="pg_restore:postgresql-client"
  [nginx]="nginx:nginx"
  [redis]="redis-server:redis-server"
)

missing=()
for want in "$@"; do
  spec=${PROVIDES[$want]:?unknown dependency $want}
  binary=${spec%%:*}
  packages=${spec#*:}
  if [[ "$binary" == initdb ]]; then
    command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=($packages)
  elif [[ "$binary" == nginx ]]; then
    command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=($packages)
  else
    command -v "$binary" >/dev/null 2>&1 || missing+=($packages)
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
echo "Installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
