#!/usr/bin/env bash
# Builds the ImagePrep test images with real tools only: mkfs.ext4 -d (from trees this script writes),
# sfdisk / sgdisk (partition tables), dd (partition into disk), qemu-img convert -O vpc (dynamic and fixed VHD).
#
#   TestImages/make.sh OUTDIR [NAME...]      NAME: centos6 ubuntu1204 ubuntu1804 sles11 broken (default: all)
#
# For every NAME it writes OUTDIR/NAME.raw (the whole disk), OUTDIR/NAME-dynamic.vhd, OUTDIR/NAME-fixed.vhd and
# OUTDIR/NAME.uuid (the root filesystem's UUID). "broken" writes a few images that must fail to open.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
export E2FSPROGS_FAKE_TIME=1700000000 LC_ALL=C

OUT=${1:?usage: make.sh OUTDIR [NAME...]}
shift
NAMES=("$@")
[ ${#NAMES[@]} -gt 0 ] || NAMES=(centos6 ubuntu1204 ubuntu1804 sles11 broken)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

DISK_MIB=24            # whole disk; the root partition starts at 1 MiB and fills the rest
ROOT=""                # the tree being written

# put GUESTPATH MODE [UID:GID] < CONTENT   -- writes a file into the tree
put() {
    local path="$ROOT$1" mode=$2 owner=${3:-0:0}
    mkdir -p "$(dirname "$path")"
    cat > "$path"
    chmod "$mode" "$path"
    chown "$owner" "$path"
}
# link GUESTPATH TARGET
link() { mkdir -p "$(dirname "$ROOT$1")"; ln -sfn "$2" "$ROOT$1"; }
# dir GUESTPATH [MODE] [UID:GID]
dir() { mkdir -p "$ROOT$1"; chmod "${2:-755}" "$ROOT$1"; chown "${3:-0:0}" "$ROOT$1"; }
# elf GUESTPATH MACHINE  -- a 64-byte ELF64 little-endian header (MACHINE: \x3e x86_64, \xb7 aarch64)
elf() {
    mkdir -p "$(dirname "$ROOT$1")"
    { printf '\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00'
      printf "\\x02\\x00$2\\x00\\x01\\x00\\x00\\x00"
      head -c 40 /dev/zero; } > "$ROOT$1"
    chmod 755 "$ROOT$1"
}
history() {  # a shell history over 1 KiB
    local i
    for i in $(seq 1 60); do echo "sudo yum -y install package-$i && echo step $i"; done
}

# Common base: the directories every Linux root has.
base() {
    ROOT="$OUT/tree-$1"
    rm -rf "$ROOT"
    mkdir -p "$ROOT"
    for d in bin boot dev etc home lib mnt opt proc root run sbin srv sys tmp usr/bin usr/sbin var/log var/tmp \
        var/cache var/spool/mail var/lib; do dir "/$d"; done
    chmod 700 "$ROOT/root"
    chmod 1777 "$ROOT/tmp" "$ROOT/var/tmp"
    put /etc/passwd 644 <<'X'
root:x:0:0:root:/root:/bin/bash
bin:x:1:1:bin:/bin:/sbin/nologin
daemon:x:2:2:daemon:/sbin:/sbin/nologin
sshd:x:74:74:Privilege-separated SSH:/var/empty/sshd:/sbin/nologin
azureuser:x:1000:1000::/home/azureuser:/bin/bash
builder:x:1001:1001::/home/builder:/bin/bash
X
    put /etc/group 644 <<'X'
root:x:0:
bin:x:1:bin,daemon
wheel:x:10:azureuser
sshd:x:74:
azureuser:x:1000:
builder:x:1001:
X
    put /etc/gshadow 000 <<'X'
root:::
bin:::bin,daemon
wheel:::azureuser
sshd:!::
azureuser:!::
builder:!::
X
    put /etc/shadow 000 <<'X'
root:$6$Vx8yQe0r$KqGJ7w3bB7x8d3N2v5b1M0aWq9XyZ1c2D3e4F5g6H7i8J9k0L1m2N3o4P5q6R7s8T9u0V1w2X3y4Z5a6B7c8D9:19000:0:99999:7:::
bin:*:17834:0:99999:7:::
daemon:*:17834:0:99999:7:::
sshd:!!:19000::::::
azureuser:$6$aB3dE5gH$Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe9Dc8Ba7Zy6Xw5Vu4Ts3Rq2Po1Nm0Lk9Ji8Hg7Fe6Dc5Ba4:19000:0:99999:7:::
builder:!!:19000:0:99999:7:::
X
    history | put /root/.bash_history 600
    history | put /home/azureuser/.bash_history 600 1000:1000
    echo 'ls -la' | put /home/builder/.bash_history 600 1001:1001
    echo '# .bashrc' | put /home/azureuser/.bashrc 644 1000:1000
    chown 1000:1000 "$ROOT/home/azureuser"; chmod 700 "$ROOT/home/azureuser"
    chown 1001:1001 "$ROOT/home/builder"; chmod 700 "$ROOT/home/builder"
    echo 'From MAILER-DAEMON' | put /var/spool/mail/azureuser 660 1000:12
    put /etc/ssh/sshd_config 600 <<'X'
#	$OpenBSD: sshd_config,v 1.80 2008/07/02 02:24:18 djm Exp $
Protocol 2
SyslogFacility AUTHPRIV
PasswordAuthentication yes
ChallengeResponseAuthentication no
UsePAM yes
X11Forwarding yes
#ClientAliveInterval 0
#ClientAliveCountMax 3
Subsystem	sftp	/usr/libexec/openssh/sftp-server
X
    for t in rsa dsa; do
        echo "-----BEGIN $t PRIVATE KEY----- build-vm key -----END-----" | put /etc/ssh/ssh_host_${t}_key 600
        echo "ssh-$t AAAAB3Nza build-vm" | put /etc/ssh/ssh_host_${t}_key.pub 644
    done
    put /var/lib/waagent/ovf-env.xml 600 <<'X'
<?xml version="1.0" encoding="utf-8"?>
<Environment xmlns="http://schemas.dmtf.org/ovf/environment/1" xmlns:wa="http://schemas.microsoft.com/windowsazure">
  <wa:ProvisioningSection><wa:Version>1.0</wa:Version>
    <LinuxProvisioningConfigurationSet xmlns="http://schemas.microsoft.com/windowsazure">
      <ConfigurationSetType>LinuxProvisioningConfiguration</ConfigurationSetType>
      <HostName>build-vm</HostName>
      <UserName>azureuser</UserName>
      <DisableSshPasswordAuthentication>false</DisableSshPasswordAuthentication>
    </LinuxProvisioningConfigurationSet>
  </wa:ProvisioningSection>
</Environment>
X
    echo | put /var/lib/waagent/provisioned 644
    echo 'CERT' | put /var/lib/waagent/Certificates.pem 600
    echo '<GoalState/>' | put /var/lib/waagent/GoalState.1.xml 644
    echo '2024/01/01 agent started' | put /var/log/waagent.log 644
    echo 'handler log' | put /var/log/azure/Microsoft.OSTCExtensions.VMAccessForLinux/extension.log 644
    echo 'Jan  1 boot' | put /var/log/messages 600
    echo 'scratch' | put /tmp/build-scratch.txt 644
    echo 'azureuser ALL=(ALL) ALL' | put /etc/sudoers.d/waagent 440
    elf /usr/bin/openssl '\x3e'
    printf 'blacklist floppy\ninstall cramfs /bin/true\n' | put /etc/modprobe.d/blacklist.conf 644
}

# sysv INITDIR RCDIR NAME...: init scripts in INITDIR with S links in RCDIR (RHEL 6: /etc/rc.d/init.d and
# /etc/rc.d/rc3.d; SUSE: /etc/init.d and /etc/init.d/rc3.d)
sysv() {
    local initdir=$1 rcdir=$2; shift 2
    local n
    for n in "$@"; do
        printf '#!/bin/sh\n# %s\n' "$n" | put "$initdir/$n" 755
        link "$rcdir/S50$n" "$initdir/$n"
    done
}
# units NAME...: systemd units in /lib/systemd/system, enabled by multi-user.target.wants links
units() {
    local n
    for n in "$@"; do
        printf '[Service]\nExecStart=/usr/sbin/%s\n' "$n" | put "/lib/systemd/system/$n.service" 644
        link "/etc/systemd/system/multi-user.target.wants/$n.service" "/lib/systemd/system/$n.service"
    done
}

# WALinuxAgent files: the script and its version module under PYLIB.
agent() {  # agent PYLIB VERSION
    printf '#!/usr/bin/env python\nimport azurelinuxagent.agent as agent\nagent.main()\n' | put /usr/sbin/waagent 755
    printf "AGENT_NAME = \"WALinuxAgent\"\nAGENT_VERSION = '%s'\nAGENT_DESCRIPTION = \"\"\n" "$2" \
        | put "$1/azurelinuxagent/common/version.py" 644
}

waagent_conf() {  # waagent_conf REGEN_KEYS RESOURCE_FORMAT AUTOUPDATE
    put /etc/waagent.conf 644 <<X
#
# Microsoft Azure Linux Agent Configuration
#

# Enable instance creation
Provisioning.Enabled=y

# Rely on cloud-init to provision
Provisioning.UseCloudInit=n

# Password authentication for root account will be unavailable.
Provisioning.DeleteRootPassword=y

# Generate fresh host key pair.
Provisioning.RegenerateSshHostKeyPair=$1

# Supported values are "rsa", "dsa", "ecdsa" and "ed25519".
Provisioning.SshHostKeyPairType=rsa

# Monitor host name changes and publish changes via DHCP requests.
Provisioning.MonitorHostName=y

# Format if unformatted. If 'n', resource disk will not be mounted.
ResourceDisk.Format=$2

# File system on the resource disk
ResourceDisk.Filesystem=ext4

# Mount point for the resource disk
ResourceDisk.MountPoint=/mnt/resource

# Create and use swapfile on resource disk.
ResourceDisk.EnableSwap=n

# Size of the swapfile.
ResourceDisk.SwapSizeMB=0

# Enable verbose logging (y|n)
Logs.Verbose=n

# Enable automatic agent updates
AutoUpdate.Enabled=$3
X
}

# Partitions the disk at $OUT/$1.raw with one Linux partition at 1 MiB (MBR with sfdisk, or GPT with sgdisk),
# makes the ext4 root from the tree, writes it in, and wraps the disk as dynamic and fixed VHDs.
finish() {  # finish NAME UUID mbr|gpt
    local name=$1 uuid=$2 table=$3 raw="$OUT/$1.raw" fs="$OUT/$1.fs"
    rm -f "$raw" "$fs" "$OUT/$name-dynamic.vhd" "$OUT/$name-fixed.vhd"
    truncate -s ${DISK_MIB}M "$raw"
    if [ "$table" = gpt ]; then
        sgdisk -U 0cb52881-4f28-44c3-8720-d668b802eaff -n 1:2048:0 -t 1:8300 -c 1:rootfs -u 1:6b1e2c5a-2f0e-4f5c-9a43-0d1f7c1e7a11 "$raw" >/dev/null
        local last=$(( DISK_MIB * 2048 - 34 ))   # sgdisk keeps the backup table in the last 33 sectors
        local sectors=$(( last - 2048 ))
    else
        echo 'label: dos
label-id: 0x5eed1e55
start=2048, type=83, bootable' | sfdisk -q "$raw" >/dev/null
        local sectors=$(( DISK_MIB * 2048 - 2048 ))
    fi
    sectors=$(( sectors / 8 * 8 ))
    truncate -s $(( sectors * 512 )) "$fs"
    mkfs.ext4 -q -F -b 4096 -N 512 -U "$uuid" -E hash_seed=0a4a2f4e-7c1c-4a44-9b7e-4c2b0c2f4d10,lazy_itable_init=0 \
        -L "${name}root" -d "$ROOT" "$fs" >/dev/null
    dd if="$fs" of="$raw" bs=1M seek=1 conv=notrunc,sparse status=none
    rm -f "$fs"
    qemu-img convert -q -f raw -O vpc "$raw" "$OUT/$name-dynamic.vhd"
    qemu-img convert -q -f raw -O vpc -o subformat=fixed "$raw" "$OUT/$name-fixed.vhd"
    echo "$uuid" > "$OUT/$name.uuid"
}

centos6() {
    base centos6
    local uuid=3f0c8e4a-5b2d-4e1f-9c6a-1d2e3f405162
    echo 'CentOS release 6.10 (Final)' | put /etc/centos-release 644
    echo 'CentOS release 6.10 (Final)' | put /etc/redhat-release 644
    elf /sbin/init '\x3e'
    put /boot/grub/grub.conf 600 <<X
# grub.conf generated by anaconda
default=0
timeout=5
splashimage=(hd0,0)/boot/grub/splash.xpm.gz
hiddenmenu
title CentOS 6 (2.6.32-754.35.1.el6.x86_64)
	root (hd0,0)
	kernel /boot/vmlinuz-2.6.32-754.35.1.el6.x86_64 ro root=UUID=$uuid rd_NO_LUKS LANG=en_US.UTF-8 rd_NO_MD SYSFONT=latarcyrheb-sun16 crashkernel=auto rd_NO_LVM KEYBOARDTYPE=pc KEYTABLE=us rd_NO_DM rhgb quiet
	initrd /boot/initramfs-2.6.32-754.35.1.el6.x86_64.img
X
    link /boot/grub/menu.lst ./grub.conf
    link /etc/grub.conf ../boot/grub/grub.conf
    echo kernel | put /boot/vmlinuz-2.6.32-754.35.1.el6.x86_64 755
    # A real initramfs (dracut layout: cpio newc, gzip) with the Hyper-V drivers, for check's boot.initramfs-hv.
    local ird; ird=$(mktemp -d)
    mkdir -p "$ird/lib/modules/2.6.32-754.35.1.el6.x86_64/kernel/drivers/hv" "$ird/lib/modules/2.6.32-754.35.1.el6.x86_64/kernel/drivers/scsi" "$ird/lib/modules/2.6.32-754.35.1.el6.x86_64/kernel/drivers/net/hyperv"
    echo m > "$ird/lib/modules/2.6.32-754.35.1.el6.x86_64/kernel/drivers/hv/hv_vmbus.ko"
    echo m > "$ird/lib/modules/2.6.32-754.35.1.el6.x86_64/kernel/drivers/scsi/hv_storvsc.ko"
    echo m > "$ird/lib/modules/2.6.32-754.35.1.el6.x86_64/kernel/drivers/net/hyperv/hv_netvsc.ko"
    (cd "$ird" && find . | sort | cpio -o -H newc --quiet | gzip -n) | put /boot/initramfs-2.6.32-754.35.1.el6.x86_64.img 600
    rm -rf "$ird"
    printf 'NETWORKING=yes\nHOSTNAME=build-vm.example.com\n' | put /etc/sysconfig/network 644
    put /etc/sysconfig/network-scripts/ifcfg-eth0 644 <<'X'
DEVICE=eth0
HWADDR=00:15:5D:01:02:03
TYPE=Ethernet
UUID=8a3b7a1e-1d2c-4b1a-9c3e-5f6a7b8c9d0e
ONBOOT=no
NM_CONTROLLED=yes
BOOTPROTO=dhcp
DHCP_HOSTNAME=build-vm
X
    printf 'DEVICE=lo\nIPADDR=127.0.0.1\nNETMASK=255.0.0.0\nONBOOT=yes\nNAME=loopback\n' \
        | put /etc/sysconfig/network-scripts/ifcfg-lo 644
    put /etc/sudoers 440 <<'X'
## Sudoers allows particular users to run various commands as
## the root user, without needing the root password.
Defaults    requiretty
Defaults    env_reset
Defaults targetpw   # ask for the password of the target user i.e. root
root	ALL=(ALL) 	ALL
%wheel	ALL=(ALL)	ALL
#includedir /etc/sudoers.d
X
    waagent_conf y n n
    agent /usr/lib/python2.6/site-packages 2.2.45
    elf /usr/bin/python2.6 '\x3e'
    sysv /etc/rc.d/init.d /etc/rc.d/rc3.d sshd waagent
    put /etc/udev/rules.d/70-persistent-net.rules 644 <<'X'
# This file was automatically generated by the /lib/udev/write_net_rules
# PCI device 0x1af4:0x1000 (virtio-pci)
SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="00:15:5d:01:02:03", ATTR{type}=="1", KERNEL=="eth*", NAME="eth0"
X
    printf 'search example.com\nnameserver 10.0.0.2\n' | put /etc/resolv.conf 644
    echo 'lease { interface "eth0"; fixed-address 10.0.0.4; }' | put /var/lib/dhclient/dhclient-eth0.leases 644
    echo 'ddd3d1d6e3b84b6e8e7c7a6b5c4d3e2f' | put /var/lib/dbus/machine-id 644
    echo 'cached rpm' | put /var/cache/yum/x86_64/6/base/packages/bash-4.1.rpm 644
    put /etc/fstab 644 <<X
UUID=$uuid /                       ext4    defaults        1 1
tmpfs                   /dev/shm                tmpfs   defaults        0 0
devpts                  /dev/pts                devpts  gid=5,mode=620  0 0
sysfs                   /sys                    sysfs   defaults        0 0
proc                    /proc                   proc    defaults        0 0
X
    finish centos6 $uuid mbr
}

ubuntu_common() {  # ubuntu_common NAME UUID
    printf 'ubuntu-build\n' | put /etc/hostname 644
    printf '127.0.0.1 localhost\n127.0.1.1 ubuntu-build\n' | put /etc/hosts 644
    put /etc/default/grub 644 <<'X'
# If you change this file, run 'update-grub' afterwards to update
# /boot/grub/grub.cfg.
GRUB_DEFAULT=0
GRUB_TIMEOUT=10
GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`
GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"
GRUB_CMDLINE_LINUX=""
X
    put /boot/grub/grub.cfg 444 <<X
#
# DO NOT EDIT THIS FILE
#
set timeout=10
menuentry 'Ubuntu' --class ubuntu --class gnu-linux --class gnu --class os {
	insmod ext2
	search --no-floppy --fs-uuid --set=root $2
	linux	/boot/vmlinuz-generic root=UUID=$2 ro  quiet splash \$vt_handoff
	initrd	/boot/initrd.img-generic
}
submenu 'Advanced options for Ubuntu' {
	menuentry 'Ubuntu, recovery mode' {
		linux	/boot/vmlinuz-generic root=UUID=$2 ro recovery nomodeset
		initrd	/boot/initrd.img-generic
	}
}
X
    put /etc/sudoers 440 <<'X'
Defaults	env_reset
Defaults	secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
root	ALL=(ALL:ALL) ALL
%sudo	ALL=(ALL:ALL) ALL
#includedir /etc/sudoers.d
X
    echo 'lease { interface "eth0"; fixed-address 10.0.0.5; }' | put /var/lib/dhcp/dhclient.eth0.leases 644
    put /etc/dhcp/dhclient.conf 644 <<'X'
# Configuration file for /sbin/dhclient.
option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;
send host-name = gethostname();
request subnet-mask, broadcast-address, time-offset, routers;
X
    put /etc/udev/rules.d/70-persistent-net.rules 644 <<'X'
SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="00:15:5d:0a:0b:0c", KERNEL=="eth*", NAME="eth0"
X
    put /etc/fstab 644 <<X
# <file system> <mount point>   <type>  <options>       <dump>  <pass>
UUID=$2 /               ext4    errors=remount-ro 0       1
X
    echo 'cached deb' | put /var/cache/apt/archives/bash_4.4_amd64.deb 644
}

ubuntu1204() {
    base ubuntu1204
    local uuid=5a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9
    printf 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=12.04\nDISTRIB_CODENAME=precise\nDISTRIB_DESCRIPTION="Ubuntu 12.04.5 LTS"\n' \
        | put /etc/lsb-release 644
    echo 'wheezy/sid' | put /etc/debian_version 644
    elf /sbin/init '\x3e'
    ubuntu_common ubuntu1204 $uuid
    printf 'auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet dhcp\n' | put /etc/network/interfaces 644
    link /etc/resolv.conf ../run/resolvconf/resolv.conf
    echo 'nameserver 10.0.0.2' | put /etc/resolvconf/resolv.conf.d/original 644
    echo 'search build.internal' | put /etc/resolvconf/resolv.conf.d/tail 644
    echo '# resolvconf head' | put /etc/resolvconf/resolv.conf.d/head 644
    # NetworkManager is installed on this one (a desktop-style image).
    elf /usr/sbin/NetworkManager '\x3e'
    printf '[main]\nplugins=ifupdown,keyfile\n' | put /etc/NetworkManager/NetworkManager.conf 644
    waagent_conf n n y
    agent /usr/lib/python2.7/dist-packages 2.2.10
    elf /usr/bin/python2.7 '\x3e'
    printf 'start on runlevel [2345]\nexec /usr/sbin/sshd -D\n' | put /etc/init/ssh.conf 644
    printf 'start on runlevel [2345]\nexec /usr/sbin/waagent -daemon\n' | put /etc/init/walinuxagent.conf 644
    finish ubuntu1204 $uuid mbr
}

ubuntu1804() {
    base ubuntu1804
    local uuid=7c8d9eaf-0b1c-4d2e-8f3a-4b5c6d7e8f90
    put /etc/os-release 644 <<'X'
NAME="Ubuntu"
VERSION="18.04.6 LTS (Bionic Beaver)"
ID=ubuntu
ID_LIKE=debian
PRETTY_NAME="Ubuntu 18.04.6 LTS"
VERSION_ID="18.04"
VERSION_CODENAME=bionic
UBUNTU_CODENAME=bionic
X
    printf 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=18.04\n' | put /etc/lsb-release 644
    echo 'buster/sid' | put /etc/debian_version 644
    elf /lib/systemd/systemd '\x3e'
    link /sbin/init /lib/systemd/systemd
    ubuntu_common ubuntu1804 $uuid
    put /etc/netplan/50-cloud-init.yaml 644 <<'X'
# This file is generated from information provided by the datasource.
network:
    ethernets:
        eth0:
            dhcp4: true
            match:
                macaddress: 00:15:5d:0a:0b:0c
            set-name: eth0
    version: 2
X
    link /etc/resolv.conf ../run/systemd/resolve/stub-resolv.conf
    echo '0f1e2d3c4b5a69788796a5b4c3d2e1f0' | put /etc/machine-id 444
    link /var/lib/dbus/machine-id /etc/machine-id
    for t in rsa ecdsa ed25519; do
        echo "-----BEGIN OPENSSH PRIVATE KEY----- $t -----END-----" | put /etc/ssh/ssh_host_${t}_key 600
        echo "ssh-$t AAAA build" | put /etc/ssh/ssh_host_${t}_key.pub 644
    done
    # cloud-init: installed, with the state of the build VM's instance
    printf '#!/usr/bin/python3\nfrom cloudinit.cmd.main import main\nmain()\n' | put /usr/bin/cloud-init 755
    printf '__VERSION__ = "20.1"\n' | put /usr/lib/python3/dist-packages/cloudinit/version.py 644
    printf 'datasource_list: [ Azure ]\n' | put /etc/cloud/cloud.cfg.d/90_dpkg.cfg 644
    printf 'users:\n - default\n' | put /etc/cloud/cloud.cfg 644
    echo '{"v1": {}}' | put /var/lib/cloud/instances/iid-buildvm/obj.pkl 600
    echo 'iid-buildvm' | put /var/lib/cloud/data/instance-id 644
    echo 'done' | put /var/lib/cloud/instances/iid-buildvm/sem/config_ssh 644
    link /var/lib/cloud/instance /var/lib/cloud/instances/iid-buildvm
    echo 'meta' | put /var/lib/cloud/seed/nocloud/meta-data 644
    echo 'ci log' | put /var/log/cloud-init.log 644
    echo 'ci out' | put /var/log/cloud-init-output.log 644
    echo 'ubuntu ALL=(ALL) NOPASSWD:ALL' | put /etc/sudoers.d/90-cloud-init-users 440
    put /etc/waagent.conf 644 <<'X'
# Microsoft Azure Linux Agent Configuration (Ubuntu)
Provisioning.Enabled=n
Provisioning.UseCloudInit=y
Provisioning.DeleteRootPassword=y
Provisioning.RegenerateSshHostKeyPair=n
Provisioning.SshHostKeyPairType=rsa
ResourceDisk.Format=n
ResourceDisk.EnableSwap=y
ResourceDisk.SwapSizeMB=2048
AutoUpdate.Enabled=y
X
    agent /usr/lib/python3/dist-packages 2.2.45
    elf /usr/bin/python3.6 '\x3e'
    units ssh walinuxagent cloud-init
    echo 'DNSStubListener=yes' | put /etc/systemd/resolved.conf 644
    dir /lib/modules/4.15.0-1049-azure
    finish ubuntu1804 $uuid gpt
}

sles11() {
    base sles11
    local uuid=9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a
    printf 'SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 4\n' | put /etc/SuSE-release 644
    elf /sbin/init '\x3e'
    echo 'sles-build.example.com' | put /etc/HOSTNAME 644
    echo kernel | put /boot/vmlinuz-3.0.101-108.98-default 644
    dir /lib/modules/3.0.101-108.98-default
    put /boot/grub/menu.lst 600 <<X
# Modified by YaST2. Last modification on Mon Jan  1 00:00:00 UTC 2024
default 0
timeout 8
gfxmenu (hd0,0)/boot/message
title SUSE Linux Enterprise Server 11 SP4 - 3.0.101-108.98
    root (hd0,0)
    kernel /boot/vmlinuz-3.0.101-108.98-default root=UUID=$uuid resume=/dev/sda2 splash=silent crashkernel=256M-:128M showopts vga=0x314
    initrd /boot/initrd-3.0.101-108.98-default
title Failsafe -- SUSE Linux Enterprise Server 11 SP4 - 3.0.101-108.98
    root (hd0,0)
    kernel /boot/vmlinuz-3.0.101-108.98-default root=UUID=$uuid showopts ide=nodma apm=off noresume edd=off powersaved=off nohz=off highres=off processor.max_cstate=1 nomodeset x11failsafe vga=0x314
    initrd /boot/initrd-3.0.101-108.98-default
X
    put /etc/sysconfig/network/dhcp 644 <<'X'
## Type:        yesno
## Default:     yes
#
# Should the DHCP client set the hostname?
DHCLIENT_SET_HOSTNAME="yes"
DHCLIENT_HOSTNAME_OPTION="AUTO"
X
    put /etc/sysconfig/network/ifcfg-eth0 644 <<'X'
BOOTPROTO='dhcp'
STARTMODE='auto'
USERCONTROL='no'
LLADDR='00:15:5d:11:22:33'
X
    put /etc/sudoers 440 <<'X'
# sudoers file.
Defaults always_set_home
Defaults env_reset
Defaults targetpw   # ask for the password of the target user i.e. root
ALL	ALL=(ALL) ALL   # WARNING! Only use this together with 'Defaults targetpw'!
root ALL=(ALL) ALL
X
    waagent_conf y y y
    agent /usr/lib/python2.6/site-packages 2.2.49
    elf /usr/bin/python2.6 '\x3e'
    sysv /etc/init.d /etc/init.d/rc3.d sshd waagent
    printf 'nameserver 10.0.0.2\n' | put /etc/resolv.conf 644
    echo 'lease' | put /var/lib/dhcpcd/dhcpcd-eth0.info 644
    put /etc/udev/rules.d/70-persistent-net.rules 644 <<'X'
SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="00:15:5d:11:22:33", KERNEL=="eth*", NAME="eth0"
X
    echo 'cached' | put /var/cache/zypp/packages/SLES11/bash.rpm 644
    put /etc/fstab 644 <<X
UUID=$uuid /                    ext3       acl,user_xattr        1 1
/dev/sda2            swap                 swap       defaults              0 0
proc                 /proc                proc       defaults              0 0
X
    finish sles11 $uuid mbr
}

broken() {
    # not an image at all
    head -c 100000 /dev/urandom > "$OUT/broken-garbage.vhd"
    # a dynamic VHD cut in the middle (its footer and part of its blocks are gone)
    if [ -f "$OUT/centos6-dynamic.vhd" ]; then
        head -c 1000000 "$OUT/centos6-dynamic.vhd" > "$OUT/broken-truncated.vhd"
    fi
    # a CentOS disk whose journal needs recovery (as if copied from a running VM): writes must be refused
    if [ -f "$OUT/centos6.raw" ]; then
        cp --sparse=always "$OUT/centos6.raw" "$OUT/broken-recovery.raw"
        debugfs -w -R "feature needs_recovery" "$OUT/broken-recovery.raw?offset=1048576" >/dev/null 2>&1
        qemu-img convert -q -f raw -O vpc "$OUT/broken-recovery.raw" "$OUT/broken-recovery.vhd"
        rm -f "$OUT/broken-recovery.raw"
    fi
    # a disk with a partition table but no filesystem in it
    truncate -s 8M "$OUT/broken-nofs.raw"
    echo 'start=2048, type=83' | sfdisk -q "$OUT/broken-nofs.raw" >/dev/null
    qemu-img convert -q -f raw -O vpc "$OUT/broken-nofs.raw" "$OUT/broken-nofs.vhd"
    rm -f "$OUT/broken-nofs.raw"
}

for n in "${NAMES[@]}"; do
    case $n in
        centos6|ubuntu1204|ubuntu1804|sles11|broken) "$n" ;;
        *) echo "make.sh: unknown image $n" >&2; exit 2 ;;
    esac
done
rm -rf "$OUT"/tree-*
