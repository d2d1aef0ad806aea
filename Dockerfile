# The meshd container image that deploy/k8s/ runs (docs/kubernetes.md):
#
#   docker build -t meshd:0.1.0 .
#
# Two Debian 12 stages. `build` installs the packages of scripts/bootstrap.sh and builds a Release
# meshd (no tests); the runtime stage gets the binary and only the shared libraries it links,
# found with ldd, and runs it as uid/gid 65532 (the DaemonSets' runAsUser). The Kubernetes
# manifests mount the config at /io.buoyant/linkerd/config.yaml, the default argument here.

FROM debian:12 AS build
ARG DEBIAN_FRONTEND=noninteractive
# bash with pipefail: a failing step inside a pipeline below must fail the build.
SHELL ["/bin/bash", "-euo", "pipefail", "-c"]
COPY scripts/bootstrap.sh /src/scripts/bootstrap.sh
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends $(bash /src/scripts/bootstrap.sh --list) \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DMESHD_BUILD_TESTS=OFF \
 && cmake --build /build -j"$(nproc)" --target meshd \
 && cmake --install /build --prefix /out --strip
# The Debian packages that hold meshd's shared libraries, by the paths ldd resolves them to
# (dpkg knows some under /lib, the usrmerge link, and some only under /usr/lib).
RUN ldd /out/bin/meshd | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' >/tmp/libs; \
    while read -r lib; do \
      dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")"; \
    done </tmp/libs | cut -d: -f1 | sort -u >/out/runtime-packages; \
    cat /out/runtime-packages

FROM debian:12
ARG DEBIAN_FRONTEND=noninteractive
COPY --from=build /out/runtime-packages /tmp/runtime-packages
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends $(cat /tmp/runtime-packages) \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages \
 && groupadd --system --gid 65532 meshd \
 && useradd --system --uid 65532 --gid 65532 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin meshd
COPY --from=build /out/bin/meshd /usr/local/bin/meshd
# Fails the build if a shared library is missing: meshd must start and check a config.
RUN printf 'routers:\n- protocol: http\n  servers: [{port: 0}]\n' | /usr/local/bin/meshd -validate -
USER 65532:65532
EXPOSE 4140 4141 9990
ENTRYPOINT ["/usr/local/bin/meshd"]
CMD ["/io.buoyant/linkerd/config.yaml"]
