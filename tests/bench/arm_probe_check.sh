#!/bin/sh
# Cross-compiles the probe's measurement code for arm64 with a check driver and runs it under
# qemu-aarch64 (Debian: apt-get install g++-aarch64-linux-gnu qemu-user), once with qemu's
# default CPU (dotprod and i8mm: SMMLA is selected), once as a Cortex-A76 (dotprod, no i8mm:
# SDOT) and once as a Cortex-A72 (neither: FP32 only). Usage: tests/bench/arm_probe_check.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# fmt and nlohmann/json are header-only: use the host's copies, nothing else from /usr/include.
mkdir -p "$tmp/inc"
ln -s /usr/include/fmt "$tmp/inc/fmt"
ln -s /usr/include/nlohmann "$tmp/inc/nlohmann"
aarch64-linux-gnu-g++ -std=c++20 -O2 -Wall -Wextra -Werror -DFMT_HEADER_ONLY=1 \
  -I"$root/include" -I"$tmp/inc" -static -pthread \
  "$here/arm_probe_check.cpp" -o "$tmp/arm_probe_check"
status=0
for cpu in max cortex-a76 cortex-a72; do
  echo "== qemu-aarch64 -cpu $cpu"
  qemu-aarch64 -cpu "$cpu" "$tmp/arm_probe_check" || status=1
done
exit $status
