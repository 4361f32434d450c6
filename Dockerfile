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
ENTRYPOINT ["/usr/local/bin/rolie"]
CMD ["serve"]
