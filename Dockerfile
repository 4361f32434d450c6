# syntax=docker/dockerfile:1
# Build and run the rolie binary. Used by docker-compose.yml.
#
# The build stage keeps the crate registry and the target directory in BuildKit cache
# mounts, so a rebuild after a source change recompiles our crates only, not the
# dependencies.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin rolie \
    && cp target/release/rolie /usr/local/bin/rolie

FROM debian:bookworm-slim
# Not root: a system user owning only the data volume.
RUN useradd --system --home-dir /var/lib/rolie --create-home rolie \
    && mkdir /var/lib/rolie/data && chown rolie:rolie /var/lib/rolie/data
COPY --from=build /usr/local/bin/rolie /usr/local/bin/rolie
USER rolie
WORKDIR /var/lib/rolie
# The embedded SQLite database and generated secrets live here (unused with PostgreSQL).
ENV ROLIE_DATA_DIR=/var/lib/rolie/data
VOLUME ["/var/lib/rolie/data"]
# Inside the container the server listens on loopback unless told otherwise; a reachable
# address needs TLS (ROLIE_TLS_CERT, ROLIE_TLS_KEY) or ROLIE_ALLOW_PLAIN_HTTP behind a
# TLS-terminating proxy, as docker-compose.yml sets.
EXPOSE 8080
# `rolie healthcheck` GETs http://127.0.0.1:8080/readyz (ROLIE_HEALTHCHECK_URL when serving
# elsewhere); the shell here is dash and there is no curl, so the binary checks itself.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["rolie", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/rolie"]
CMD ["serve"]
