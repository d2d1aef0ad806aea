#!/usr/bin/env python3
"""A scripted HTTP/2 (h2c, prior knowledge) server for the meshd HTTP/2 client tests.

    client_server.py

Listens on two loopback ports chosen by the OS and prints them as its first line,
`<port> <limited_port>`; the second one advertises SETTINGS_MAX_CONCURRENT_STREAMS = 1. Exits when
stdin closes (the test ends) or on SIGTERM.

The behaviour of a stream is chosen by its path (the query string only tags it in the log):

  /echo           after the request ends: 200 with a text body describing what arrived
                  (method, scheme, authority, path, fields, body, trailers), content-length set
  /trailers       200, body "hello", trailers grpc-status: 0 and grpc-message: ok
  /refuse         RST_STREAM REFUSED_STREAM
  /rst-cancel     RST_STREAM CANCEL, before any response
  /rst-mid-body   200, body "partial", then RST_STREAM INTERNAL_ERROR
  /cancel-mid-body  200, body "partial", then RST_STREAM CANCEL
  /cancel-mid-body-once  the first stream of each path: as /cancel-mid-body; later ones: as /echo
  /close-mid-body 200, body "partial", then the connection closes
  /goaway         GOAWAY(NO_ERROR) with a last stream id below this stream's
  /refuse-once    the first stream of each path (query included): RST_STREAM REFUSED_STREAM;
                  later ones: as /echo
  /goaway-once    the first stream of each path: as /goaway; later ones: as /echo
  /hold           200 and body "x", then the stream stays open
  /hold-nohead    nothing: the stream stays open without a response
  /sink           200 at once; the request body is never acknowledged (its window stays shut)
  /big-headers    200 with a header list of ~20 KB
  /flood          a response header block split over 40 CONTINUATION frames
  /stall          200 and body "x", then the server stops reading (and so answering PINGs)
  /padded         200 and 100 DATA frames of 2000 bytes ("p"), each with 256 bytes of padding
                  (the pad length field and 255 bytes), sent as the client's windows allow
  /log            200 with the event log: `request <path>`, `reset <path> <code>`,
                  `sink <path> <bytes>` and `setting <id>=<value>` (each SETTINGS entry a
                  client sent, id in decimal) lines
"""

import os
import signal
import socket
import sys
import threading
import time

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings
import hpack
from hyperframe.frame import ContinuationFrame, HeadersFrame

LOG = []
SINK = {}
ONCE = set()  # paths of the /refuse-once and /goaway-once streams already refused
LOCK = threading.Lock()


def log(line):
    with LOCK:
        LOG.append(line)


def describe(stream):
    lines = [
        'method ' + stream['method'],
        'scheme ' + stream['scheme'],
        'authority ' + stream['authority'],
        'path ' + stream['path'],
    ]
    for name, value in stream['fields']:
        lines.append('field ' + name + ': ' + value)
    for name, value in stream['trailers']:
        lines.append('trailer ' + name + ': ' + value)
    lines.append('body ' + bytes(stream['body']).decode('latin-1'))
    return ('\n'.join(lines) + '\n').encode('latin-1')


class Connection:
    def __init__(self, sock, max_streams):
        self.sock = sock
        config = h2.config.H2Configuration(client_side=False, header_encoding='latin-1')
        self.conn = h2.connection.H2Connection(config=config)
        self.max_streams = max_streams
        self.streams = {}
        self.padded = {}  # stream id -> DATA frames still to send
        self.closed = False

    def run(self):
        self.conn.initiate_connection()
        if self.max_streams:
            self.conn.update_settings(
                {h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: self.max_streams})
        self.flush()
        try:
            while not self.closed:
                data = self.sock.recv(65536)
                if not data:
                    break
                for event in self.conn.receive_data(data):
                    self.handle(event)
                    if self.closed:
                        break
                self.send_padded()
                self.flush()
        except (OSError, h2.exceptions.ProtocolError):
            pass
        finally:
            self.sock.close()

    def flush(self):
        data = self.conn.data_to_send()
        if data and not self.closed:
            self.sock.sendall(data)

    def handle(self, event):
        if isinstance(event, h2.events.RequestReceived):
            headers = dict(event.headers)
            stream = {
                'method': headers.get(':method', ''),
                'scheme': headers.get(':scheme', ''),
                'authority': headers.get(':authority', '(none)'),
                'path': headers.get(':path', ''),
                'fields': [(n, v) for n, v in event.headers if not n.startswith(':')],
                'trailers': [],
                'body': bytearray(),
            }
            self.streams[event.stream_id] = stream
            log('request ' + stream['path'])
            self.on_request(event.stream_id, stream)  # StreamEnded follows if it ended
        elif isinstance(event, h2.events.DataReceived):
            stream = self.streams.get(event.stream_id)
            if stream is None:
                return
            if self.route(stream) == '/sink':
                with LOCK:
                    SINK[stream['path']] = SINK.get(stream['path'], 0) + len(event.data)
                return  # never acknowledged: the client's window stays shut
            stream['body'] += event.data
            self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.TrailersReceived):
            self.streams[event.stream_id]['trailers'] = list(event.headers)
        elif isinstance(event, h2.events.StreamEnded):
            self.on_end(event.stream_id)
        elif isinstance(event, h2.events.RemoteSettingsChanged):
            for code, change in event.changed_settings.items():
                log('setting %d=%d' % (int(code), change.new_value))
        elif isinstance(event, h2.events.StreamReset):
            stream = self.streams.get(event.stream_id)
            if stream is not None:
                log('reset %s %d' % (stream['path'], int(event.error_code)))

    @staticmethod
    def route(stream):
        return stream.get('route') or stream['path'].split('?')[0]

    def respond(self, sid, status, headers=(), body=None, end=True):
        self.conn.send_headers(sid, [(':status', str(status))] + list(headers),
                               end_stream=end and body is None)
        if body is not None:
            self.conn.send_data(sid, body, end_stream=end)

    def on_request(self, sid, stream):
        route = self.route(stream)
        if route == '/trailers':
            self.respond(sid, 200, [('content-type', 'application/grpc')], b'hello', end=False)
            self.conn.send_headers(sid, [('grpc-status', '0'), ('grpc-message', 'ok')],
                                   end_stream=True)
        elif route == '/refuse':
            self.conn.reset_stream(sid, h2.errors.ErrorCodes.REFUSED_STREAM)
        elif route == '/rst-cancel':
            self.conn.reset_stream(sid, h2.errors.ErrorCodes.CANCEL)
        elif route in ('/rst-mid-body', '/cancel-mid-body'):
            self.respond(sid, 200, body=b'partial', end=False)
            self.conn.reset_stream(sid, h2.errors.ErrorCodes.INTERNAL_ERROR
                                   if route == '/rst-mid-body' else h2.errors.ErrorCodes.CANCEL)
        elif route == '/close-mid-body':
            self.respond(sid, 200, body=b'partial', end=False)
            self.flush()
            self.closed = True
        elif route == '/goaway':
            self.conn.close_connection(error_code=0, last_stream_id=max(0, sid - 2))
        elif route in ('/refuse-once', '/goaway-once', '/cancel-mid-body-once'):
            with LOCK:
                first = stream['path'] not in ONCE
                ONCE.add(stream['path'])
            if not first:
                stream['route'] = '/echo'
            elif route == '/refuse-once':
                self.conn.reset_stream(sid, h2.errors.ErrorCodes.REFUSED_STREAM)
            elif route == '/cancel-mid-body-once':
                self.respond(sid, 200, body=b'partial', end=False)
                self.conn.reset_stream(sid, h2.errors.ErrorCodes.CANCEL)
            else:
                self.conn.close_connection(error_code=0, last_stream_id=max(0, sid - 2))
        elif route == '/hold':
            self.respond(sid, 200, body=b'x', end=False)
        elif route == '/sink':
            self.respond(sid, 200, end=False)
        elif route == '/big-headers':
            fields = [('x-big-%d' % i, 'v' * 1000) for i in range(20)]
            self.respond(sid, 200, fields, body=b'never')
        elif route == '/flood':
            self.flood(sid)
        elif route == '/padded':
            self.respond(sid, 200, end=False)
            self.padded[sid] = 100
            self.send_padded()
        elif route == '/stall':
            self.respond(sid, 200, body=b'x', end=False)
            self.flush()
            time.sleep(5)  # neither reading nor answering PINGs
            self.closed = True

    def send_padded(self):
        for sid, left in list(self.padded.items()):
            while left > 0 and self.conn.local_flow_control_window(sid) >= 2256:
                left -= 1
                self.conn.send_data(sid, b'p' * 2000, end_stream=left == 0, pad_length=255)
            self.padded[sid] = left
            if left == 0:
                del self.padded[sid]

    def flood(self, sid):
        self.flush()
        # A valid header block (literals only, so the client's HPACK table is untouched),
        # split into a HEADERS frame and 40 CONTINUATION frames.
        block = hpack.Encoder().encode(
            [hpack.NeverIndexedHeaderTuple(':status', '200'),
             hpack.NeverIndexedHeaderTuple('x-flood', 'f' * 400)], huffman=False)
        pieces = [block[i:i + 10] for i in range(0, len(block), 10)]
        frames = [HeadersFrame(sid, data=pieces[0])]
        for i, piece in enumerate(pieces[1:]):
            frame = ContinuationFrame(sid, data=piece)
            if i == len(pieces) - 2:
                frame.flags.add('END_HEADERS')
            frames.append(frame)
        self.sock.sendall(b''.join(f.serialize() for f in frames))
        self.closed = True

    def on_end(self, sid):
        stream = self.streams[sid]
        route = self.route(stream)
        if route == '/echo':
            body = describe(stream)
            self.respond(sid, 200, [('content-length', str(len(body)))], body)
        elif route == '/log':
            with LOCK:
                lines = LOG + ['sink %s %d' % kv for kv in SINK.items()]
            self.respond(sid, 200, body=('\n'.join(lines) + '\n').encode('latin-1'))


def serve(listener, max_streams):
    while True:
        try:
            sock, _ = listener.accept()
        except OSError:
            return
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=Connection(sock, max_streams).run, daemon=True).start()


def listen():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(('127.0.0.1', 0))
    listener.listen(64)
    return listener


def main():
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    plain = listen()
    limited = listen()
    for listener, max_streams in ((plain, 0), (limited, 1)):
        threading.Thread(target=serve, args=(listener, max_streams), daemon=True).start()
    print(plain.getsockname()[1], limited.getsockname()[1], flush=True)
    sys.stdin.read()  # until the test closes our stdin
    os._exit(0)


if __name__ == '__main__':
    main()
