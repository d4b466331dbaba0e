#!/usr/bin/env python
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Log the moments a lab guest did not run (stdlib only): a ticker that sleeps --tick seconds and writes every gap
between two ticks longer than --min-gap as a JSON line {"t": wall clock at the end of the gap, "gap": seconds without
a tick}, flushed at once; at exit (SIGTERM) a summary line {"summary": {"ticks", "max_gap", "first", "last"}}.

Used by the chaos soak on the router and the directors: whether an OSPF adjacency that no event touched went down
right after a stall of the guest on either side (a UML guest the host did not schedule, or one too busy to run its
daemons: BFD and the dead timer expire as if the link had failed).
"""

import argparse
import json
import signal
import time


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--tick', type=float, default=0.05)
    p.add_argument('--min-gap', type=float, default=0.25, help='log gaps longer than this (seconds)')
    p.add_argument('--out', required=True)
    args = p.parse_args()
    running = [True]

    def stop(_sig, _frame):
        running[0] = False
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ticks, max_gap, first = 0, 0.0, time.time()
    with open(args.out, 'a', encoding='utf-8') as out:
        last = time.monotonic()
        while running[0]:
            time.sleep(args.tick)
            now = time.monotonic()
            gap, last = now - last, now
            ticks += 1
            max_gap = max(max_gap, gap)
            if gap > args.min_gap:
                out.write(json.dumps({'t': round(time.time(), 3), 'gap': round(gap, 3)}) + '\n')
                out.flush()
        out.write(json.dumps({'summary': {'ticks': ticks, 'max_gap': round(max_gap, 3), 'first': round(first, 3),
                                          'last': round(time.time(), 3)}}) + '\n')


if __name__ == '__main__':
    main()
