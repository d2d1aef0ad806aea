#!/usr/bin/env python3
"""Runs nghttpd (package nghttp2-server) for the meshd HTTP/2 client tests.

    client_nghttpd.py [--tls]

Creates a document root with `small.txt` ("hello from nghttpd\\n") and `big.bin` (4 MiB, byte i
is i % 251), starts `nghttpd` on a free loopback port (h2c prior knowledge, or TLS with ALPN h2
and a throw-away self-signed certificate for `--tls`), waits until it accepts connections and
prints the port as its first line. Stops nghttpd and removes its files when stdin closes or on
SIGTERM. Prints `unavailable <reason>` instead when nghttpd or openssl is missing or fails.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BIG_SIZE = 4 * 1024 * 1024


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_ready(proc, port, limit=5.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def make_docroot(root):
    with open(os.path.join(root, 'small.txt'), 'wb') as f:
        f.write(b'hello from nghttpd\n')
    pattern = bytes(i % 251 for i in range(251 * 1024))
    data = (pattern * (BIG_SIZE // len(pattern) + 1))[:BIG_SIZE]
    with open(os.path.join(root, 'big.bin'), 'wb') as f:
        f.write(data)


def make_cert(root):
    key = os.path.join(root, 'key.pem')
    cert = os.path.join(root, 'cert.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
                    'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert,
                    '-days', '1', '-subj', '/CN=localhost',
                    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return key, cert


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--tls', action='store_true')
    args = parser.parse_args()
    nghttpd = shutil.which('nghttpd') or ('/usr/sbin/nghttpd'
                                         if os.path.exists('/usr/sbin/nghttpd') else None)
    if nghttpd is None:
        print('unavailable nghttpd not installed', flush=True)
        sys.stdin.read()
        return
    root = tempfile.mkdtemp(prefix='meshd-nghttpd-')
    proc = None

    def stop(*_):
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(root, ignore_errors=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        docs = os.path.join(root, 'htdocs')
        os.mkdir(docs)
        make_docroot(docs)
        tls_args = ['--no-tls']
        if args.tls:
            tls_args = list(make_cert(root))
        for _ in range(5):  # the free port may be taken before nghttpd binds it
            port = free_port()
            cmd = [nghttpd, '-a', '127.0.0.1', '-d', docs]
            if args.tls:
                cmd += [str(port)] + tls_args
            else:
                cmd += tls_args + [str(port)]
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            if wait_ready(proc, port):
                break
            proc.kill()
            proc.wait()
            proc = None
        if proc is None:
            print('unavailable nghttpd did not start', flush=True)
        else:
            print(port, flush=True)
        sys.stdin.read()
    except (OSError, subprocess.CalledProcessError) as e:
        print('unavailable %s' % e, flush=True)
        sys.stdin.read()
    stop()


if __name__ == '__main__':
    main()
