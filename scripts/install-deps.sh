#!/bin/sh
# Install everything vigil needs to build and to run every test suite (Debian 12, as root).
# The last two lines: what the CRI-O suite's kit (../shared/crio/setup.sh) needs besides the rest, and
# the metrics tests' real node_exporter and Prometheus text parser.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	meson ninja-build pkg-config gcc libc6-dev \
	libglib2.0-dev libyajl-dev libseccomp-dev libcmocka-dev scdoc \
	bats runc busybox-static python3 jq socat util-linux procps \
	podman conmon uidmap iptables ca-certificates tmux iproute2 systemd \
	containernetworking-plugins docker-registry skopeo xz-utils \
	prometheus-node-exporter python3-prometheus-client curl locales strace >/dev/null
