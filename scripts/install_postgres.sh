#!/usr/bin/env bash
# The PostgreSQL store's tests (tests/pg_cluster.py) start a throwaway cluster with Debian's
# PostgreSQL server binaries (initdb, postgres, pg_ctl under /usr/lib/postgresql/<version>/bin),
# run as the package's unprivileged `postgres` user when the tests run as root. Installs the
# package when the binaries are missing; a no-op when they are there. Without root it says
# what to install; the tests fail under CI=true when PostgreSQL is missing, and skip with
# that reason otherwise. The package's own cluster (if its post-install made one) is never
# used: each test run makes its own in a temp folder on a random port.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  # no `main` cluster on port 5432 from the package's post-install: the tests make their own
  mkdir -p /etc/postgresql-common
  [ -e /etc/postgresql-common/createcluster.conf ] || echo "create_main_cluster = false" \
    > /etc/postgresql-common/createcluster.conf
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Options::=--force-confold --no-install-recommends postgresql >/dev/null
else
  echo "PostgreSQL is missing: install Debian's postgresql package (sudo apt-get install postgresql)" >&2
fi
