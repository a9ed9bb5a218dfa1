# The wardle-apiserver image for artifacts/deploy. Build it where a
# container engine runs (docker build -t <registry>/wardle-apiserver .),
# push it, and set it in your overlay:
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
RUN CGO_ENABLED=0 go build -trimpath -o /out/wardle-apiserver ./cmd/wardle-apiserver

FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/wardle-apiserver /wardle-apiserver
USER 65532:65532
ENTRYPOINT ["/wardle-apiserver"]
