#!/usr/bin/env bash
# Back up the GuitarOnline PostgreSQL database (pg_dump custom format).
#
#   DATABASE_URL=postgres://user:password@host:5432/guitaronline deploy/backup.sh [-o FILE]
#
# Writes FILE (default: $BACKUP_DIR/guitaronline-<db>-<UTC time>.dump, with
# BACKUP_DIR defaulting to ./backups) and FILE.sha256, checks that pg_restore
# can read the archive, and prints FILE's path. With BACKUP_KEEP=N (N > 0)
# only the N newest dumps in BACKUP_DIR are kept. Restore and verify with
# deploy/restore.sh.
set -euo pipefail

# shellcheck source=SCRIPTDIR/pglib.sh
source "$(dirname "${BASH_SOURCE[0]}")/pglib.sh"

usage() {
  sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

output=""
while (($#)); do
  case $1 in
    -o | --output)
      [[ $# -ge 2 ]] || die "$1 needs a file name"
      output=$2
      shift 2
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

url=$(pg_uri "${DATABASE_URL:-}")
database=$(pg_db_name "$url")
backup_dir=${BACKUP_DIR:-backups}
if [[ -z $output ]]; then
  output="$backup_dir/guitaronline-$database-$(date -u +%Y%m%dT%H%M%SZ).dump"
fi
mkdir -p "$(dirname "$output")"

partial="$output.partial"
trap 'rm -f "$partial"' EXIT

say "dumping $database"
pg_dump --format=custom --compress=6 --no-password --dbname="$url" --file="$partial"
pg_restore --list "$partial" >/dev/null || die "the archive cannot be read back"
mv "$partial" "$output"
(cd "$(dirname "$output")" && sha256sum "$(basename "$output")" >"$(basename "$output").sha256")
say "wrote $output ($(wc -c <"$output" | tr -d ' ') bytes)"

keep=${BACKUP_KEEP:-0}
if [[ $keep =~ ^[0-9]+$ ]] && ((keep > 0)); then
  find "$backup_dir" -maxdepth 1 -type f -name "guitaronline-$database-*.dump" -printf '%T@ %p\n' |
    sort -rn | tail -n +"$((keep + 1))" | cut -d' ' -f2- |
    while IFS= read -r old; do
      say "removing old backup $old"
      rm -f -- "$old" "$old.sha256"
    done
fi

printf '%s\n' "$output"
