# The image for artifacts/deploy: one image with both binaries,
# /wardle-apiserver (the entrypoint) and /wardle-controller (the
# flunder-status controller; its Deployment sets command:
# ["/wardle-controller"]). One image rather than two because the two are
# built from the same commit and must agree on the API they serve and
# reconcile: one build, one tag to push and to set, and they cannot drift
# apart. The controller adds about 45 MB to the image (the server is about
# 150 MB).
# Build it where a container engine runs
# (docker build -t <registry>/wardle-apiserver .), push it, and set it in
# your overlay, which sets it in both Deployments:
#   kustomize edit set image wardle-apiserver=<registry>/wardle-apiserver:<tag>
FROM golang:1.26 AS build
WORKDIR /src
# The server's go.mod replaces the apis and pkg/generated modules with their
# directories, so their go.mod files are needed to download the dependencies.
COPY go.mod go.sum ./
COPY apis/go.mod apis/go.sum ./apis/
COPY pkg/generated/go.mod pkg/generated/go.sum ./pkg/generated/
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/ ./cmd/wardle-apiserver ./cmd/wardle-controller

FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/wardle-apiserver /wardle-apiserver
COPY --from=build /out/wardle-controller /wardle-controller
USER 65532:65532
ENTRYPOINT ["/wardle-apiserver"]
