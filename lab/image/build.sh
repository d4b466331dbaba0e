#!/usr/bin/env bash
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Build the ecmp.lvs lab root tree (called by `lab/ecmplab build-image`; root only):
#   build.sh TREE MIRROR DEBCACHE UMLKVER [SUITE]
# debootstrap SUITE (bookworm or trixie, default bookworm) from MIRROR (read from the host's apt sources by the caller) with every package of
# packages.txt, add the overlay (lab-net.service, sshd drop-in), trim the boot for fast guests and add the
# User-Mode Linux modules of kernel UMLKVER. The caller turns TREE into a podman image and a UML ext4 image.
set -euo pipefail
tree=$1 mirror=$2 debcache=$3 kver=$4 suite=${5:-bookworm}
if [ "$suite" != bookworm ] && [ "$suite" != trixie ]; then
    echo "build.sh: suite $suite is not accepted (bookworm or trixie)" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
pkgs=$(grep -v '^#' "$here/packages.txt" | grep -v '^$' | paste -sd, -)
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
    # lab-net runs early at every boot; daemons the roles (or a lab playbook: prometheus) configure stay off until
    # they enable them
    systemctl enable lab-net.service
    systemctl disable frr.service keepalived.service prometheus.service >/dev/null 2>&1 || true
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
# User-Mode Linux kernel modules (ip_vs and its schedulers, bridge, veth, dummy, ...)
if [ -d "/usr/lib/uml/modules/$kver" ]; then
    mkdir -p "$tree/lib/modules"
    cp -a "/usr/lib/uml/modules/$kver" "$tree/lib/modules/"
    chroot "$tree" depmod -a "$kver"
fi
