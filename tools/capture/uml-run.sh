#!/usr/bin/env bash
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Boot a throw-away User-Mode Linux guest whose root file system is the HOST tree (hostfs, read-write),
# load the IPVS modules in it and run PAYLOAD (a shell script path, seen identically by host and guest).
# The host kernel has no IPVS; the UML 6.1 kernel has it as modules. The payload gets OUTDIR as $1;
# console and payload logs go to $UML_DIR/<UMID>-logs (UML_DIR default /tmp/h1uml).
#
#   tools/capture/uml-run.sh PAYLOAD OUTDIR [UMID]
#
# Used to capture the ipvsadm fixtures (tools/capture/ipvs-fixtures.sh) and to run the ecmp.lvs.ipvs module
# against a real IPVS kernel (tools/capture/ipvs-module-check.sh). Needs: user-mode-linux, ipvsadm (host).
set -euo pipefail
payload=$(readlink -f "$1")
outdir=$(readlink -m "$2")
umid=${3:-h1cap}
here=$(dirname "$(readlink -f "$0")")
umldir=${UML_DIR:-/tmp/h1uml}
logdir=$umldir/$umid-logs
mkdir -p "$outdir" "$logdir"
rm -f "$logdir/payload.rc"
[ -x "$payload" ] || { echo "payload $payload is not executable" >&2; exit 2; }
export TMPDIR=/dev/shm
# the lab's LD_PRELOAD library for linux.uml (UML's FPU restore on hosts with a larger XSAVE area): built once into the
# lab cache by lab/ecmplab_lib/uml.py, the one place that knows how
shim=$(cd "$here/../../lab" && "$here/../../.venv/bin/python" -c 'from ecmplab_lib import uml; print(uml.xstate_shim())')
# unknown key=value words of the kernel command line become environment variables of init
LD_PRELOAD=$shim timeout 900 linux.uml umid="$umid" uml_dir="$umldir" mem=384M \
    root=/dev/root rootfstype=hostfs rootflags=/ rw \
    init="$here/uml-guest-init.sh" con=null con0=null,fd:1 ssl=null \
    H1_PAYLOAD="$payload" H1_OUT="$outdir" H1_LOGS="$logdir" H1_KVER=6.1.176 </dev/null >"$logdir/console.log" 2>&1 || true
if [ -f "$logdir/payload.rc" ]; then
    echo "payload rc=$(cat "$logdir/payload.rc"); output in $outdir, logs in $logdir"
    exit "$(cat "$logdir/payload.rc")"
fi
echo "guest did not complete; see $logdir/console.log" >&2
exit 1
