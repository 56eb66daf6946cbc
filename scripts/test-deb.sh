#!/usr/bin/env bash
# The Debian package, installed the way a user installs it: scripts/package-deb.sh builds it, apt installs it
# into a fresh `debootstrap --variant=minbase bookworm` tree (chroot), resolving its Depends from the archive,
# and inside that tree `vhdedit --version`, `man -w vhdedit`, the completions and the main job (azure-prepare,
# generalize, convert to a fixed VHD, check: ready) run on a copy of the shipped test image.
#
# Needs root, the network to the Debian archive, and debootstrap (scripts/setup.sh). The minbase tree is made
# once and kept as a tarball in /var/cache/vhdedit-tests (delete it to make it again); each run unpacks a new copy.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$PATH:/opt/swift/usr/bin:/usr/sbin:/sbin"
mirror="${VHDEDIT_DEBIAN_MIRROR:-$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}"
mirror="${mirror:-http://deb.debian.org/debian}"
cache=/var/cache/vhdedit-tests
tarball="$cache/bookworm-minbase.tar"

work="$(mktemp -d)"
chroot_dir="$work/root"
cleanup() {
  for m in proc dev/pts dev; do mountpoint -q "$chroot_dir/$m" 2>/dev/null && umount -l "$chroot_dir/$m"; done
  rm -rf "$work"
}
trap cleanup EXIT

bash "$root/scripts/package-deb.sh" "$work/out"
deb="$(ls "$work"/out/vhdedit_*.deb)"
version="$(dpkg-deb -f "$deb" Version)"

if [ ! -s "$tarball" ]; then
  mkdir -p "$cache"
  debootstrap --variant=minbase bookworm "$work/fresh" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; echo "test-deb: debootstrap failed" >&2; exit 1; }
  tar -C "$work/fresh" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -rf "$work/fresh"
fi
mkdir -p "$chroot_dir"
tar -C "$chroot_dir" -xf "$tarball"
mount -t proc proc "$chroot_dir/proc"
mount --bind /dev "$chroot_dir/dev"
cp /etc/resolv.conf "$chroot_dir/etc/resolv.conf" 2>/dev/null || true
cp "$deb" "$chroot_dir/tmp/"
cp --sparse=always "$root/TestImages/centos6-dynamic.vhd" "$chroot_dir/tmp/c6.vhd"

in_chroot() { chroot "$chroot_dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }

in_chroot apt-get update -qq >/dev/null
# man-db is what a user has who reads man pages; vhdedit itself does not depend on it.
DEBIAN_FRONTEND=noninteractive in_chroot apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$deb")" man-db \
  >"$work/apt.log" 2>&1 || { tail -20 "$work/apt.log" >&2; fail "apt could not install the package"; }

passed=0
check() { passed=$((passed + 1)); echo "test-deb: ok: $*"; }

[ "$(in_chroot vhdedit --version)" = "$version" ] || fail "vhdedit --version is not $version"
check "vhdedit --version prints $version"
page="$(in_chroot man -w vhdedit)"
[ "$page" = /usr/share/man/man1/vhdedit.1.gz ] || fail "man -w vhdedit gave '$page'"
in_chroot man -w vhdedit.generalize >/dev/null || fail "no man page for vhdedit generalize"
check "man -w vhdedit: $page (and one page per subcommand)"
for f in /usr/share/bash-completion/completions/vhdedit /usr/share/zsh/vendor-completions/_vhdedit \
  /usr/share/fish/vendor_completions.d/vhdedit.fish /usr/share/doc/vhdedit/copyright; do
  [ -s "$chroot_dir$f" ] || fail "$f is missing"
done
check "completions and copyright installed"
for lib in libext2fs2 libblkid1 libselinux1; do
  dpkg-deb -f "$deb" Depends | grep -q "$lib" || fail "Depends does not name $lib"
done
check "Depends: $(dpkg-deb -f "$deb" Depends)"

in_chroot vhdedit azure-prepare /tmp/c6.vhd >/dev/null || fail "azure-prepare"
in_chroot vhdedit generalize --delete-user --only defaults,secrets /tmp/c6.vhd >/dev/null || fail "generalize"
in_chroot vhdedit convert /tmp/c6.vhd /tmp/azure.vhd --to fixed --round-to-mib >/dev/null 2>&1 || fail "convert"
report="$(in_chroot vhdedit check /tmp/azure.vhd --json)" || fail "check did not pass: $(echo "$report" | grep -o "[^{]*\"verdict\":\"fail\"")"
echo "$report" | grep -q '"schema":"vhdedit.check/1"' || fail "check --json has no schema member"
echo "$report" | grep -q '"verdict":"fail"' && fail "check found a failing requirement"
check "azure-prepare + generalize + convert + check (ready) inside the chroot"
echo "test-deb: all $passed checks passed"
