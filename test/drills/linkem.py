#!/usr/bin/env python3
"""Userspace link emulator for the fault drills.

The kernels these drills run on may lack sch_netem (tc netem), so each drill host gets a TUN device
whose other end is this process: it routes IPv4 packets between hosts by destination address and
applies per-host impairments (random loss, fixed delay, blackhole) to packets entering and leaving
that host's link, like netem on the host's interface in both directions.

Commands arrive as JSON lines on stdin, answers leave as JSON lines on stdout:
  {"id": 1, "op": "add", "host": "w1", "dev": "ed123w1", "ip": "10.213.4.2"}
  {"id": 2, "op": "set", "host": "w1", "loss": 0.05, "delayMs": 100, "blackhole": false}
  {"id": 3, "op": "stats"}
stdin closing ends the process, and with it every TUN device it created.
"""
import fcntl
import heapq
import json
import os
import random
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


class Link:
    def __init__(self, host, dev, ip):
        self.host = host
        self.dev = dev
        self.ip = ip
        self.loss = 0.0
        self.delay = 0.0
        self.blackhole = False
        self.fd = os.open('/dev/net/tun', os.O_RDWR | os.O_NONBLOCK)
        fcntl.ioctl(self.fd, TUNSETIFF, struct.pack('16sH', dev.encode(), IFF_TUN | IFF_NO_PI))
        self.sent = 0
        self.dropped = 0

    def drops(self):
        return self.blackhole or (self.loss > 0 and random.random() < self.loss)


def main():
    links = {}      # host -> Link
    by_fd = {}      # fd -> Link
    by_ip = {}      # packed IPv4 address -> Link
    queue = []      # (release time, seq, link, packet)
    seq = 0
    stdin = sys.stdin.fileno()
    buf = b''

    def answer(obj):
        sys.stdout.write(json.dumps(obj) + '\n')
        sys.stdout.flush()

    def command(line):
        req = json.loads(line)
        rid = req.get('id')
        op = req.get('op')
        try:
            if op == 'add':
                link = Link(req['host'], req['dev'], req['ip'])
                links[link.host] = link
                by_fd[link.fd] = link
                by_ip[bytes(int(x) for x in link.ip.split('.'))] = link
                answer({'id': rid, 'ok': True})
            elif op == 'set':
                link = links[req['host']]
                link.loss = float(req.get('loss', 0))
                link.delay = float(req.get('delayMs', 0)) / 1000.0
                link.blackhole = bool(req.get('blackhole', False))
                answer({'id': rid, 'ok': True})
            elif op == 'stats':
                answer({'id': rid, 'ok': True, 'stats': {h: {'sent': l.sent, 'dropped': l.dropped} for h, l in links.items()}})
            else:
                answer({'id': rid, 'ok': False, 'error': 'unknown op %r' % op})
        except Exception as err:  # report, keep routing
            answer({'id': rid, 'ok': False, 'error': '%s: %s' % (type(err).__name__, err)})

    def deliver(link, packet):
        try:
            os.write(link.fd, packet)
            link.sent += 1
        except OSError:
            pass  # the interface is down or gone: the packet is lost, like on a wire

    while True:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, link, packet = heapq.heappop(queue)
            deliver(link, packet)
        timeout = max(0.0, queue[0][0] - now) if queue else None
        readable, _, _ = select.select([stdin] + list(by_fd), [], [], timeout)
        for fd in readable:
            if fd == stdin:
                chunk = os.read(stdin, 65536)
                if not chunk:
                    return
                buf += chunk
                while b'\n' in buf:
                    line, buf = buf.split(b'\n', 1)
                    if line.strip():
                        command(line)
                continue
            src = by_fd[fd]
            for _ in range(64):
                try:
                    packet = os.read(fd, 65536)
                except BlockingIOError:
                    break
                except OSError:
                    # the device went away (its namespace was deleted)
                    del by_fd[fd]
                    break
                if len(packet) < 20 or packet[0] >> 4 != 4:
                    continue  # IPv4 only
                dst = by_ip.get(bytes(packet[16:20]))
                if dst is None:
                    continue
                if src.drops() or dst.drops():
                    src.dropped += 1
                    continue
                delay = src.delay + dst.delay
                if delay <= 0:
                    deliver(dst, packet)
                else:
                    seq += 1
                    heapq.heappush(queue, (time.monotonic() + delay, seq, dst, packet))


if __name__ == '__main__':
    main()
