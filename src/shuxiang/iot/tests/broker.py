"""A private Mosquitto for tests: real broker, own port and persistence dir, restartable."""

import signal
import socket
import subprocess
import time
from pathlib import Path

CONFIG = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence true
persistence_location {dir}/
max_queued_messages 0
max_inflight_messages 0
log_dest file {dir}/mosquitto.log
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    def __init__(self, directory: Path):
        self.dir = directory
        directory.chmod(0o777)  # mosquitto started as root drops to its own user, which must write here
        self.port = free_port()
        self.conf = directory / "mosquitto.conf"
        self.conf.write_text(CONFIG.format(port=self.port, dir=directory))
        self.proc = None

    @property
    def url(self):
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self):
        self.proc = subprocess.Popen(
            ["mosquitto", "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self):
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)  # mosquitto saves its persistence file on SIGTERM
            self.proc.wait(10)
            self.proc = None

    def restart(self):
        self.stop()
        self.start()
