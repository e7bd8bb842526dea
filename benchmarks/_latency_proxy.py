"""A TCP proxy that delivers every chunk of bytes a fixed time after it arrived, each way.

    python benchmarks/_latency_proxy.py 127.0.0.1 5432 1.0     # prints the port it listens on

``benchmarks/tenants.py --latency-ms N`` runs it in front of a local PostgreSQL, so that its
tenants talk to the server as they would over a network with that one-way latency (a
round trip costs 2N ms more), while the server still runs on this machine. Order within a
direction is kept and nothing is coalesced or dropped; a side that closes is closed on the
other side once what it sent has been delivered. Only the standard library; one process,
one event loop, stopped with SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys

CHUNK = 1 << 16


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Copy ``reader`` to ``writer``, each chunk ``delay`` seconds after it was read."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(deliver())
    try:
        while True:
            data = await reader.read(CHUNK)
            queue.put_nowait((loop.time() + delay, data))
            if not data:
                break
        await sender
    except (ConnectionError, OSError):
        sender.cancel()
    finally:
        with contextlib.suppress(ConnectionError, OSError):
            writer.close()


async def serve(host: str, port: int, delay: float) -> None:
    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection(host, port)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(
            _pump(client_r, server_w, delay),
            _pump(server_r, client_w, delay),
            return_exceptions=True,
        )

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: _latency_proxy.py TARGET_HOST TARGET_PORT ONE_WAY_DELAY_MS", file=sys.stderr)
        return 2
    host, port, delay_ms = argv[0], int(argv[1]), float(argv[2])
    asyncio.run(serve(host, port, delay_ms / 1000))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
