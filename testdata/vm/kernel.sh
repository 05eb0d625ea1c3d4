#!/usr/bin/env bash
# Fetches the kernel of the cgroup v2 test VM (see README.md) into the cache:
# Debian's linux-image-amd64, i.e. the versioned linux-image-6.1.x package it
# depends on, downloaded with apt-get and unpacked with dpkg-deb (/boot and the
# package database stay untouched). .ci/setup runs it, as root.
#
#   $NOOK_VM_CACHE/               default /var/cache/nook-vm
#     current -> PACKAGE_VERSION/
#       vmlinux    the uncompressed kernel, for qemu's PVH entry point
#       modules/   lib/modules/KVER of the package
#       config     the kernel's build configuration
#
# Idempotent: does nothing when the current package version is in the cache.
set -euo pipefail

cache=${NOOK_VM_CACHE:-/var/cache/nook-vm}
meta=linux-image-amd64

die() {
	echo "testdata/vm/kernel.sh: $*" >&2
	exit 1
}

for tool in apt-cache apt-get dpkg-deb xz grep; do
	command -v "$tool" >/dev/null || die "$tool is missing (run .ci/setup)"
done

# The versioned package behind the metapackage, and its candidate version.
resolve() {
	pkg=$(apt-cache depends "$meta" 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	ver=""
	if [[ -n $pkg ]]; then
		ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | awk '$1 == "Version:" { print $2; exit }')
	fi
}
resolve
if [[ -z $pkg || -z $ver ]]; then
	apt-get update -qq
	resolve
fi
[[ -n $pkg && -n $ver ]] || die "cannot resolve the package $meta depends on (apt-cache depends $meta)"

name="${pkg}_${ver}"
dir="$cache/$name"
if [[ -s $dir/vmlinux && -d $dir/modules && $(readlink "$cache/current" 2>/dev/null) == "$name" ]]; then
	exit 0
fi

install -d -m 0755 "$cache"
tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 0755 "$tmp"
# apt-get download drops privileges to _apt when it can write the directory.
if id -u _apt >/dev/null 2>&1; then
	install -d -o _apt -m 0755 "$tmp/deb"
else
	install -d -m 0755 "$tmp/deb"
fi

echo "testdata/vm/kernel.sh: fetching $pkg $ver into $cache"
if ! (cd "$tmp/deb" && apt-get download -qq "$pkg=$ver" </dev/null); then
	apt-get update -qq
	(cd "$tmp/deb" && apt-get download -qq "$pkg=$ver" </dev/null) || die "apt-get download $pkg=$ver failed"
fi
debs=("$tmp"/deb/*.deb)
[[ -f ${debs[0]} ]] || die "apt-get download $pkg=$ver produced no .deb"
dpkg-deb -x "${debs[0]}" "$tmp/x"

vmlinuz=$(find "$tmp/x/boot" -maxdepth 1 -name 'vmlinuz-*' -print -quit)
[[ -n $vmlinuz ]] || die "$pkg has no /boot/vmlinuz-*"
kver=${vmlinuz##*/vmlinuz-}
[[ -d $tmp/x/lib/modules/$kver ]] || die "$pkg has no /lib/modules/$kver"

# The bzImage carries vmlinux as an xz stream after its decompressor: try each
# xz magic (FD 37 7A 58 5A 00) until one decompresses to an ELF file.
out="$tmp/out"
mkdir "$out"
found=""
while IFS=: read -r offset _; do
	# Only xz's status counts: tail dies of SIGPIPE once xz has its stream.
	if (set +o pipefail; tail -c +"$((offset + 1))" "$vmlinuz" | xz -dcq --single-stream >"$out/vmlinux" 2>/dev/null) &&
		[[ $(head -c 4 "$out/vmlinux" | od -An -c | tr -d ' ') == '177ELF' ]]; then
		found=$offset
		break
	fi
done < <(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" || true)
[[ -n $found ]] || die "no xz-compressed ELF kernel found in $vmlinuz"

mv "$tmp/x/lib/modules/$kver" "$out/modules"
cp "$tmp/x/boot/config-$kver" "$out/config"
chmod -R a+rX "$out"
rm -rf "$dir"
mv "$out" "$dir"
ln -sfn "$name" "$cache/current.new"
mv -T "$cache/current.new" "$cache/current"

# Older kernels are of no further use.
for old in "$cache"/linux-image-*; do
	[[ $old == "$dir" ]] || rm -rf "$old"
done
echo "testdata/vm/kernel.sh: $cache/current -> $name (kernel $kver)"
