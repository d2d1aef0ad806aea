#!/usr/bin/env python3
"""Raw-frame HTTP/2 clients for the server tests (tests/unit/http2/server_*_test.cc).

    server_peer.py MODE PORT [ARGS...]

Each mode plays one scenario against the meshd HTTP/2 server on 127.0.0.1:PORT with frames
built by hyperframe and header blocks by hpack (so that it can misbehave on purpose), then
prints ONE line of `key=value` pairs (values without spaces) and waits for stdin to close, as
tests/testing/script_process.h expects. Every wait is bounded; a scenario that cannot finish
prints `error=<what>`.
"""

import socket
import sys
import time

import hpack
from hyperframe.frame import (ContinuationFrame, DataFrame, Frame, GoAwayFrame, HeadersFrame,
                              PingFrame, RstStreamFrame, SettingsFrame, WindowUpdateFrame)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
CANCEL = 0x8


class Closed(Exception):
    """The server closed (or reset) the connection."""


class Peer:
    """One HTTP/2 connection driven frame by frame."""

    everyone = []  # closed before the report, so the server sees every client leave

    def __init__(self, port, settings=None, handshake=True):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        Peer.everyone.append(self)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.enc = hpack.Encoder()
        self.dec = hpack.Decoder()
        self.dec.max_allowed_table_size = 65536
        self.buf = b""
        self.goaway = None  # (error_code, last_stream_id)
        self.closed = False
        self.server_settings = {}
        self.conn_window = 65535
        self.stream_windows = {}
        self.initial_window = 65535
        self.pongs = 0  # ACKs of our "syncsync" PINGs
        if handshake:
            self.send(PREFACE + SettingsFrame(0, settings=settings or {}).serialize())

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise Closed(str(e))

    def block(self, path, method="GET", extra=()):
        fields = [(":method", method), (":scheme", "http"), (":authority", "127.0.0.1"),
                  (":path", path)] + list(extra)
        return self.enc.encode(fields)

    def request(self, sid, path, method="GET", end=True, extra=()):
        flags = ["END_HEADERS"] + (["END_STREAM"] if end else [])
        self.stream_windows[sid] = self.initial_window
        return HeadersFrame(sid, self.block(path, method, extra), flags=flags).serialize()

    def _read_exact(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            except OSError:
                chunk = b""
            if not chunk:
                self.closed = True
                raise Closed("closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def next_frame(self, timeout=5.0):
        """The next frame (SETTINGS and PING answered, windows tracked), or None on timeout."""
        deadline = time.monotonic() + timeout
        header = self._read_exact(9, deadline)
        if header is None:
            return None
        frame, length = Frame.parse_frame_header(memoryview(header))
        body = self._read_exact(length, deadline + 5) if length else b""
        frame.parse_body(memoryview(body))
        if isinstance(frame, SettingsFrame) and "ACK" not in frame.flags:
            self.server_settings.update(frame.settings)
            if SettingsFrame.INITIAL_WINDOW_SIZE in frame.settings:
                new = frame.settings[SettingsFrame.INITIAL_WINDOW_SIZE]
                for sid in self.stream_windows:
                    self.stream_windows[sid] += new - self.initial_window
                self.initial_window = new
            self.send(SettingsFrame(0, flags=["ACK"]).serialize())
        elif isinstance(frame, PingFrame) and "ACK" not in frame.flags:
            self.send(PingFrame(0, opaque_data=frame.opaque_data, flags=["ACK"]).serialize())
        elif isinstance(frame, PingFrame) and frame.opaque_data == b"syncsync":
            self.pongs += 1
        elif isinstance(frame, GoAwayFrame):
            self.goaway = (frame.error_code, frame.last_stream_id)
        elif isinstance(frame, WindowUpdateFrame):
            if frame.stream_id == 0:
                self.conn_window += frame.window_increment
            elif frame.stream_id in self.stream_windows:
                self.stream_windows[frame.stream_id] += frame.window_increment
        return frame

    def drain_until_closed(self, timeout=5.0):
        """Reads frames until the server closes; True if it did within `timeout`."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.next_frame(deadline - time.monotonic())
        except Closed:
            return True
        return False

    def ping(self):
        """A PING whose ACK (counted in `pongs`) shows the server handled all sent before it."""
        return PingFrame(0, opaque_data=b"syncsync").serialize()

    def ping_pong(self, timeout=5.0):
        """Sends a PING and reads (and drops) frames until its ACK."""
        want = self.pongs + 1
        self.send(self.ping())
        deadline = time.monotonic() + timeout
        while self.pongs < want and time.monotonic() < deadline:
            self.next_frame(deadline - time.monotonic())
        if self.pongs < want:
            raise RuntimeError("no PING ACK")


class Exchange:
    """What one stream received."""

    def __init__(self):
        self.statuses = []
        self.data = b""
        self.rst = None
        self.trailers = None
        self.ended = False


def collect(peer, streams, timeout=5.0, until=None):
    """Reads frames into `streams` (id -> Exchange) until each ended or was reset."""
    deadline = time.monotonic() + timeout
    pending_block = {}
    while time.monotonic() < deadline:
        if until is None and all(e.ended or e.rst is not None for e in streams.values()):
            return True
        if until is not None and until():
            return True
        f = peer.next_frame(deadline - time.monotonic())
        if f is None:
            return False
        sid = f.stream_id
        if isinstance(f, (HeadersFrame, ContinuationFrame)):
            pending_block[sid] = pending_block.get(sid, b"") + f.data
            if "END_HEADERS" not in f.flags:
                continue
            fields = peer.dec.decode(pending_block.pop(sid))
            ex = streams.setdefault(sid, Exchange())
            status = [v for k, v in fields if k == ":status"]
            if status:
                ex.statuses.append(int(status[0]))
            else:
                ex.trailers = fields
        elif isinstance(f, DataFrame):
            streams.setdefault(sid, Exchange()).data += f.data
            if f.data:
                try:
                    peer.send(WindowUpdateFrame(0, window_increment=len(f.data)).serialize() +
                              WindowUpdateFrame(sid, window_increment=len(f.data)).serialize())
                except Closed:
                    pass  # the server may close once every stream is done
        elif isinstance(f, RstStreamFrame):
            streams.setdefault(sid, Exchange()).rst = f.error_code
            continue
        else:
            continue
        if "END_STREAM" in f.flags:
            streams[sid].ended = True
    return False


def out(**kv):
    for peer in Peer.everyone:
        peer.sock.close()
    print(" ".join("%s=%s" % (k, str(v).replace(" ", "_")) for k, v in kv.items()), flush=True)


# Scenarios.

def rapid_reset(port, count):
    """Opens and cancels `count` streams as fast as it can."""
    peer = Peer(port)
    sent = 0
    try:
        batch = b""
        for i in range(count):
            sid = 2 * i + 1
            batch += peer.request(sid, "/echo") + RstStreamFrame(sid, error_code=CANCEL).serialize()
            if (i + 1) % 50 == 0:
                peer.send(batch)
                sent = i + 1
                batch = b""
        peer.send(batch)
        sent = count
    except Closed:
        pass
    closed = peer.drain_until_closed()
    out(sent=sent, goaway=peer.goaway[0] if peer.goaway else "none", closed=int(closed))


def continuation_flood(port, count):
    """A HEADERS frame without END_HEADERS followed by `count` CONTINUATION frames."""
    peer = Peer(port)
    block = peer.block("/echo")
    try:
        peer.send(HeadersFrame(1, block, flags=[]).serialize())
        for _ in range(count):
            peer.send(ContinuationFrame(1, b"", flags=[]).serialize())
    except Closed:
        pass
    closed = peer.drain_until_closed()
    out(goaway=peer.goaway[0] if peer.goaway else "none", closed=int(closed))


def hpack_bomb(port):
    """Indexes one large field, then sends a block referencing it thousands of times."""
    peer = Peer(port)
    big = "a" * 4000
    peer.send(peer.request(1, "/echo", extra=[("x-big", big)]))
    first = {1: Exchange()}
    collect(peer, first)
    index = peer.enc.header_table.search(b"x-big", big.encode())
    if not index or index[0] < 62:
        out(error="x-big-not-indexed")
        return
    # Static-table fields and a literal not indexed, so the table is left as it is.
    block = b"\x82\x86\x84\x01\x09127.0.0.1" + bytes([0x80 | index[0]]) * 5000
    try:
        peer.send(HeadersFrame(3, block, flags=["END_HEADERS", "END_STREAM"]).serialize())
    except Closed:
        pass
    closed = peer.drain_until_closed()
    out(first=first[1].statuses[-1] if first[1].statuses else 0,
        goaway=peer.goaway[0] if peer.goaway else "none", closed=int(closed))


def big_headers(port, size):
    """One request whose header list is `size` bytes of value, then an ordinary one."""
    peer = Peer(port)
    peer.send(peer.request(1, "/echo", extra=[("x-large", "b" * size)]))
    peer.send(peer.request(3, "/echo"))
    streams = {1: Exchange(), 3: Exchange()}
    done = collect(peer, streams)
    s1, s3 = streams[1], streams[3]
    out(done=int(done), status1=s1.statuses[-1] if s1.statuses else 0,
        rst1=s1.rst if s1.rst is not None else "none",
        status3=s3.statuses[-1] if s3.statuses else 0)


def refused(port, count):
    """`count` held requests at once, before the server's SETTINGS could be acknowledged."""
    peer = Peer(port, handshake=False)
    data = PREFACE + SettingsFrame(0).serialize()
    for i in range(count):
        data += peer.request(2 * i + 1, "/hold")
    peer.send(data + peer.ping())
    streams = {2 * i + 1: Exchange() for i in range(count)}
    # The refusals come at once; the held streams answer once released (another connection).
    collect(peer, streams, until=lambda: peer.pongs > 0)
    other = Peer(port)
    other.send(other.request(1, "/release"))
    collect(other, {1: Exchange()})
    collect(peer, streams)
    refused_ids = [sid for sid, e in sorted(streams.items()) if e.rst == 0x7]
    ok = [sid for sid, e in sorted(streams.items()) if e.statuses and e.statuses[-1] == 200]
    out(refused=",".join(map(str, refused_ids)) or "none", ok=",".join(map(str, ok)) or "none")


def settings_flood(port, entries):
    """One SETTINGS frame with `entries` (unknown, distinct) parameters."""
    peer = Peer(port)
    try:
        peer.send(SettingsFrame(0, settings={0x100 + i: 1 for i in range(entries)}).serialize())
    except Closed:
        pass
    closed = peer.drain_until_closed()
    out(goaway=peer.goaway[0] if peer.goaway else "none", closed=int(closed))


def idle(port):
    """Opens a connection and waits for the server to close it."""
    start = time.monotonic()
    peer = Peer(port)
    closed = peer.drain_until_closed(timeout=8)
    out(goaway=peer.goaway[0] if peer.goaway else "none", closed=int(closed),
        ms=int((time.monotonic() - start) * 1000))


def send_body(peer, sid, body, wait):
    """Sends `body` on `sid` as the windows allow; returns (bytes sent when it first had to
    wait longer than `wait` seconds for a window, or -1; stream WINDOW_UPDATE increments)."""
    sent = 0
    blocked_at = -1
    updates = []
    max_frame = 16384
    while sent < len(body):
        room = min(peer.conn_window, peer.stream_windows[sid], max_frame, len(body) - sent)
        if room > 0:
            end = sent + room == len(body)
            peer.send(DataFrame(sid, body[sent:sent + room],
                                flags=["END_STREAM"] if end else []).serialize())
            peer.conn_window -= room
            peer.stream_windows[sid] -= room
            sent += room
            continue
        f = peer.next_frame(timeout=wait)
        if f is None:
            if blocked_at < 0:
                blocked_at = sent
                return blocked_at, updates
            raise RuntimeError("stalled")
        if isinstance(f, WindowUpdateFrame) and f.stream_id == sid:
            updates.append(f.window_increment)
    return blocked_at, updates


def flow(port, size):
    """POSTs `size` bytes to /hold: the server does not read until /release (from a second
    connection, once this one is stalled), then reads it all."""
    peer = Peer(port)
    peer.send(peer.request(1, "/hold", method="POST", end=False,
                           extra=[("content-length", str(size))]))
    body = b"z" * size
    blocked_at, updates = send_body(peer, 1, body, wait=0.3)
    other = Peer(port)
    other.send(other.request(1, "/release"))
    rel = {1: Exchange()}
    collect(other, rel)
    server_bytes = rel[1].data.decode()
    sent = blocked_at
    more_updates = []
    if blocked_at >= 0:
        # Carry on from where it stopped.
        rest = body[blocked_at:]
        while rest:
            room = min(peer.conn_window, peer.stream_windows[1], 16384, len(rest))
            if room > 0:
                end = room == len(rest)
                peer.send(DataFrame(1, rest[:room], flags=["END_STREAM"] if end else []).serialize())
                peer.conn_window -= room
                peer.stream_windows[1] -= room
                rest = rest[room:]
                sent += room
                continue
            f = peer.next_frame(timeout=5)
            if f is None:
                out(error="stalled-after-release", sent=sent)
                return
            if isinstance(f, WindowUpdateFrame) and f.stream_id == 1:
                more_updates.append(f.window_increment)
    streams = {1: Exchange()}
    collect(peer, streams)
    ex = streams[1]
    all_updates = updates + more_updates
    out(blocked_at=blocked_at, server_bytes=server_bytes,
        status=ex.statuses[-1] if ex.statuses else 0, body=ex.data.decode() or "none",
        updates=len(all_updates), min_update=min(all_updates) if all_updates else 0)


def reset_slow(peer):
    """Asks /slow on stream 1 and resets the stream once its interim response arrived; returns
    what stream 1 received."""
    peer.send(peer.request(1, "/slow"))
    streams = {1: Exchange()}
    collect(peer, streams, until=lambda: bool(streams[1].statuses))
    peer.send(RstStreamFrame(1, error_code=CANCEL).serialize())
    peer.ping_pong()
    return streams[1]


def cancel(port):
    """Cancels /slow once its interim response arrived."""
    first = reset_slow(Peer(port))
    out(interim=first.statuses[0] if first.statuses else 0)


def cancel_then_more(port):
    """Cancels /slow, prints `reset` and waits for a line on stdin (the test saw the service
    end), then asks /interim on the same connection."""
    peer = Peer(port)
    reset_slow(peer)
    print("reset", flush=True)
    sys.stdin.readline()
    peer.send(peer.request(3, "/interim"))
    second = {3: Exchange()}
    done = collect(peer, second)
    e = second[3]
    out(done=int(done), s3="%s/%s/%s" % ("-".join(map(str, e.statuses)) or "none",
                                         e.rst if e.rst is not None else "none",
                                         e.data.decode() or "none"))


def errors(port):
    """Streams that end without a normal response, and bodiless responses."""
    peer = Peer(port)
    paths = {1: ("/error/overloaded", "GET"), 3: ("/error/timeout", "GET"), 5: ("/broken", "GET"),
             7: ("/status/204", "GET"), 9: ("/echo", "HEAD"), 11: ("/interim", "GET"),
             13: ("/trailers", "GET")}
    data = b""
    for sid, (path, method) in paths.items():
        data += peer.request(sid, path, method=method)
    peer.send(data)
    streams = {sid: Exchange() for sid in paths}
    done = collect(peer, streams)

    def show(e):
        return "%s/%s/%s/%s" % ("-".join(map(str, e.statuses)) or "none",
                                e.rst if e.rst is not None else "none",
                                len(e.data), "t" if e.trailers else "n")
    out(done=int(done), **{"s%d" % sid: show(e) for sid, e in streams.items()})


def drain(port):
    """A held request, then /drain: GOAWAY, both streams finish, the connection closes."""
    peer = Peer(port)
    peer.send(peer.request(1, "/hold"))
    peer.ping_pong()
    peer.send(peer.request(3, "/drain"))
    streams = {1: Exchange(), 3: Exchange()}
    done = collect(peer, streams)
    closed = peer.drain_until_closed()
    out(done=int(done), s1=streams[1].statuses[-1] if streams[1].statuses else 0,
        s3=streams[3].statuses[-1] if streams[3].statuses else 0,
        goaway=peer.goaway[0] if peer.goaway else "none",
        last=peer.goaway[1] if peer.goaway else "none", closed=int(closed))


def slow_reader(port):
    """A 1 KB stream window that is never refilled, on an endless body."""
    peer = Peer(port, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 1024})
    peer.send(peer.request(1, "/infinite"))
    got = 0
    deadline = time.monotonic() + 5
    while got < 1024 and time.monotonic() < deadline:
        f = peer.next_frame(deadline - time.monotonic())
        if isinstance(f, DataFrame) and f.stream_id == 1:
            got += len(f.data)
    peer.ping_pong()
    other = Peer(port)
    other.send(other.request(1, "/count"))
    c = {1: Exchange()}
    collect(other, c)
    out(got=got, pieces=c[1].data.decode() or "none")


MODES = {
    "rapid_reset": lambda p, a: rapid_reset(p, int(a[0])),
    "continuation_flood": lambda p, a: continuation_flood(p, int(a[0])),
    "hpack_bomb": lambda p, a: hpack_bomb(p),
    "big_headers": lambda p, a: big_headers(p, int(a[0])),
    "refused": lambda p, a: refused(p, int(a[0])),
    "settings_flood": lambda p, a: settings_flood(p, int(a[0])),
    "idle": lambda p, a: idle(p),
    "flow": lambda p, a: flow(p, int(a[0])),
    "cancel": lambda p, a: cancel(p),
    "cancel_then_more": lambda p, a: cancel_then_more(p),
    "errors": lambda p, a: errors(p),
    "drain": lambda p, a: drain(p),
    "slow_reader": lambda p, a: slow_reader(p),
}


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    try:
        MODES[mode](port, sys.argv[3:])
    except Exception as e:  # reported to the test, which fails on it
        out(error=type(e).__name__ + ":" + str(e).replace(" ", "_"))
    sys.stdin.read()  # ScriptProcess closes stdin to end us


if __name__ == "__main__":
    main()
