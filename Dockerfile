# The tollgate container image (the admission webhook of deploy/webhook.yaml,
# or any tollgate command): one static binary on distroless/static, running
# as the non-root user 65532, with no shell and nothing writable needed
# (run it with readOnlyRootFilesystem: true).
#
#   docker build -t tollgate .                      # compile here (static musl, Alpine)
#   docker build --build-arg BINARY_SOURCE=prebuilt -f Dockerfile CTX
#       # CTX/dist/tollgate-linux-<arch>: the release's signed binaries, as
#       # .github/workflows/release.yml builds the published image
#
# Both base images are pinned by digest.
ARG RUST_IMAGE=rust:1.91-alpine@sha256:45c1c35cd364b8055e9e86f8ecd3e8c874b2dcb658d8a4f94b5d111aa0d651a2
ARG BINARY_SOURCE=build

FROM ${RUST_IMAGE} AS build
RUN apk add --no-cache musl-dev openssl-dev openssl-libs-static perl make cmake g++
WORKDIR /src
COPY . .
RUN OPENSSL_STATIC=1 cargo build --release --locked -p tollgate \
 && install -D -m 0755 target/release/tollgate /out/tollgate

FROM scratch AS prebuilt
ARG TARGETARCH
COPY dist/tollgate-linux-${TARGETARCH} /out/tollgate

FROM ${BINARY_SOURCE} AS binary

FROM gcr.io/distroless/static-debian12:nonroot@sha256:d093aa3e30dbadd3efe1310db061a14da60299baff8450a17fe0ccc514a16639
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="tollgate" \
      org.opencontainers.image.description="Secure a Rust software supply chain from commit to deploy" \
      org.opencontainers.image.source="https://github.com/tollgate-dev/tollgate" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=binary --chmod=0755 /out/tollgate /usr/local/bin/tollgate
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/tollgate"]
CMD ["--help"]
