# backlog-sync as a container: `serve` by default, settings from a mounted file and the environment.
# Build:  docker build -t backlog-sync .
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY config ./config
COPY tests ./tests
COPY examples ./examples
RUN cargo build --release --locked --bin backlog-sync

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /home/backlog --uid 10001 backlog
COPY --from=build /src/target/release/backlog-sync /usr/local/bin/backlog-sync
COPY config /etc/backlog-sync/
COPY mappings /etc/backlog-sync/mappings/
USER backlog
WORKDIR /home/backlog
ENTRYPOINT ["backlog-sync"]
CMD ["serve"]
