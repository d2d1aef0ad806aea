#!/usr/bin/env python3
"""A gRPC server and client (python3-grpcio) for meshd's h2 router tests.

    grpc_peer.py server [--fail-first N]
        Serves helloworld.Greeter on 127.0.0.1 (an OS-chosen port, printed as the first line):
          SayHello        unary: "Hello <name>"; the first N calls answer UNAVAILABLE
          SayHelloLate    the same, but a failure sends its headers first, so grpc-status
                          comes in the trailers (not a trailers-only response)
          LotsOfReplies   server streaming: <name> replies "reply <i>"
          LotsOfGreetings client streaming: the names joined with ","
          BidiHello       bidirectional: "hi <name>" for each name, as it arrives
          Fail            unary: aborts with the status code named by the request (e.g. "5")
          StreamThenFail  server streaming, request "N,CODE,MS[,SIZE]": N replies (padded
                          with "." to SIZE bytes), a pause of MS milliseconds, then status
                          CODE (in the trailers, after the data)
        Runs until stdin closes or SIGTERM. Messages are raw bytes (no protobuf needed).

    grpc_peer.py client HOST:PORT CALL [ARG]
        Makes one call through HOST:PORT and prints the outcome as one JSON line:
        {"code": "OK", "replies": [...], "details": "..."}. StreamThenFail adds
        "success_class": the l5d-success-class trailer meshd appended ("" if none).
"""

import json
import signal
import sys
import threading
import time
from concurrent import futures

import grpc

SERVICE = "helloworld.Greeter"


class Greeter:
    def __init__(self, fail_first):
        self.lock = threading.Lock()
        self.fail_left = fail_first
        self.calls = 0

    def say_hello(self, request, context):
        with self.lock:
            self.calls += 1
            failing = self.fail_left > 0
            if failing:
                self.fail_left -= 1
        if failing:
            context.abort(grpc.StatusCode.UNAVAILABLE, "not yet")
        return b"Hello " + request

    def say_hello_late(self, request, context):
        with self.lock:
            self.calls += 1
            failing = self.fail_left > 0
            if failing:
                self.fail_left -= 1
        if failing:
            context.send_initial_metadata(())
            context.abort(grpc.StatusCode.UNAVAILABLE, "not yet")
        return b"Hello " + request

    def lots_of_replies(self, request, context):
        for i in range(int(request.decode())):
            yield b"reply %d" % i

    def lots_of_greetings(self, request_iterator, context):
        return b",".join(request_iterator)

    def bidi_hello(self, request_iterator, context):
        for name in request_iterator:
            yield b"hi " + name


def stream_then_fail(request, context):
    fields = request.decode().split(",")
    count, code, pause_ms = fields[:3]
    size = int(fields[3]) if len(fields) > 3 else 0
    for i in range(int(count)):
        reply = b"reply %d" % i
        yield reply + b"." * max(0, size - len(reply))
    time.sleep(int(pause_ms) / 1000.0)
    if int(code) != 0:
        context.abort(_code(code.encode()), "failed after the data")


def _code(request):
    number = int(request.decode())
    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code
    return grpc.StatusCode.UNKNOWN


def serve(fail_first):
    greeter = Greeter(fail_first)
    handlers = {
        "SayHello": grpc.unary_unary_rpc_method_handler(greeter.say_hello),
        "SayHelloLate": grpc.unary_unary_rpc_method_handler(greeter.say_hello_late),
        "LotsOfReplies": grpc.unary_stream_rpc_method_handler(greeter.lots_of_replies),
        "LotsOfGreetings": grpc.stream_unary_rpc_method_handler(greeter.lots_of_greetings),
        "BidiHello": grpc.stream_stream_rpc_method_handler(greeter.bidi_hello),
        "Fail": grpc.unary_unary_rpc_method_handler(
            lambda request, context: context.abort(_code(request), "failed on purpose")),
        "StreamThenFail": grpc.unary_stream_rpc_method_handler(stream_then_fail),
    }
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    stop.wait()
    server.stop(0)


def call(target, name, arg):
    replies = []
    extra = {}
    with grpc.insecure_channel(target) as channel:
        method = "/%s/%s" % (SERVICE, name)
        try:
            if name in ("SayHello", "SayHelloLate", "Fail"):
                replies.append(channel.unary_unary(method)(arg.encode(), timeout=10))
            elif name == "LotsOfReplies":
                replies.extend(channel.unary_stream(method)(arg.encode(), timeout=10))
            elif name == "StreamThenFail":
                stream = channel.unary_stream(method)(arg.encode(), timeout=10)
                try:
                    replies.extend(stream)
                finally:
                    trailers = dict(stream.trailing_metadata() or ())
                    extra["success_class"] = trailers.get("l5d-success-class", "")
            elif name == "LotsOfGreetings":
                names = (n.encode() for n in arg.split(","))
                replies.append(channel.stream_unary(method)(names, timeout=10))
            elif name == "BidiHello":
                names = (n.encode() for n in arg.split(","))
                replies.extend(channel.stream_stream(method)(names, timeout=10))
            else:
                replies.append(channel.unary_unary("/" + name)(arg.encode(), timeout=10))
            out = {"code": "OK", "replies": [r.decode() for r in replies], "details": ""}
        except grpc.RpcError as e:
            out = {"code": e.code().name, "replies": [r.decode() for r in replies],
                   "details": e.details() or ""}
    out.update(extra)
    print(json.dumps(out), flush=True)


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "server":
        fail_first = int(sys.argv[3]) if len(sys.argv) >= 4 and sys.argv[2] == "--fail-first" else 0
        serve(fail_first)
    elif len(sys.argv) >= 4 and sys.argv[1] == "client":
        call(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) >= 5 else "")
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
