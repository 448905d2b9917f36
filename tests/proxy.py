"""A TCP proxy the tests control: cut, reset or slow down a server's connections.

Fault tests point a server at the proxy instead of its real target (the action
server's BACKEND_URL, the backend's DATABASE_URL, Rasa's Redis) and break the
link between them, instead of stopping the machine's shared PostgreSQL or
Redis. The proxy runs an asyncio loop in a daemon thread; its controls are
plain methods, safe to call from sync tests and other threads:

- `cut()`: close every live connection and refuse new ones (the port is
  closed, so connecting fails at once, as with a server that is down);
- `restore()`: listen again on the same port, with no delay;
- `reset()`: abort every live connection with a TCP RST, keep accepting;
- `delay(seconds)`: hold every chunk of data that long before forwarding it;
- `point_at(host, port)`: send new connections to another target (a server
  that took over from one that stopped).
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from dataclasses import dataclass
from typing import Any, Coroutine, Optional, Set, TypeVar

from tests.servers import free_port

T = TypeVar("T")
CHUNK = 64 * 1024


@dataclass(eq=False)
class _Link:
    """One client connection and its connection to the target."""

    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter

    def close(self, rst: bool = False) -> None:
        for writer in (self.client, self.upstream):
            if rst:
                sock = writer.get_extra_info("socket")
                if sock is not None:
                    # Linger on, timeout 0: close() sends RST instead of FIN.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()


class Proxy:
    def __init__(self, target_host: str, target_port: int, port: Optional[int] = None) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = port or free_port()
        self.accepted = 0  # connections taken since start (to check traffic went through)
        self._delay = 0.0
        self._links: Set[_Link] = set()
        self._server: Optional[asyncio.AbstractServer] = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def address(self) -> str:
        """host:port, to put in a URL where the target's address was."""
        return f"127.0.0.1:{self.port}"

    @property
    def live(self) -> int:
        """Connections open through the proxy right now."""
        return len(self._links)

    def start(self) -> "Proxy":
        self._thread.start()
        self._call(self._listen())
        return self

    def stop(self) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def cut(self) -> None:
        self._call(self._cut())

    def restore(self) -> None:
        self._delay = 0.0
        self._call(self._listen())

    def reset(self) -> None:
        self._call(self._drop(rst=True))

    def delay(self, seconds: float) -> None:
        self._delay = seconds

    def point_at(self, host: str, port: int) -> None:
        self.target_host, self.target_port = host, port

    def __enter__(self) -> "Proxy":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    async def _listen(self) -> None:
        if self._server is None:
            # reuse_address: the port just closed by cut() can be bound again.
            self._server = await asyncio.start_server(
                self._serve, "127.0.0.1", self.port, reuse_address=True
            )

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        await self._drop(rst=False)

    async def _drop(self, rst: bool) -> None:
        for link in list(self._links):
            link.close(rst=rst)
        self._links.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            writer.transport.abort()  # the target is down: so is the proxy
            return
        link = _Link(writer, up_writer)
        self._links.add(link)
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self._links.discard(link)
            link.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    # Half-close: the other side may still answer (HTTP, PostgreSQL).
                    if writer.can_write_eof() and not writer.is_closing():
                        writer.write_eof()
                    return
                if self._delay:
                    await asyncio.sleep(self._delay)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError, RuntimeError):
            return  # the link was cut or reset: both sides are closed by _serve
