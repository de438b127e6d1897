# syntax=docker/dockerfile:1
# dsguard: multi-stage build, distroless non-root final image.
#   docker build -t ghcr.io/dsguard/dsguard:0.1.0 .
FROM rust:1.89-bookworm AS build
WORKDIR /src
# Dependencies first, so that source changes reuse the cached layer.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs \
 && echo 'fn main() {}' > benches/engine.rs \
 && cargo build --profile dist --locked --bin dsguard || true
COPY src ./src
RUN touch src/main.rs src/lib.rs \
 && cargo build --profile dist --locked --bin dsguard \
 && strip target/dist/dsguard

# glibc, CA certificates, /etc/passwd with nonroot (65532); no shell.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/dist/dsguard /usr/local/bin/dsguard
USER 65532:65532
EXPOSE 8443 8080
ENTRYPOINT ["/usr/local/bin/dsguard"]
CMD ["serve", "--tls-cert=/etc/dsguard/tls/tls.crt", "--tls-key=/etc/dsguard/tls/tls.key"]
