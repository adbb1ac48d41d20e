# Usina's image: the `usina` CLI is the entry point (serve, worker, migrate, jobs ...).
# Two stages: dependencies are built in a virtualenv, then copied into a slim runtime that
# runs as an unprivileged user with a read-only root filesystem in mind.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/usina
COPY pyproject.toml README.md requirements.lock ./
COPY core ./core
COPY tenants ./tenants
COPY plugins ./plugins
COPY graphql_schema ./graphql_schema
COPY workers ./workers
COPY usina ./usina
# The versions of the lock (make lock), then Usina itself without resolving again.
RUN /opt/usina/bin/pip install --upgrade pip \
 && /opt/usina/bin/pip install -r requirements.lock \
 && /opt/usina/bin/pip install --no-deps .
# GraphiQL's assets from the npm registry, checked against their integrity hashes, so that the
# IDE works where no CDN can be reached.
RUN /opt/usina/bin/usina ide install --dir /opt/usina/ide

FROM python:3.11-slim
LABEL org.opencontainers.image.title="usina" \
      org.opencontainers.image.description="Open Government action plans for many municipalities" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"
ENV PATH=/opt/usina/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    USINA_ENVIRONMENT=production \
    USINA_LOG_FORMAT=json \
    USINA_IDE_ASSETS_DIR=/opt/usina/ide
RUN groupadd --system --gid 10001 usina \
 && useradd --system --uid 10001 --gid usina --home-dir /nonexistent --shell /usr/sbin/nologin usina
COPY --from=build /opt/usina /opt/usina
USER 10001:10001
WORKDIR /tmp
EXPOSE 8000
ENTRYPOINT ["usina"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
