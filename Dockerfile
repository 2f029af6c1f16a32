# syntax=docker/dockerfile:1
# GuitarOnline production image: gunicorn serving Django; the same image runs
# the Celery worker, beat and the migrate job (see docker-compose.yml).
#
#   docker build -t guitaronline .
#
# Stages: deps (the virtualenv from the locked tree, hashes checked; cached
# until requirements.txt changes) ->
# build (the code, compiled translations, collected static files) -> runtime
# (slim, no compilers or build tools, non-root).

ARG PYTHON_IMAGE=python:3.13-slim-trixie

# --- deps: pinned runtime dependencies in their own layer --------------------
FROM ${PYTHON_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install --no-compile --require-hashes -r /tmp/requirements.txt

# --- build: translations and static files --------------------------------------
FROM deps AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /app
COPY . /app
# Babel (in the locked tree) compiles the .po catalogues, as `make messages` does.
RUN /opt/venv/bin/pybabel compile --domain django --directory locale --statistics \
    && find locale -name '*.mo' | grep -q .
# The production storage (hashed names + manifest) needs production settings;
# the throwaway key only lets settings load: nothing is signed at build time.
RUN APP_ENV=production DEBUG=false SECRET_KEY=collectstatic-build-step-only ALLOWED_HOSTS=build.invalid \
    AUTH_RATE_LIMIT_BACKEND=memory AUTH_RATE_LIMIT_ALLOW_IN_MEMORY_IN_PRODUCTION=true \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 CELERY_BROKER_URL=memory:// \
    /opt/venv/bin/python manage.py collectstatic --noinput --verbosity 1 \
    && test -f staticfiles/staticfiles.json \
    && rm -rf var/* /tmp/build.sqlite3

# --- runtime ----------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="GuitarOnline" \
      org.opencontainers.image.description="Online guitar school: Django + gunicorn, Celery worker and beat"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=guitaronline.settings \
    APP_ENV=production
# PROMETHEUS_MULTIPROC_DIR is set by deploy/gunicorn.conf.py for the web
# processes only: Celery processes keep their metrics in memory.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app
COPY --from=deps /opt/venv /opt/venv
# Code stays root-owned (read-only for the app); the app writes only var/ and
# /srv/static (the migrate job copies the static files there for nginx).
COPY --from=build /app /app
RUN install -d -o app -g app /srv/static \
    && chown app:app /app/var
WORKDIR /app
USER 10001:10001
EXPOSE 8000
# Liveness of the web process: /health touches nothing but the process.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:8000/health', headers={'Host': 'localhost'}), timeout=4); sys.exit(0 if r.status == 200 else 1)"]
ENTRYPOINT ["gunicorn", "--config", "deploy/gunicorn.conf.py"]
