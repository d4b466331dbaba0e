# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ecmp-lvs-announce: an ecmp.lvs director announces a VIP only while its services are healthy.

Installed by the ecmp.lvs.director role (tasks/announce.yml; Python 3 standard library only): this package under
/usr/local/lib/ecmp-lvs, next to the collection's module_utils it imports (ansible_collections/ecmp/lvs/plugins/
module_utils/ipvs.py: its ipvsadm parser is the one of the ecmp.lvs.ipvs / ipvs_info modules), byte-compiled; the
command /usr/local/sbin/ecmp-lvs-announce calls main() (cli.main). keepalived's quorum reporter is the shell
program files/ecmp-lvs-quorum, installed as /usr/local/lib/ecmp-lvs/ecmp-lvs-quorum.

    config.py      announce.json, the installation's paths, the service keys
    records.py     keepalived's quorum records and their stand-ins from the IPVS table (pure)
    parsers.py     /proc/PID/stat, `ip -j address`, the views of the IPVS table (over module_utils/ipvs.py)
    host.py        the host: files, /proc, `ip`, `ipvsadm`, the log
    reconciler.py  the rules (decide()) and the reconciler applying them
    runner.py      `run`: the service loop, events, watchdog, fail-safe
    waits.py       `wait-announced`, `wait-idle`
    commands.py    the other sub-commands
    cli.py         the command line (main)

The VIP *address* on lo is the announcement: FRR announces VIP/32 (OSPF network statement, BGP network
statement) exactly while the address exists, and withdraws it when the address goes. A `local` route in table
local (installed by the ecmp-lvs-vips unit) keeps the VIP deliverable to IPVS without the address, so flows that
still arrive after a withdrawal are served.

    quorum up|down KEY   runs ecmp-lvs-quorum (next to this package; the path keepalived.conf of earlier versions
                         calls): keepalived's quorum_up / quorum_down of a virtual server, run as the unprivileged
                         script user, records the quorum state of KEY (tcp:VIP:PORT) under STATE/quorum - a shell
                         program, since keepalived runs one per service at once (hundreds after a reload).
    run                  the root service (ecmp-lvs-announce.service): announce or withdraw each VIP of the
                         configuration (see decide()) at once when a quorum record, the drain flag, the
                         configuration or keepalived's pid file changes or a watched process ends (inotify,
                         pidfd), when a hold-down ends, and at least every `interval` seconds; SIGHUP re-executes
                         the installed program (new code, no withdrawal); SIGTERM withdraws every VIP and exits.
    status               the reconciler's view (JSON).
    check-config         validate the configuration file (the role's template validation).
    keepalived-config-test FILE
                         `keepalived --config-test` of FILE, working around keepalived 2.2.7 killing itself when
                         a script_user is set (the role's validation of keepalived.conf).
    keepalived-stop PID  ExecStop of keepalived.service: withdraw the health-gated VIPs before keepalived tears
                         down its IPVS services and wait stop_delay seconds, so the routers move the flows first.
    withdraw-all         ExecStopPost of ecmp-lvs-announce.service: remove every VIP address (and every address
                         with the label) from lo, whatever state the service died in.
    drain | undrain      set / clear the persistent drain flag (playbooks/drain.yml writes the same file).
    wait-announced       wait until every VIP is announced (or the director is drained); JSON report.
    wait-idle            wait until every VIP is withdrawn and IPVS receives no more packets for them; JSON report.

Rules (decide()): a withdrawn VIP is announced when the director is not drained, keepalived runs, and every
health-gated service of the VIP has reported quorum up (from the running keepalived) for at least HOLDDOWN seconds.
An announced VIP is withdrawn at once when the director is drained, keepalived is not running, the keepalived
checker process that reported a service is gone, or a service reports quorum down. Exception: a service added to
an announced VIP by a configuration change (keepalived's `alpha` starts it quorum down on every director at once)
does not withdraw the VIP before it has been up once; a service without any report yet does not withdraw it
either (nothing is known against it).

Fail-safe (the service runs as root, the quorum records come from the unprivileged script_user):
* a record is read only when it is a regular file (no symlink followed, a FIFO never blocks) of at most
  RECORD_MAX bytes, owned by the configured script_user or root, ASCII, with a finite time >= 0 not in the future
  and pids in range; a record that names a live process other than a keepalived one as its writer is ignored.
  Anything else counts as no report: the service is judged from the IPVS table (kernel_record). A record whose
  writer no longer exists is a crashed checker (withdraw), as before.
* a health-gated service with a quorum is always checked against the IPVS table: an `up` record is not believed
  while the table's total weight is below the quorum (cross_check), so a quorum_down that could not be stored
  (/run full) still withdraws at the next reconciliation (at most `interval` seconds); `quorum down` also
  removes the stale record when it cannot write the new one.
* the loop survives any exception (Runner): after failsafe_bound() seconds without a successful
  reconciliation (3 intervals, at least 1 s) every VIP is withdrawn. A hang is caught by the systemd watchdog
  (WATCHDOG=1 at every iteration); every end of the service (stop, crash, watchdog, start limit) runs
  `withdraw-all` (ExecStopPost).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Nothing is imported at the top: keepalived runs `quorum` on every quorum change and its start-up time is part of the
# withdrawal delay (json + subprocess + argparse cost ~0.4 s of Python start-up in the UML lab). cli.main imports
# what a command needs when it runs; every module imports only os, sys and time at its top.


def main(argv=None):
    """The command line (cli.main), called by the command /usr/local/sbin/ecmp-lvs-announce."""
    from .cli import main as cli_main  # pylint: disable=import-outside-toplevel
    return cli_main(argv)
