#!/usr/bin/env bash
# Builds the ext2/3/4 variant images of the Ext4 layer with real tools only: mkfs.ext2/3/4 -d (from a small
# Linux tree this script writes), sfdisk (MBR), mkfs -E offset= (filesystem at 1 MiB inside the disk), debugfs
# (a journal transaction that needs recovery) and qemu-img convert -O vpc (dynamic VHD).
#
#   TestImages/make-ext4.sh OUTDIR
#
# Writes, for each NAME below, OUTDIR/NAME.raw (the whole MBR disk) and OUTDIR/NAME-dynamic.vhd:
#   ext2          ext2, 1 KiB blocks, no journal
#   ext3          ext3 (has_journal, no extents)
#   ext4-1k       ext4 with 1 KiB blocks
#   ext4-inline   ext4 with inline_data (small files and directories live in the inode)
#   ext4-nocsum   ext4 without metadata_csum (older distributions)
#   ext4-recovery ext4 whose journal holds a committed, unreplayed transaction (needs_recovery set), as an
#                 image taken from a running VM looks: vhdedit must refuse to write it
# Nothing built here is committed; the tests build what they need in temporary folders.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
export E2FSPROGS_FAKE_TIME=1700000000 LC_ALL=C

OUT=${1:?usage: make-ext4.sh OUTDIR}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TREE="$OUT/tree-ext4"
rm -rf "$TREE"
mkdir -p "$TREE"/{etc/ssh,etc/sysconfig/network-scripts,boot/grub,var/lib/dhclient,root}
printf 'default 0\ntimeout 5\ntitle Linux\n\troot (hd0,0)\n\tkernel /vmlinuz ro root=/dev/sda1 rhgb quiet\n' \
    > "$TREE/boot/grub/menu.lst"
printf 'DEVICE=eth0\nBOOTPROTO=dhcp\nONBOOT=yes\n' > "$TREE/etc/sysconfig/network-scripts/ifcfg-eth0"
printf 'Defaults targetpw\nroot ALL=(ALL) ALL\n' > "$TREE/etc/sudoers"
chmod 440 "$TREE/etc/sudoers"
printf 'Provisioning.Enabled=y\nProvisioning.RegenerateSshHostKeyPair=y\nResourceDisk.EnableSwap=n\n' \
    > "$TREE/etc/waagent.conf"
printf 'lease { interface "eth0"; }\n' > "$TREE/var/lib/dhclient/dhclient-eth0.leases"
for key in rsa ecdsa ed25519; do
    printf 'PRIVATE %s\n' "$key" > "$TREE/etc/ssh/ssh_host_${key}_key"
    chmod 600 "$TREE/etc/ssh/ssh_host_${key}_key"
    printf 'ssh-%s AAAA\n' "$key" > "$TREE/etc/ssh/ssh_host_${key}_key.pub"
done
printf 'build-vm\n' > "$TREE/etc/hostname"
ln -sfn ../run/resolvconf/resolv.conf "$TREE/etc/resolv.conf"
printf 'root:x:0:0:root:/root:/bin/bash\n' > "$TREE/etc/passwd"

# disk NAME MKFS [MKFS OPTIONS...]: a 32 MiB MBR disk with the filesystem at 1 MiB.
disk() {
    local name=$1 mkfs=$2
    shift 2
    local raw="$OUT/$name.raw"
    rm -f "$raw"
    truncate -s 32M "$raw"
    echo "start=2048, type=83" | sfdisk -q "$raw"
    "$mkfs" -q -F -E offset=1048576 -U 4c1e7a3c-0000-4000-8000-00000000000a "$@" -d "$TREE" "$raw" 30M
}

disk ext2 mkfs.ext2 -b 1024
disk ext3 mkfs.ext3
disk ext4-1k mkfs.ext4 -b 1024
disk ext4-inline mkfs.ext4 -O inline_data
disk ext4-nocsum mkfs.ext4 -O ^metadata_csum
disk ext4-recovery mkfs.ext4

# Journal a copy of /etc's directory block (debugfs jo / jw / jc) so that the journal needs recovery.
part="$OUT/ext4-recovery.part"
dd if="$OUT/ext4-recovery.raw" of="$part" bs=1M skip=1 status=none
block=$(debugfs -R "bmap /etc 0" "$part" 2>/dev/null)
block_size=$(dumpe2fs -h "$part" 2>/dev/null | sed -n 's/^Block size: *//p')
dd if="$part" of="$OUT/etc-block.bin" bs="$block_size" skip="$block" count=1 status=none
printf 'jo\njw -b %s %s\njc\n' "$block" "$OUT/etc-block.bin" > "$OUT/journal.cmds"
debugfs -w -f "$OUT/journal.cmds" "$part" > /dev/null 2>&1
dumpe2fs -h "$part" 2>/dev/null | grep -q needs_recovery
dd if="$part" of="$OUT/ext4-recovery.raw" bs=1M seek=1 conv=notrunc status=none
rm -f "$part" "$OUT/etc-block.bin" "$OUT/journal.cmds"

for name in ext2 ext3 ext4-1k ext4-inline ext4-nocsum ext4-recovery; do
    qemu-img convert -O vpc -o subformat=dynamic "$OUT/$name.raw" "$OUT/$name-dynamic.vhd"
done
rm -rf "$TREE"
