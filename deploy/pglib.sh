# shellcheck shell=bash
# Helpers shared by backup.sh and restore.sh (sourced, not run).
# Connection strings are DATABASE_URL-style URLs, as the app reads them
# (postgres://USER:PASSWORD@HOST:PORT/NAME?OPTIONS); libpq takes them as is.

die() {
  printf '%s: %s\n' "${0##*/}" "$*" >&2
  exit 1
}

say() {
  printf '%s: %s\n' "${0##*/}" "$*" >&2
}

# The URL with a scheme libpq understands.
pg_uri() {
  local url=$1
  case $url in
    postgres://* | postgresql://*) printf '%s' "$url" ;;
    pgsql://* | psql://* | postgis://*) printf 'postgresql://%s' "${url#*://}" ;;
    "") die "no database URL given (set DATABASE_URL)" ;;
    *) die "not a PostgreSQL URL: ${url%%://*}://..." ;;
  esac
}

# The database name in the URL.
pg_db_name() {
  local rest=${1#*://}
  rest=${rest%%\?*}
  [[ $rest == */* ]] || die "the URL names no database"
  printf '%s' "${rest#*/}"
}

# The same server and credentials, another database.
pg_with_db() {
  local url=$1 name=$2 query="" base
  if [[ $url == *\?* ]]; then
    query="?${url#*\?}"
    url=${url%%\?*}
  fi
  base=${url%/*}
  printf '%s/%s%s' "$base" "$name" "$query"
}

# One query, unaligned, tuples only; stops at the first error.
pg_query() {
  psql -X -q -A -t -v ON_ERROR_STOP=1 --dbname="$1" -c "$2"
}

# Relations (tables, views, sequences...) outside the system schemas.
pg_relation_count() {
  pg_query "$1" "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'"
}

# "schema.table<TAB>rows" for every table, exact counts, sorted.
pg_table_counts() {
  pg_query "$1" "SELECT format('%I.%I', schemaname, tablename) || E'\t' ||
      (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', schemaname, tablename),
                                           false, true, '')))[1]::text
    FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')" | LC_ALL=C sort
}

# The same, read from a custom-format archive without any database.
archive_table_counts() {
  pg_restore --data-only --file=- "$1" | awk '
    /^COPY .* FROM stdin;$/ {
      table = $0
      sub(/^COPY /, "", table)
      sub(/ FROM stdin;$/, "", table)
      sub(/ \(.*\)$/, "", table)
      rows = 0
      copying = 1
      next
    }
    copying && $0 == "\\." { print table "\t" rows; copying = 0; next }
    copying { rows++ }
  ' | LC_ALL=C sort
}

# Check FILE against FILE.sha256 when backup.sh wrote one.
check_checksum() {
  local file=$1
  [[ -f "$file.sha256" ]] || return 0
  (cd "$(dirname "$file")" && sha256sum -c "$(basename "$file").sha256" >/dev/null) ||
    die "$file does not match its checksum ($file.sha256)"
}
