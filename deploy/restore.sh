#!/usr/bin/env bash
# Restore a GuitarOnline backup (made by deploy/backup.sh), or verify one.
#
#   deploy/restore.sh FILE
#       Restore FILE into RESTORE_DATABASE_URL (default: DATABASE_URL). The
#       target database must exist and be EMPTY (no tables, views or
#       sequences): a non-empty one is refused. All or nothing (one transaction).
#
#   deploy/restore.sh --verify [--compare-with source|archive] [--keep] FILE
#       Restore FILE into a new scratch database on DATABASE_URL's server,
#       compare the row count of every table with DATABASE_URL's database
#       (source, the default; use it right after the backup) or with the
#       archive itself (archive: for a database that has changed since), and
#       drop the scratch database (unless --keep). Needs CREATEDB.
#
# Exits non-zero on any error, refusal or row count mismatch.
set -euo pipefail

# shellcheck source=SCRIPTDIR/pglib.sh
source "$(dirname "${BASH_SOURCE[0]}")/pglib.sh"

usage() {
  sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

verify=false
keep=false
compare_with=source
file=""
while (($#)); do
  case $1 in
    --verify)
      verify=true
      shift
      ;;
    --keep)
      keep=true
      shift
      ;;
    --compare-with)
      [[ $# -ge 2 ]] || die "--compare-with needs source or archive"
      compare_with=$2
      shift 2
      ;;
    --compare-with=*)
      compare_with=${1#*=}
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    -*) die "unknown option: $1 (see --help)" ;;
    *)
      [[ -z $file ]] || die "one backup file only"
      file=$1
      shift
      ;;
  esac
done
[[ -n $file ]] || die "which backup file? (see --help)"
[[ -f $file ]] || die "no such file: $file"
[[ $compare_with == source || $compare_with == archive ]] || die "--compare-with takes source or archive"
check_checksum "$file"
pg_restore --list "$file" >/dev/null || die "$file is not a readable pg_dump custom-format archive"

# Restore FILE into the (empty) database at URL.
restore_into() {
  local url=$1 name relations
  name=$(pg_db_name "$url")
  relations=$(pg_relation_count "$url") || die "cannot connect to database $name"
  if ((relations > 0)); then
    die "database $name is not empty ($relations relations): restore only into an empty database"
  fi
  say "restoring $file into $name"
  pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --no-password \
    --dbname="$url" "$file"
  pg_query "$url" "SET client_min_messages = error; ANALYZE" >/dev/null  # fresh statistics for the planner
}

if ! $verify; then
  restore_into "$(pg_uri "${RESTORE_DATABASE_URL:-${DATABASE_URL:-}}")"
  say "restore finished"
  exit 0
fi

source_url=$(pg_uri "${DATABASE_URL:-}")
source_db=$(pg_db_name "$source_url")
scratch="${source_db:0:40}_verify_$(date -u +%Y%m%d%H%M%S)_$$"
scratch_url=$(pg_with_db "$source_url" "$scratch")

drop_scratch() {
  if ! $keep; then
    pg_query "$source_url" "DROP DATABASE IF EXISTS \"$scratch\" WITH (FORCE)" >/dev/null ||
      say "could not drop the scratch database $scratch: drop it by hand"
  fi
}
pg_query "$source_url" "CREATE DATABASE \"$scratch\"" >/dev/null || die "cannot create the scratch database $scratch"
trap drop_scratch EXIT

restore_into "$scratch_url"

restored=$(pg_table_counts "$scratch_url")
if [[ $compare_with == source ]]; then
  expected=$(pg_table_counts "$source_url")
  label="database $source_db"
else
  expected=$(archive_table_counts "$file")
  label="archive $file"
fi

if [[ "$restored" != "$expected" ]]; then
  say "MISMATCH between the restored copy and $label (table, rows in $label | restored):"
  join -t $'\t' -a 1 -a 2 -e '(none)' -o 0,1.2,2.2 <(printf '%s\n' "$expected") <(printf '%s\n' "$restored") |
    awk -F '\t' '$2 != $3 { printf "  %s: %s | %s\n", $1, $2, $3 }' >&2
  exit 1
fi

tables=$(printf '%s\n' "$restored" | grep -c . || true)
rows=$(printf '%s\n' "$restored" | awk -F '\t' '{ total += $2 } END { print total + 0 }')
say "verified: $tables tables, $rows rows, identical to $label"
if $keep; then
  say "scratch database kept: $scratch"
fi
