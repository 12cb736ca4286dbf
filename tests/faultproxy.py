"""Provides `FaultProxy`: a TCP proxy on loopback that breaks connections on purpose, deterministically from a seed.

The CI kernel has no netem (research/ci-machine.md), so the network's faults are made here,
toxiproxy-style, between the server and a device. Each accepted connection draws one fault from
`Faults` with a generator seeded by (seed, connection number), so a failing run can be replayed:

- `drop`: closed at once, before a byte is forwarded (a refused or dropped connection);
- `reset`: forwarded until `cut` bytes of the answer, then reset (RST), mid-body;
- `truncate`: forwarded until `cut` bytes of the answer, then closed cleanly (FIN): a short body;
- `stall`: forwarded until `cut` bytes of the answer, then silence both ways, the connection open;
- `cut_request`: the request is forwarded until `cut` bytes, then the connection is reset (an
  interrupted upload; drawn once per connection);
- and on every connection, `latency` seconds (uniform in the range) before each chunk either way.

Past each cut with no fault, the next fault is drawn, so a long keep-alive connection keeps meeting
them. `proxy.faults = Faults()` stops injecting; `kill_all()` resets the open connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from collections import Counter
from dataclasses import dataclass

KINDS = ("drop", "reset", "truncate", "stall", "cut_request")


@dataclass(frozen=True)
class Faults:
    drop: float = 0.0
    reset: float = 0.0
    truncate: float = 0.0
    stall: float = 0.0
    cut_request: float = 0.0
    latency: tuple[float, float] = (0.0, 0.0)  # s added before each chunk
    cut: tuple[int, int] = (1, 64 * 1024)  # bytes forwarded before a reset, truncate, stall or cut request

    def draw(self, rng: random.Random) -> str:
        roll, edge = rng.random(), 0.0
        for kind in KINDS:
            edge += getattr(self, kind)
            if roll < edge:
                return kind
        return "pass"


class FaultProxy:
    def __init__(
        self, upstream_port: int, seed: int = 0, faults: Faults | None = None, host: str = "127.0.0.1"
    ) -> None:
        self.upstream = (host, upstream_port)
        self.seed = seed
        self.faults = faults or Faults()
        self.injected: Counter[str] = Counter()
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, port: int = 0) -> FaultProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        self.kill_all()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def kill_all(self) -> None:
        """Reset every open connection (both sides), as a cable pulled would."""
        for writer in list(self._open):
            _reset(writer)
        self._open.clear()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.get_running_loop().create_task(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        number, self.connections = self.connections, self.connections + 1
        rng = random.Random(f"{self.seed}:{number}")
        kind = self.faults.draw(rng)
        if kind == "drop":
            self.injected[kind] += 1
            _reset(client_out)
            return
        try:
            upstream_in, upstream_out = await asyncio.open_connection(*self.upstream)
        except OSError:
            _reset(client_out)
            return
        self._open |= {client_out, upstream_out}
        ended: list[str] = []
        pumps = [
            asyncio.create_task(self._pump(client_in, upstream_out, rng, "cut_request" if kind == "cut_request" else "pass",
                                           ("cut_request",), ended, redraw=False)),
            asyncio.create_task(self._pump(upstream_in, client_out, rng, "pass" if kind == "cut_request" else kind,
                                           ("reset", "truncate", "stall"), ended)),
        ]  # fmt: skip
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            for writer in (client_out, upstream_out):
                self._open.discard(writer)
                if ended and ended[0] in ("reset", "cut_request"):
                    _reset(writer)
                else:
                    with contextlib.suppress(OSError, RuntimeError):
                        writer.close()

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, rng: random.Random, kind: str,
        mine: tuple[str, ...], ended: list[str], redraw: bool = True,
    ) -> None:  # fmt: skip
        """Forward until EOF, or until the fault due at the next cut; past each cut the next fault is drawn.

        A long keep-alive connection thus keeps meeting faults (drawn from the proxy's current
        `faults`, so setting clean ones stops them), not only at its start. Requests are cut only
        where the connection drew it (`redraw` off): one upload in N is cut, not every long one.
        """
        sent, next_cut = 0, rng.randint(*self.faults.cut)
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while chunk := await source.read(16 * 1024):
                latency = self.faults.latency
                if latency[1] > 0:
                    await asyncio.sleep(rng.uniform(*latency))
                while sent + len(chunk) >= next_cut:
                    if kind in mine:
                        self.injected[kind] += 1
                        ended.append(kind)
                        sink.write(chunk[: max(0, next_cut - sent)])
                        with contextlib.suppress(OSError):
                            await sink.drain()
                        if kind == "stall":
                            await asyncio.Event().wait()  # silence until the client gives up (cancelled then)
                        return
                    if redraw:
                        kind = self.faults.draw(rng)
                        kind = "reset" if kind == "drop" else kind
                    next_cut += rng.randint(*self.faults.cut)
                sink.write(chunk)
                await sink.drain()
                sent += len(chunk)
        # One side closed (HTTP does not half-close): the whole connection ends, what was read is forwarded.


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with an RST, not a FIN: SO_LINGER on, zero seconds."""
    sock = writer.get_extra_info("socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
