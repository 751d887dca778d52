"""What every TCP front end (SL 651, JT/T 808, HJ 212) does the same way around its own `serve()`: run its
asyncio loop until stopped, start in a thread for tests and benches, and stop from another thread.

A server sets `thread_name`, `label` (for the error), `ready` (a threading.Event set once listening),
`loop` and `server` (set by `serve()`), and `pools()` (its thread pools, shut down when the loop ends).
"""

import asyncio
import contextlib
import threading


class ThreadedServer:
    thread_name = "tcp-server"
    label = "TCP"

    def pools(self) -> list:
        return [self.pool]

    def run(self):
        try:
            asyncio.run(self.serve())
        except asyncio.CancelledError:
            pass
        finally:
            for pool in self.pools():
                pool.shutdown(wait=True)

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, daemon=True, name=self.thread_name)
        thread.start()
        if not self.ready.wait(10):
            raise RuntimeError(f"{self.label} server did not start")
        return thread

    def shutdown(self):
        """Stop from another thread: close the listener and cancel every task, inside the loop."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return

        def stop():
            if self.server is not None:
                self.server.close()
            for task in asyncio.all_tasks(loop):
                task.cancel()

        with contextlib.suppress(RuntimeError):  # the loop closed in the meantime
            loop.call_soon_threadsafe(stop)
