# syntax=docker/dockerfile:1
#
# Closeloop container images: one build stage compiles every binary, and one small
# final stage per binary (the --target) copies just that binary:
#
#   docker build --target customer -t closeloop/customer:0.1.0 .
#   make images            # all seven: customer, followup, sales, service, marketing, worker, web
#
# The binaries are static (CGO_ENABLED=0: the SQLite driver is pure Go) with the
# IANA time-zone database compiled in (-tags timetzdata), so business calendars and
# ABC_SCHEDULE_TIMEZONE work on any base. The final stages use distroless
# static: no shell, no package manager, CA certificates included, and the nonroot
# user (65532) that the Helm chart's securityContext expects.

ARG GO_VERSION=1.27.3

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 \
    GOFLAGS=-buildvcs=false
# The context holds only what the build needs (see .dockerignore): the module
# and workspace files and the source they build.
COPY . .
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -tags timetzdata -ldflags="-s -w" -o /out/ \
      ./services/customer/cmd/customer \
      ./services/followup/cmd/followup \
      ./services/sales/cmd/sales \
      ./services/service/cmd/service \
      ./services/marketing/cmd/marketing \
      ./services/web/cmd/web \
      ./workflows/cmd/worker

# Each image exposes its HTTP port and its metrics port (METRICS_ADDR's default:
# the HTTP port + 1000; the chart sets metricsPort instead).
FROM gcr.io/distroless/static-debian12:nonroot AS runtime
USER 65532:65532
WORKDIR /home/nonroot
LABEL org.opencontainers.image.source="https://github.com/closeloop/closeloop"

FROM runtime AS customer
COPY --from=build /out/customer /usr/local/bin/customer
EXPOSE 8081
EXPOSE 9081
ENTRYPOINT ["/usr/local/bin/customer"]
CMD ["serve"]

FROM runtime AS followup
COPY --from=build /out/followup /usr/local/bin/followup
EXPOSE 8086
EXPOSE 9086
ENTRYPOINT ["/usr/local/bin/followup"]
CMD ["serve"]

FROM runtime AS sales
COPY --from=build /out/sales /usr/local/bin/sales
EXPOSE 8082
EXPOSE 9082
ENTRYPOINT ["/usr/local/bin/sales"]
CMD ["serve"]

FROM runtime AS service
COPY --from=build /out/service /usr/local/bin/service
EXPOSE 8083
EXPOSE 9083
ENTRYPOINT ["/usr/local/bin/service"]
CMD ["serve"]

FROM runtime AS marketing
COPY --from=build /out/marketing /usr/local/bin/marketing
EXPOSE 8084
EXPOSE 9084
ENTRYPOINT ["/usr/local/bin/marketing"]
CMD ["serve"]

FROM runtime AS worker
COPY --from=build /out/worker /usr/local/bin/worker
EXPOSE 8085
EXPOSE 9085
ENTRYPOINT ["/usr/local/bin/worker"]
CMD ["serve"]

FROM runtime AS web
COPY --from=build /out/web /usr/local/bin/web
EXPOSE 8080
EXPOSE 9080
ENTRYPOINT ["/usr/local/bin/web"]
CMD ["serve"]
