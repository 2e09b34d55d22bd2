# jcform in a container: `docker build -t jcform .` then
#   docker run --rm -v "$PWD:/work" -e JC_API_KEY jcform plan config/
# Build stage: a static (musl) binary with the release profile (LTO, one codegen unit, stripped).
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev git
WORKDIR /src
COPY . .
# No .git in the build context? Pass the commit: --build-arg JCFORM_GIT_COMMIT=$(git rev-parse HEAD)
ARG JCFORM_GIT_COMMIT=
ENV JCFORM_GIT_COMMIT=${JCFORM_GIT_COMMIT}
RUN cargo build --locked --release && ./target/release/jcform --version

# Runtime stage: distroless static, no shell, CA certificates included, non-root user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/target/release/jcform /usr/local/bin/jcform
WORKDIR /work
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/jcform"]
CMD ["--help"]
