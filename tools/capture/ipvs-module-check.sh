#!/usr/bin/env bash
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Run tests/lab/ipvs_module.yml (ecmp.lvs.ipvs / ipvs_info) against a REAL IPVS kernel in a throw-away UML
# guest, next to a pre-existing "foreign" service that the playbook must leave untouched.
#   on the host:   tools/capture/ipvs-module-check.sh [OUTDIR]     (default /tmp/h1uml/module-check)
set -u
here=$(dirname "$(readlink -f "$0")")
root=$(readlink -f "$here/../..")
if [ -z "${H1_PAYLOAD:-}" ]; then
    exec "$here/uml-run.sh" "$here/ipvs-module-check.sh" "${1:-/tmp/h1uml/module-check}" h1mod
fi
out=$1
export ANSIBLE_CONFIG=$root/ansible.cfg ANSIBLE_LOCAL_TEMP=/dev/shm/ansible-local \
       ANSIBLE_REMOTE_TEMP=/dev/shm/ansible-remote ANSIBLE_HOME=/dev/shm/ansible-home ANSIBLE_FORCE_COLOR=0
cd "$root" || exit 1
# a service the playbook does not own (like the lab's keepalived-managed VIP)
ipvsadm -A -t 10.99.100.10:80 -s mh -b mh-port
ipvsadm -a -t 10.99.100.10:80 -r 10.99.0.21:80 -g -w 1
ipvsadm -a -t 10.99.100.10:80 -r 10.99.0.22:80 -g -w 1
ipvsadm -Sn >"$out/table-start.txt"
start=$(date +%s)
"$root/.venv/bin/ansible-playbook" -i localhost, -c local -e target=localhost -e ipvs_test_become=false \
    -e ansible_python_interpreter=/usr/bin/python3 tests/lab/ipvs_module.yml >"$out/playbook.log" 2>&1
rc=$?
echo "playbook rc=$rc in $(( $(date +%s) - start )) s" | tee "$out/playbook.rc"
ipvsadm -Sn >"$out/table-end.txt"
if ! cmp -s "$out/table-start.txt" "$out/table-end.txt"; then
    echo "the table at the end differs from the table at the start" | tee -a "$out/playbook.rc"
    rc=1
fi
exit $rc
