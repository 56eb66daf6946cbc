#!/usr/bin/env bash
# Benchmark fixtures, built with real tools (dd, truncate, sfdisk, mkfs.ext4 -d, qemu-img). Shared by compare.sh
# and the package-benchmark suite (VHDEditBenchmarks), so both measure the same kind of image.
#
# Usage:
#   fixtures.sh mixed-raw OUT SIZE_MIB        raw image of realistic mixed data: every 8 MiB stripe holds 3 MiB
#                                             random, 1 MiB text, 1 MiB written zero bytes and a 3 MiB hole
#   fixtures.sh vhd IN OUT dynamic|fixed      qemu-img convert raw -> VHD (force_size: virtual size = raw size)
#   fixtures.sh guest-tree DIR                a small CentOS-like root tree with what a generalize removes
#                                             (/etc/ssh host keys, DHCP leases, /var/lib/waagent, /var/log/azure,
#                                             root's history, agent log, resolv.conf) plus /usr files, a small
#                                             file /etc/motd and a 1 MiB file /usr/share/bench/one-mib.bin
#   fixtures.sh guest-disk OUT SIZE TREE      raw disk of SIZE (truncate syntax, e.g. 1G or 1T): an MBR (sfdisk)
#                                             with one Linux partition at 1 MiB spanning the disk, holding an
#                                             ext4 made by mkfs.ext4 -d TREE
#
# Every output is deterministic apart from the random stripes. Nothing here is committed: callers build into a
# temporary folder and remove it.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C

die() { echo "fixtures.sh: $*" >&2; exit 2; }

# mixed-raw OUT SIZE_MIB
mixed_raw() {
  local out=$1 size_mib=$2 stripe
  [ $((size_mib % 8)) -eq 0 ] || die "SIZE_MIB must be a multiple of 8 (got $size_mib)"
  rm -f "$out"
  truncate -s "${size_mib}M" "$out"
  # 1 MiB of text-like data (log lines), generated once.
  local text="$out.text" i
  for ((i = 0; i < 13000; i++)); do
    printf 'Dec  2 06:%02d:%02d host sshd[%d]: Accepted publickey for azureuser from 10.0.0.%d port %d\n' \
      $((i / 60 % 60)) $((i % 60)) $((1000 + i)) $((i % 250)) $((40000 + i))
  done >"$text"
  truncate -s 1M "$text"
  for ((stripe = 0; stripe < size_mib / 8; stripe++)); do
    local base=$((stripe * 8))
    dd if=/dev/urandom of="$out" bs=1M count=3 seek=$base conv=notrunc status=none iflag=fullblock
    dd if="$text" of="$out" bs=1M count=1 seek=$((base + 3)) conv=notrunc status=none
    dd if=/dev/zero of="$out" bs=1M count=1 seek=$((base + 4)) conv=notrunc status=none
  done
  rm -f "$text"
}

# vhd IN OUT dynamic|fixed
vhd() {
  local in=$1 out=$2 kind=$3
  case "$kind" in dynamic | fixed) ;; *) die "vhd: kind must be dynamic or fixed" ;; esac
  rm -f "$out"
  qemu-img convert -q -f raw -O vpc -o "subformat=$kind,force_size=on" "$in" "$out"
}

# guest-tree DIR
guest_tree() {
  local root=$1 i
  rm -rf "$root"
  mkdir -p "$root"/{etc/ssh,etc/sysconfig/network-scripts,etc/dhcp,root,var/lib/dhclient,var/lib/waagent,var/log/azure/Microsoft.OSTCExtensions.VMAccessForLinux,usr/bin,usr/lib/modules,usr/share/bench,home/azureuser,tmp}
  cat >"$root/etc/os-release" <<'EOF'
NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
EOF
  echo "CentOS Linux release 7.9.2009 (Core)" >"$root/etc/centos-release"
  cat >"$root/etc/waagent.conf" <<'EOF'
# Microsoft Azure Linux Agent Configuration
Provisioning.Enabled=y
Provisioning.DeleteRootPassword=y
Provisioning.RegenerateSshHostKeyPair=y
Provisioning.SshHostKeyPairType=rsa
ResourceDisk.Format=y
ResourceDisk.Filesystem=ext4
ResourceDisk.MountPoint=/mnt/resource
ResourceDisk.EnableSwap=n
Logs.Verbose=n
OS.RootDeviceScsiTimeout=300
EOF
  for key in rsa ecdsa ed25519; do
    head -c 1679 /dev/urandom | base64 >"$root/etc/ssh/ssh_host_${key}_key"
    echo "ssh-$key AAAA$(head -c 64 /dev/urandom | base64 -w0) root@bench" >"$root/etc/ssh/ssh_host_${key}_key.pub"
  done
  chmod 600 "$root"/etc/ssh/ssh_host_*_key
  printf 'Port 22\nPermitRootLogin no\nClientAliveInterval 180\n' >"$root/etc/ssh/sshd_config"
  echo "bench-vm-0042" >"$root/etc/hostname"
  printf 'NETWORKING=yes\nHOSTNAME=bench-vm-0042\n' >"$root/etc/sysconfig/network"
  printf 'DEVICE=eth0\nONBOOT=yes\nBOOTPROTO=dhcp\nTYPE=Ethernet\nDHCP_HOSTNAME=bench-vm-0042\n' \
    >"$root/etc/sysconfig/network-scripts/ifcfg-eth0"
  printf 'search example.internal\nnameserver 168.63.129.16\n' >"$root/etc/resolv.conf"
  printf 'root:x:0:0:root:/root:/bin/bash\nazureuser:x:1000:1000::/home/azureuser:/bin/bash\n' >"$root/etc/passwd"
  printf 'root:$6$saltsalt$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijkl:19000:0:99999:7:::\nazureuser:!!:19000:0:99999:7:::\n' >"$root/etc/shadow"
  chmod 000 "$root/etc/shadow"
  printf 'root:x:0:\nazureuser:x:1000:\n' >"$root/etc/group"
  printf 'UUID=0b1c2d3e-0000-4000-8000-000000000001 / ext4 defaults 0 1\n' >"$root/etc/fstab"
  echo "Welcome to the benchmark guest." >"$root/etc/motd"
  printf 'lease {\n  interface "eth0";\n  fixed-address 10.0.0.4;\n  option host-name "bench-vm-0042";\n}\n' \
    >"$root/var/lib/dhclient/dhclient-eth0.leases"
  printf '<?xml version="1.0"?>\n<Environment><UserName>azureuser</UserName></Environment>\n' \
    >"$root/var/lib/waagent/ovf-env.xml"
  for f in HostingEnvironmentConfig.xml SharedConfig.xml GoalState.1.xml Incarnation; do
    head -c 2048 /dev/urandom | base64 >"$root/var/lib/waagent/$f"
  done
  head -c 4096 /dev/urandom | base64 >"$root/var/log/azure/Microsoft.OSTCExtensions.VMAccessForLinux/extension.log"
  for ((i = 0; i < 200; i++)); do echo "2026-12-02T06:00:$((i % 60))Z INFO Daemon heartbeat $i"; done >"$root/var/log/waagent.log"
  for ((i = 0; i < 50; i++)); do echo "sudo yum -y update # $i"; done >"$root/root/.bash_history"
  echo "ls -la" >"$root/home/azureuser/.bash_history"
  # Bulk: what makes a root filesystem more than a handful of inodes.
  for ((i = 0; i < 300; i++)); do head -c $((1024 + i * 37)) /dev/urandom >"$root/usr/bin/tool$i"; done
  for ((i = 0; i < 100; i++)); do
    mkdir -p "$root/usr/lib/modules/m$i" && head -c 8192 /dev/urandom >"$root/usr/lib/modules/m$i/mod.ko"
  done
  head -c 1048576 /dev/urandom >"$root/usr/share/bench/one-mib.bin"
}

# guest-disk OUT SIZE TREE
guest_disk() {
  local out=$1 size=$2 tree=$3 bytes
  rm -f "$out"
  truncate -s "$size" "$out"
  bytes=$(stat -c %s "$out")
  echo 'label: dos
label-id: 0x5eed0001
start=2048, type=83' | sfdisk -q "$out"
  E2FSPROGS_FAKE_TIME=1700000000 mkfs.ext4 -q -F -E offset=1048576 -d "$tree" "$out" \
    "$(((bytes - 1048576) / 1024))k"
}

command=${1:-}
[ -n "$command" ] || die "usage: fixtures.sh mixed-raw|vhd|guest-tree|guest-disk ARGS (see the top of this file)"
shift
case "$command" in
  mixed-raw) [ $# -eq 2 ] || die "usage: mixed-raw OUT SIZE_MIB"; mixed_raw "$@" ;;
  vhd) [ $# -eq 3 ] || die "usage: vhd IN OUT dynamic|fixed"; vhd "$@" ;;
  guest-tree) [ $# -eq 1 ] || die "usage: guest-tree DIR"; guest_tree "$@" ;;
  guest-disk) [ $# -eq 3 ] || die "usage: guest-disk OUT SIZE TREE"; guest_disk "$@" ;;
  *) die "unknown command '$command'" ;;
esac
