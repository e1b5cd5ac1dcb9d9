# Build stage: the workspace in release mode.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin hunar

# Runtime stage: just the binary; TLS roots come from rustls' bundled webpki roots.
FROM debian:bookworm-slim
# /data/key: the data key's own volume (docker-compose.yml), owned like the rest; /data/backups
# is the backups' volume, which never holds the key.
RUN useradd --system --uid 10001 --home /data hunar && mkdir -p /data/media /data/key /data/backups && chown -R hunar /data && chmod 700 /data/key
COPY --from=build /src/target/release/hunar /usr/local/bin/hunar
USER hunar
WORKDIR /data
# The data key in its own volume, never beside the database or the backups (README).
ENV BIND_ADDR=0.0.0.0:8080 MEDIA_DIR=/data/media DATA_KEY_FILE=/data/key/hunar.key LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/hunar"]
