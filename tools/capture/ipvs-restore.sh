#!/usr/bin/env bash
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Capture what `ipvsadm --restore` does with a line the kernel refuses (the ecmp.lvs.ipvs module applies a change in
# one restore) on a REAL IPVS kernel: tests/fixtures/ipvsadm/restore-*.txt.
#   on the host:   tools/capture/ipvs-restore.sh            (boots a UML guest that runs this script again)
#   in the guest:  ipvs-restore.sh OUTDIR                    (called by uml-guest-init.sh)
set -u
here=$(dirname "$(readlink -f "$0")")
if [ -z "${H1_PAYLOAD:-}" ]; then
    exec "$here/uml-run.sh" "$here/ipvs-restore.sh" "$(readlink -m "${1:-$here/../../tests/fixtures/ipvsadm}")" h1rst
fi
out=$1
ipvsadm -A -t 10.99.200.1:80 -s mh -b mh-port,mh-fallback
ipvsadm -a -t 10.99.200.1:80 -r 10.99.0.21:80 -g -w 1
# the second line deletes a real server that does not exist; the first and the third are good
printf '%s\n' '-e -t 10.99.200.1:80 -r 10.99.0.21:80 -g -w 5' '-d -t 10.99.200.1:80 -r 10.99.0.99:80' \
    '-a -t 10.99.200.1:80 -r 10.99.0.22:80 -g -w 2' >"$out/restore-err-input.txt"
ipvsadm --restore <"$out/restore-err-input.txt" >"$out/restore-err-stdout.txt" 2>"$out/restore-err-stderr.txt"
echo "rc=$?" >"$out/restore-err-rc.txt"
ipvsadm -Sn >"$out/restore-err-after-Sn.txt" 2>&1
# a line ipvsadm cannot parse: the restore stops there
printf '%s\n' '-e -t 10.99.200.1:80 -r 10.99.0.21:80 -g -w 6' '-a -t 10.99.200.1:80 --bogus' \
    '-e -t 10.99.200.1:80 -r 10.99.0.22:80 -g -w 7' >"$out/restore-bad-input.txt"
ipvsadm --restore <"$out/restore-bad-input.txt" >"$out/restore-bad-stdout.txt" 2>"$out/restore-bad-stderr.txt"
echo "rc=$?" >"$out/restore-bad-rc.txt"
ipvsadm -Sn >"$out/restore-bad-after-Sn.txt" 2>&1
exit 0
