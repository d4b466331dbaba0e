#!/usr/bin/env python
# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Long-lived connection load for the ecmp.lvs failover benchmark (runs on the lab client, stdlib only).

K "slots" each hold one HTTP/1.1 keep-alive connection to VIP:PORT and send one small GET every
--interval seconds on it. Per connection it records open time, the real server that answers (the lab's
nginx serves the hostname as its page), last byte time, and how it ended: rst, eof, server_close, stall
(no complete response within --stall seconds, the request is still awaited up to --abort seconds),
timeout (aborted after --abort) or error. A slot whose connection ended opens a new one after
--reconnect seconds, so K connections are held before every event.
Besides, a prober opens --new-rate fresh connections per second (connect + GET + close, --probe-timeout)
to measure the new-connection error window, and a sampler records every --sample seconds how many
connections are open and how many answered within the last --alive-age seconds.
Runs until SIGTERM/SIGINT or --duration, then writes one JSON document to --out.
"""

import argparse
import asyncio
import json
import os
import signal
import socket
import time

REASONS_RST = (ConnectionResetError, BrokenPipeError)


def now():
    return time.time()


class Stats:
    def __init__(self):
        self.conns = []        # finished and live connection records (dicts)
        self.live = {}         # slot -> record of its current connection
        self.probes = []       # [t_start, latency or None, result, server]
        self.samples = []      # [t, open, alive, stalled]
        self.next_id = 0


async def read_response(reader):
    """One HTTP/1.1 response: returns (status, body, close_requested). Raises IncompleteReadError on EOF."""
    head = await reader.readuntil(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    status = int(lines[0].split()[1])
    length = 0
    close = False
    for line in lines[1:]:
        key, _sep, value = line.partition(':')
        key = key.strip().lower()
        if key == 'content-length':
            length = int(value.strip())
        elif key == 'connection' and value.strip().lower() == 'close':
            close = True
    body = await reader.readexactly(length) if length else b''
    return status, body, close


def classify(exc):
    if isinstance(exc, asyncio.IncompleteReadError):
        return 'eof'
    if isinstance(exc, REASONS_RST):
        return 'rst'
    if isinstance(exc, ConnectionRefusedError):
        return 'refused'
    if isinstance(exc, asyncio.TimeoutError):
        return 'timeout'
    if isinstance(exc, OSError) and exc.errno is not None:
        return 'error:%s' % (os.strerror(exc.errno) if exc.errno else exc)
    return 'error:%s' % type(exc).__name__


async def slot_loop(args, stats, slot, stop):
    request = ('GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: ecmp-lvs-bench\r\n\r\n'
               % (args.path, '[%s]' % args.vip if ':' in args.vip else args.vip)).encode('ascii')
    # spread the start of the slots over --ramp seconds and their request phases over one interval
    await asyncio.sleep(args.ramp * slot / max(args.conns, 1))
    while not stop.is_set():
        stats.next_id += 1
        rec = {'id': stats.next_id, 'slot': slot, 'open_t': now(), 'est_t': None, 'server': None,
               'requests': 0, 'last_byte_t': None, 'end_t': None, 'end': None, 'stalls': [],
               'max_latency': 0.0, 'sport': None, 'bad_status': 0, 'slow': []}
        stats.conns.append(rec)
        stats.live[slot] = rec
        writer = None
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(args.vip, args.port), args.probe_timeout)
            rec['est_t'] = now()
            rec['sport'] = writer.get_extra_info('sockname')[1]
            while not stop.is_set():
                t_send = now()
                writer.write(request)
                task = asyncio.ensure_future(read_response(reader))
                done, _pending = await asyncio.wait({task}, timeout=args.stall)
                if not done:
                    stall = {'t': t_send, 'detected_t': now(), 'recovered_t': None}
                    rec['stalls'].append(stall)
                    done, _pending = await asyncio.wait({task}, timeout=args.abort - args.stall)
                    if not done:
                        task.cancel()
                        rec['end'] = 'timeout'
                        break
                status, body, close = task.result()  # raises on RST/EOF: then the stall never recovered
                if rec['stalls'] and rec['stalls'][-1]['recovered_t'] is None and rec['stalls'][-1]['t'] == t_send:
                    rec['stalls'][-1]['recovered_t'] = now()
                t_done = now()
                rec['requests'] += 1
                rec['last_byte_t'] = t_done
                rec['max_latency'] = max(rec['max_latency'], t_done - t_send)
                if t_done - t_send >= args.slow:
                    rec['slow'].append([round(t_send, 4), round(t_done - t_send, 4)])
                server = body.decode('utf-8', 'replace').strip()[:40]
                if rec['server'] is None:
                    rec['server'] = server
                elif server != rec['server']:
                    rec.setdefault('server_changes', []).append([t_done, server])
                if status != 200:
                    rec['bad_status'] += 1
                if close:
                    rec['end'] = 'server_close'
                    break
                await asyncio.sleep(max(0.0, args.interval - (t_done - t_send)))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            rec['end'] = classify(exc)
            if rec['est_t'] is None:
                rec['end'] = 'connect_' + rec['end']
        finally:
            rec['end_t'] = now()
            if rec['end'] is None:
                rec['end'] = 'stopped'
            if writer is not None:
                if rec['end'] in ('stopped', 'server_close'):
                    writer.close()
                else:
                    writer.transport.abort()
            stats.live.pop(slot, None)
        if not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), args.reconnect)
            except asyncio.TimeoutError:
                pass


async def probe_once(args, stats):
    t0 = now()
    entry = [round(t0, 4), None, None, None]
    stats.probes.append(entry)
    writer = None
    try:
        async def attempt():
            reader, w = await asyncio.open_connection(args.vip, args.port)
            nonlocal writer
            writer = w
            host = '[%s]' % args.vip if ':' in args.vip else args.vip
            w.write(('GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' % (args.path, host)).encode())
            return await read_response(reader)
        status, body, _close = await asyncio.wait_for(attempt(), args.probe_timeout)
        entry[1] = round(now() - t0, 4)
        entry[2] = 'ok' if status == 200 else 'http_%d' % status
        entry[3] = body.decode('utf-8', 'replace').strip()[:40]
    except Exception as exc:  # pylint: disable=broad-except
        entry[2] = classify(exc)
    finally:
        if writer is not None:
            writer.transport.abort()


async def prober(args, stats, stop):
    if args.new_rate <= 0:
        return
    period = 1.0 / args.new_rate
    tasks = set()
    nxt = time.monotonic()
    while not stop.is_set():
        task = asyncio.ensure_future(probe_once(args, stats))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        nxt += period
        delay = nxt - time.monotonic()
        if delay < 0:
            nxt = time.monotonic()
            delay = 0
        try:
            await asyncio.wait_for(stop.wait(), delay)
        except asyncio.TimeoutError:
            pass
    if tasks:
        await asyncio.wait(tasks, timeout=args.probe_timeout + 1)


async def sampler(args, stats, stop):
    while not stop.is_set():
        t = now()
        open_ = alive = stalled = 0
        for rec in list(stats.live.values()):
            if rec['est_t'] is None:
                continue
            open_ += 1
            if rec['last_byte_t'] is not None and t - rec['last_byte_t'] <= args.alive_age:
                alive += 1
            if rec['stalls'] and rec['stalls'][-1]['recovered_t'] is None:
                stalled += 1
        stats.samples.append([round(t, 3), open_, alive, stalled])
        if args.status_file and len(stats.samples) % max(1, int(1.0 / args.sample)) == 0:
            with open(args.status_file + '.tmp', 'w', encoding='ascii') as fd:
                # sports: the source ports of the open connections (the benchmark asks the router which director
                # its multipath hash sends each one to)
                fd.write(json.dumps({'t': t, 'open': open_, 'alive': alive, 'stalled': stalled,
                                     'conns': len(stats.conns), 'probes': len(stats.probes),
                                     'sports': sorted(rec['sport'] for rec in stats.live.values()
                                                      if rec['est_t'] is not None and rec['sport'])}))
            os.rename(args.status_file + '.tmp', args.status_file)
        try:
            await asyncio.wait_for(stop.wait(), args.sample)
        except asyncio.TimeoutError:
            pass


async def main_async(args):
    stats = Stats()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.duration:
        loop.call_later(args.duration, stop.set)
    started = now()
    if args.ready_file:
        # written once every slot has had time to connect: the controller waits for it
        loop.call_later(args.ramp + 1.0, lambda: open(args.ready_file, 'w', encoding='ascii').write('%f\n' % now()))
    tasks = [asyncio.ensure_future(slot_loop(args, stats, i, stop)) for i in range(args.conns)]
    tasks.append(asyncio.ensure_future(prober(args, stats, stop)))
    tasks.append(asyncio.ensure_future(sampler(args, stats, stop)))
    await stop.wait()
    await asyncio.wait(tasks, timeout=args.probe_timeout + 3)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    result = {
        'started': started, 'stopped': now(), 'host': socket.gethostname(),
        'params': {k: v for k, v in vars(args).items() if k not in ('out', 'ready_file', 'status_file')},
        'conns': stats.conns, 'probes': stats.probes, 'samples': stats.samples,
    }
    tmp = args.out + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as fd:
        json.dump(result, fd, separators=(',', ':'))
    os.rename(tmp, args.out)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--vip', required=True)
    p.add_argument('--port', type=int, default=80)
    p.add_argument('--path', default='/')
    p.add_argument('--conns', type=int, default=200)
    p.add_argument('--interval', type=float, default=0.2)
    p.add_argument('--stall', type=float, default=2.0)
    p.add_argument('--abort', type=float, default=20.0)
    p.add_argument('--reconnect', type=float, default=1.0)
    p.add_argument('--ramp', type=float, default=5.0)
    p.add_argument('--new-rate', type=float, default=20.0)
    p.add_argument('--probe-timeout', type=float, default=2.0)
    p.add_argument('--sample', type=float, default=0.1)
    p.add_argument('--alive-age', type=float, default=1.0)
    p.add_argument('--duration', type=float, default=0)
    p.add_argument('--slow', type=float, default=0.3, help='log requests slower than this (seconds)')
    p.add_argument('--ready-file')
    p.add_argument('--status-file', help='rewritten every second with the latest sample (JSON)')
    p.add_argument('--out', required=True)
    asyncio.run(main_async(p.parse_args()))


if __name__ == '__main__':
    main()
