#!/usr/bin/env bash
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PID 1 of the throw-away UML guest started by uml-run.sh: mount the pseudo file systems, bring lo up
# (ipvsadm -a ... fails with "Invalid operation" while lo is down), load IPVS modules from the UML
# module tree in dependency order (uml-insmod.py: the host may lack kmod), run the payload, power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs tmp /dev/shm
mount -t tmpfs run /run
/usr/bin/python3 "$(dirname "$0")/uml-insmod.py" "/usr/lib/uml/modules/${H1_KVER:-6.1.176}" \
    ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_sh ip_vs_mh ip_vs_sed ip_vs_nq ip_vs_fo ip_vs_ovf \
    ip_vs_dh ip_vs_lblc ip_vs_lblcr dummy || echo "guest: loading modules failed"
ip link set lo up
echo "guest: kernel $(uname -r), running $H1_PAYLOAD"
"$H1_PAYLOAD" "$H1_OUT" >"$H1_LOGS/payload.log" 2>&1
echo $? >"$H1_LOGS/payload.rc"
sync
poweroff -f
