#!/usr/bin/env bash
# Installs the Debian packages vhdedit builds and tests with, when any is missing. Safe to run again.
set -euo pipefail
packages=(libext2fs-dev libblkid-dev zlib1g-dev liblzma-dev libzstd-dev zstd xz-utils cpio e2fsprogs qemu-utils fdisk gdisk libvhdi-utils sudo dosfstools strace xxd xfsprogs btrfs-progs ntfs-3g exfatprogs openssh-server
  lvm2 libselinux1-dev selinux-utils selinux-policy-default libseccomp-dev debootstrap lintian python3-jsonschema man-db
  python3-yaml)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (expected /opt/swift/usr/bin)" >&2; exit 1; }
