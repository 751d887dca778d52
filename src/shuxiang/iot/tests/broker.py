"""A private Mosquitto for tests: real broker, own port and persistence dir, restartable.

`Broker(dir, dynsec=True)` starts it with the dynamic security plugin instead of anonymous access:
only the admin client (`admin_url`) exists at first, as `mosquitto_ctrl dynsec init` would create it.
"""

import base64
import hashlib
import json
import secrets
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

DYNSEC_PLUGIN = Path("/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so")
DYNSEC_CONFIG = """\
allow_anonymous false
plugin {plugin}
plugin_opt_config_file {dir}/dynamic-security.json
"""
ADMIN_TOPIC = "$CONTROL/dynamic-security/#"


def dynsec_password(password: str) -> dict:
    """The plugin's stored form of a password: PBKDF2-SHA512 over the decoded salt, both base64."""
    salt = secrets.token_bytes(12)
    iterations = 101
    key = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return {
        "password": base64.b64encode(key).decode(),
        "salt": base64.b64encode(salt).decode(),
        "iterations": iterations,
    }


def dynsec_initial(admin: str, password: str) -> dict:
    """What `mosquitto_ctrl dynsec init FILE admin password` writes: one admin client, deny by default."""
    acls = [
        {"acltype": t, "topic": topic, "allow": True}
        for t, topic in [
            ("publishClientSend", ADMIN_TOPIC),
            ("publishClientReceive", ADMIN_TOPIC),
            ("subscribePattern", ADMIN_TOPIC),
            ("publishClientReceive", "#"),
            ("subscribePattern", "#"),
            ("unsubscribePattern", "#"),
        ]
    ]
    return {
        "clients": [{"username": admin, "roles": [{"rolename": "admin"}], **dynsec_password(password)}],
        "roles": [{"rolename": "admin", "acls": acls}],
        "defaultACLAccess": {
            "publishClientSend": False,
            "publishClientReceive": True,
            "subscribe": False,
            "unsubscribe": True,
        },
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    def __init__(self, directory: Path, *, dynsec: bool = False):
        self.dir = directory
        directory.chmod(0o777)  # mosquitto started as root drops to its own user, which must write here
        self.port = free_port()
        self.conf = directory / "mosquitto.conf"
        config = CONFIG.format(port=self.port, dir=directory)
        self.admin_password = ""
        if dynsec:
            self.admin_password = secrets.token_urlsafe(12)
            state = directory / "dynamic-security.json"
            state.write_text(json.dumps(dynsec_initial("admin", self.admin_password), indent=1))
            state.chmod(0o666)
            config = config.replace("allow_anonymous true\n", "") + DYNSEC_CONFIG.format(
                plugin=DYNSEC_PLUGIN, dir=directory
            )
        self.conf.write_text(config)
        self.proc = None

    @property
    def url(self):
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def admin_url(self):
        return f"mqtt://admin:{self.admin_password}@127.0.0.1:{self.port}"

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
