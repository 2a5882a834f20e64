# backlog-sync as a container: `serve` by default, settings from a mounted file and the environment.
# Build:  docker build -t backlog-sync .
# Run:    see "Run as a service" in README.md (settings at /etc/backlog-sync/settings.toml, backlog at /backlog).
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY crates ./crates
COPY config ./config
# the built-in mappings are compiled into the binary
COPY mappings ./mappings
COPY tests ./tests
COPY examples ./examples
COPY benches ./benches
RUN cargo build --release --locked --bin backlog-sync

FROM debian:bookworm-slim
# git: `[backlog.git]` clones, pulls, commits and pushes the backlog repository (ssh for ssh remotes)
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git openssh-client \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /home/backlog --uid 10001 backlog
COPY --from=build /src/target/release/backlog-sync /usr/local/bin/backlog-sync
COPY config /etc/backlog-sync/
COPY mappings /etc/backlog-sync/mappings/
USER backlog
WORKDIR /home/backlog
# Listen on every interface inside the container (the environment wins over the settings file);
# log runs and webhooks at info.
ENV BACKLOG_SYNC__SERVER__LISTEN=0.0.0.0:8080 \
    RUST_LOG=backlog_sync=info
EXPOSE 8080
# curl is not in the slim image: the binary asks the running daemon's /healthz itself (exit 0 or 1).
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 CMD ["backlog-sync", "serve", "--probe"]
ENTRYPOINT ["backlog-sync"]
CMD ["serve", "--config", "/etc/backlog-sync/settings.toml"]
