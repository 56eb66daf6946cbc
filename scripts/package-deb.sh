#!/usr/bin/env bash
# Builds OUTDIR/vhdedit_<version>_amd64.deb from a release build: the binary, man pages generated from the
# ArgumentParser definitions (vhdedit.1 and one page per subcommand), bash/zsh/fish completions, README, license
# and third-party notices, Depends computed by dpkg-shlibdeps. Then runs lintian, which must report no error.
#
# Usage: scripts/package-deb.sh OUTDIR     (as root or not; needs dpkg-dev, lintian: scripts/setup.sh)
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 64; }
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$1"
outdir="$(cd "$1" && pwd)"
export PATH="$PATH:/opt/swift/usr/bin:/usr/sbin:/sbin"
cd "$root"

swift build -c release --product vhdedit
binary="$(swift build -c release --show-bin-path)/vhdedit"
version="$("$binary" --version)"
arch="$(dpkg --print-architecture)"
# The manual's date: the last commit's, so that the same checkout gives the same pages.
date="$(git -C "$root" log -1 --format=%cs 2>/dev/null || date -u +%F)"

# The maintainer: the committer of the checkout (git config user.email), as the changelog names them.
maintainer="vhdedit developers <$(git -C "$root" config user.email 2>/dev/null || echo "root@$(hostname -f)")>"

stage="$(mktemp -d)"
work="$(mktemp -d)"
trap 'rm -rf "$stage" "$work"' EXIT
chmod 0755 "$stage"

install -D -m 0755 "$binary" "$stage/usr/bin/vhdedit"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/vhdedit"

# Man pages, generated from the command definitions (swift-argument-parser's generate-manual plugin).
swift package plugin generate-manual --multi-page --date "$date" --authors "vhdedit developers" >/dev/null
pages="$root/.build/plugins/GenerateManual/outputs/vhdedit"
[ -f "$pages/vhdedit.1" ] || { echo "package-deb: generate-manual wrote no vhdedit.1 in $pages" >&2; exit 1; }
install -d -m 0755 "$stage/usr/share/man/man1"
for page in "$pages"/*.1; do
  # mdoc wants .Pp between paragraphs; the generator leaves empty lines, which groff warns about.
  sed 's/^$/.Pp/' "$page" | gzip -9n > "$stage/usr/share/man/man1/$(basename "$page").gz"
  chmod 0644 "$stage/usr/share/man/man1/$(basename "$page").gz"
done

# Shell completions in the folders each shell searches.
install -d -m 0755 "$stage/usr/share/bash-completion/completions" "$stage/usr/share/zsh/vendor-completions" \
  "$stage/usr/share/fish/vendor_completions.d"
# bash-completion sources its files: no #! line.
"$binary" completion bash | sed '1{/^#!/d}' > "$stage/usr/share/bash-completion/completions/vhdedit"
"$binary" completion zsh > "$stage/usr/share/zsh/vendor-completions/_vhdedit"
"$binary" completion fish > "$stage/usr/share/fish/vendor_completions.d/vhdedit.fish"
chmod 0644 "$stage/usr/share/bash-completion/completions/vhdedit" "$stage/usr/share/zsh/vendor-completions/_vhdedit" \
  "$stage/usr/share/fish/vendor_completions.d/vhdedit.fish"

# Documentation: README, the machine-readable copyright file (license + third-party notices), changelog.
doc="$stage/usr/share/doc/vhdedit"
install -d -m 0755 "$doc"
gzip -9n < README.md > "$doc/README.md.gz"
install -m 0644 "$root/packaging/debian/copyright" "$doc/copyright"
{
  echo "vhdedit ($version) unstable; urgency=medium"
  echo
  echo "  * Release $version, built from $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo 'a source tree')."
  echo
  echo " -- $maintainer  $(date -u -R -d "$date")"
} | gzip -9n > "$doc/changelog.gz"
chmod 0644 "$doc"/*

# Depends as dpkg-shlibdeps computes it from the shared libraries the binary links (libext2fs2, libblkid1,
# libc6, ...). zlib, liblzma and libzstd are dlopen'ed for initramfs checks only: Recommends. libselinux is
# dlopen'ed too (labels for files a write session creates on an SELinux guest, which are refused without it), so
# dpkg-shlibdeps no longer sees it: Depends names it. The seccomp filter is built without libseccomp.
mkdir -p "$work/debian"
printf 'Source: vhdedit\n\nPackage: vhdedit\nArchitecture: any\n' > "$work/debian/control"
depends="$(cd "$work" && dpkg-shlibdeps -O -e"$stage/usr/bin/vhdedit" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')"
[ -n "$depends" ] || { echo "package-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
depends="$depends, libselinux1"

install -d -m 0755 "$stage/DEBIAN"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: vhdedit
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $(du -ks --exclude=DEBIAN "$stage" | cut -f1)
Depends: $depends
Recommends: zlib1g, liblzma5, libzstd1
Section: admin
Priority: optional
Description: read, patch and generalize Linux VM disk images without booting them
 vhdedit opens an unmounted VHD (fixed, dynamic, differencing) or raw disk
 image, finds its partitions, opens the ext2/3/4 filesystem inside through
 libext2fs, edits the guest's configuration files and generalizes the image
 for publishing on Azure, in user space, atomically, in milliseconds.
CONTROL

deb="$outdir/vhdedit_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "package-deb: $deb"

# lintian: errors fail the build; warnings are printed.
if command -v lintian >/dev/null; then
  report="$(lintian --fail-on error --tag-display-limit 0 "$deb" 2>&1)" || { echo "$report" >&2; echo "package-deb: lintian reported errors" >&2; exit 1; }
  [ -z "$report" ] || echo "$report"
fi
