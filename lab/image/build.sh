#!/usr/bin/env bash
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Build the ecmp.lvs lab root tree (called by `lab/ecmplab build-image`; root only):
#   build.sh TREE MIRROR DEBCACHE UMLKVER [SUITE [KERNELDIR]]
# debootstrap SUITE (bookworm or trixie, default bookworm) from MIRROR (read from the host's apt sources by the caller) with every package of
# packages.txt, add the overlay (lab-net.service, sshd drop-in), trim the boot for fast guests and add the
# User-Mode Linux modules of kernel UMLKVER. The caller turns TREE into a podman image and a UML ext4 image.
# UMLKVER "own" (a release other than the host's): the suite's own UML kernel instead - the package
# user-mode-linux of SUITE is installed, its modules go into the tree, and linux.uml with the loader and the
# libraries it needs (from the same tree) into KERNELDIR (lib/, version written last); then the package is purged.
set -euo pipefail
tree=$1 mirror=$2 debcache=$3 kver=$4 suite=${5:-bookworm} kerneldir=${6:-}
if [ "$kver" = own ] && [ -z "$kerneldir" ]; then
    echo "build.sh: UMLKVER own needs KERNELDIR" >&2
    exit 2
fi
if [ "$suite" != bookworm ] && [ "$suite" != trixie ]; then
    echo "build.sh: suite $suite is not accepted (bookworm or trixie)" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
pkgs=$(grep -v '^#' "$here/packages.txt" | grep -v '^$' | paste -sd, -)
if [ "$kver" = own ]; then
    pkgs="$pkgs,user-mode-linux"
fi
cleanup() {
    # debootstrap mounts pseudo file systems in the tree: never delete through a mount point
    for m in proc sys dev/pts dev; do umount -l "$tree/$m" 2>/dev/null || true; done
}
trap cleanup EXIT
cleanup
rm -rf --one-file-system "$tree"
# one package cache per suite: debootstrap picks cached .debs by file name
mkdir -p "$tree" "$debcache/$suite"
debootstrap --variant=minbase --cache-dir="$debcache/$suite" --include="$pkgs" "$suite" "$tree" "$mirror"
cp -a "$here/overlay/." "$tree/"
# shellcheck disable=SC2016  # the script below runs inside the chroot, unexpanded on purpose
chroot "$tree" /bin/sh -ec '
    # lab-net runs early at every boot; daemons the roles (or a lab playbook: prometheus, dnsmasq, nftables, bird)
    # configure stay off until they enable them
    systemctl enable lab-net.service
    systemctl disable frr.service keepalived.service prometheus.service dnsmasq.service nftables.service bird.service \
        >/dev/null 2>&1 || true
    # ctrl-alt-del (uml_mconsole cad) = clean poweroff
    ln -sf /lib/systemd/system/poweroff.target /etc/systemd/system/ctrl-alt-del.target
    # nothing periodic, no consoles, no first-boot work: guests boot straight to sshd
    for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
        getty@tty1.service console-getty.service serial-getty@.service getty.target systemd-timesyncd.service \
        systemd-firstboot.service cron.service logrotate.timer dpkg-db-backup.timer systemd-tmpfiles-clean.timer \
        modprobe@dm_mod.service modprobe@fuse.service modprobe@loop.service modprobe@configfs.service \
        modprobe@efi_pstore.service modprobe@drm.service kmod-static-nodes.service systemd-binfmt.service \
        proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount sys-fs-fuse-connections.mount \
        sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount dev-mqueue.mount \
        systemd-pstore.service systemd-update-utmp.service systemd-update-utmp-runlevel.service \
        systemd-journal-flush.service; do
        ln -sf /dev/null "/etc/systemd/system/$unit"
    done
    : >/etc/fstab
    mkdir -p -m 700 /root/.ssh
    echo lab >/etc/hostname
    apt-get clean
'
# the suite's own kernel: linux.uml and what its dynamic linking needs, out of the tree
if [ "$kver" = own ]; then
    kver=$(ls "$tree/usr/lib/uml/modules")
    mkdir -p "$tree/lib/modules" "$kerneldir/lib"
    cp -a "$tree/usr/lib/uml/modules/$kver" "$tree/lib/modules/"
    chroot "$tree" depmod -a "$kver"
    cp "$tree/usr/bin/linux.uml" "$kerneldir/linux.uml"
    interp=$(readelf -l "$kerneldir/linux.uml" | sed -n 's/.*program interpreter: \(.*\)]/\1/p')
    cp -L "$tree$interp" "$kerneldir/lib/$(basename "$interp")"
    for lib in $(readelf -d "$kerneldir/linux.uml" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        cp -L "$tree/lib/x86_64-linux-gnu/$lib" "$kerneldir/lib/$lib"
    done
    chroot "$tree" dpkg --purge user-mode-linux >/dev/null
    echo "$kver" >"$kerneldir/version"
fi
# User-Mode Linux kernel modules (ip_vs and its schedulers, bridge, veth, dummy, ...)
if [ -d "/usr/lib/uml/modules/$kver" ] && [ ! -d "$tree/lib/modules/$kver" ]; then
    mkdir -p "$tree/lib/modules"
    cp -a "/usr/lib/uml/modules/$kver" "$tree/lib/modules/"
    chroot "$tree" depmod -a "$kver"
fi
