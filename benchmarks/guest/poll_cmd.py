#!/usr/bin/env python
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Poll a command at a fixed rate on a lab guest and log its output whenever it changes (stdlib only).

Used by the ecmp.lvs failover benchmark: on the router `ip -j route show VIP` at ~20 Hz, on the directors
`ipvsadm -Ln` at a lower rate. Writes JSON lines to --out, flushed at once (the controller may read the file
while the poller runs): {"t": wall clock before the command, "dt": command duration, "out": stdout} for every
change, and at exit a summary line {"summary": {"polls", "first", "last", "max_gap"}}.
"""

import argparse
import json
import os
import select
import signal
import subprocess
import sys
import time


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--interval', type=float, default=0.05)
    p.add_argument('--out', required=True)
    p.add_argument('--trigger', help='also poll at once whenever this long-running command prints a line '
                   '(e.g. "ip -o monitor route"): change times then no longer depend on --interval')
    p.add_argument('cmd', nargs=argparse.REMAINDER)
    args = p.parse_args()
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == '--' else args.cmd
    if not cmd:
        p.error('no command')
    running = [True]

    def stop(_sig, _frame):
        running[0] = False
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    last = None
    polls = 0
    first = prev = None
    max_gap = 0.0
    nxt = time.monotonic()
    trig = None
    if args.trigger:
        trig = subprocess.Popen(args.trigger.split(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        os.set_blocking(trig.stdout.fileno(), False)
    triggered = 0
    with open(args.out, 'a', encoding='utf-8') as out:
        while running[0]:
            t = time.time()
            t0 = time.monotonic()
            try:
                res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=5, check=False)
                text = res.stdout.decode('utf-8', 'replace')
            except subprocess.TimeoutExpired:
                text = '<timeout>'
            dt = time.monotonic() - t0
            polls += 1
            if first is None:
                first = t
            if prev is not None:
                max_gap = max(max_gap, t - prev)
            prev = t
            if text != last:
                out.write(json.dumps({'t': round(t, 4), 'dt': round(dt, 4), 'out': text}) + '\n')
                out.flush()
                last = text
            nxt += args.interval
            delay = nxt - time.monotonic()
            if delay <= 0:
                nxt = time.monotonic()
                continue
            if trig is None:
                time.sleep(delay)
                continue
            try:
                ready, _w, _x = select.select([trig.stdout], [], [], delay)
            except InterruptedError:
                continue
            if ready:
                try:
                    if not os.read(trig.stdout.fileno(), 65536):
                        trig = None
                except BlockingIOError:
                    pass
                triggered += 1
                nxt = time.monotonic()
        if trig is not None:
            trig.terminate()
        out.write(json.dumps({'summary': {'polls': polls, 'first': first, 'last': prev, 'triggered': triggered,
                                          'max_gap': round(max_gap, 4)}}) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
