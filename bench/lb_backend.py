#!/usr/bin/env python3
"""Test backends for bench/balancers.sh: N HTTP/1.1 keep-alive servers in one asyncio process.

  lb_backend.py --count 10 [--slow INDEX --slow-ms 50] [--failing INDEX --error-rate 0.1]

Listens on N loopback ports chosen by the OS, prints "ports p1 p2 ..." once listening, and
answers every request with 200 "ok" (backend INDEX of --slow after --slow-ms; backend INDEX of
--failing with 500 for that share of requests, at random). Exits when stdin closes.
"""
import argparse
import asyncio
import random
import sys

OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
FAIL = b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nfail"


def handler(delay, error_rate):
    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:].strip())
                if length:
                    await reader.readexactly(length)
                if delay:
                    await asyncio.sleep(delay)
                writer.write(FAIL if error_rate and random.random() < error_rate else OK)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
    return handle


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--slow", type=int, default=-1)
    ap.add_argument("--slow-ms", type=float, default=50)
    ap.add_argument("--failing", type=int, default=-1)
    ap.add_argument("--error-rate", type=float, default=0.1)
    a = ap.parse_args()
    servers = []
    for i in range(a.count):
        delay = a.slow_ms / 1000.0 if i == a.slow else 0
        rate = a.error_rate if i == a.failing else 0
        servers.append(await asyncio.start_server(handler(delay, rate), "127.0.0.1", 0,
                                                  backlog=1024))
    ports = [s.sockets[0].getsockname()[1] for s in servers]
    print("ports " + " ".join(map(str, ports)), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main())
