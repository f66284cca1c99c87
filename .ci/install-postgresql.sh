#!/usr/bin/env bash
# Install the PostgreSQL server binaries the workspace tests start a throwaway cluster with
# (tests/support/postgres.py: initdb + pg_ctl in a temporary folder, Unix socket only; no
# system service is used). Idempotent: does nothing when initdb is already there.
set -euo pipefail

ready() {
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1
}

if ready; then
    echo "PostgreSQL already installed: $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | head -n1)"
    exit 0
fi

. "$(dirname "$0")/apt.sh"
apt_install postgresql
ready || { echo "postgresql installed but initdb not found" >&2; exit 1; }
echo "PostgreSQL installed: $(ls -d /usr/lib/postgresql/*/bin | head -n1)"
