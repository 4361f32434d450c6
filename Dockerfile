# Build and run the rolie binary. Used by docker-compose.yml.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin rolie

FROM debian:bookworm-slim
RUN useradd --system --home-dir /var/lib/rolie --create-home rolie
COPY --from=build /src/target/release/rolie /usr/local/bin/rolie
USER rolie
WORKDIR /var/lib/rolie
EXPOSE 8080
# `rolie healthcheck` GETs http://127.0.0.1:8080/readyz (ROLIE_HEALTHCHECK_URL when serving
# elsewhere); the shell here is dash and there is no curl, so the binary checks itself.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["rolie", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/rolie"]
CMD ["serve"]
