"""How a message physically reaches a broadcast endpoint: the one module that talks to the
outside, one function per adapter kind. Each takes many (key, endpoint, body) at once and
returns {key: error or ""}, so a fan-out to thousands of loudspeakers is one call per kind.

HTTP: POST application/json over asyncio streams, many in flight at once (a slow or dead
gateway costs one timeout, not a worker). MQTT: one connection, QoS 1, acknowledged
publishes. File: write-then-rename below the drop root, so a reader never sees half a file.
"""

import asyncio
import contextlib
import os
import socket
import ssl
import threading
import uuid
from urllib.parse import urlsplit

from shuxiang.warnings import conf


def _request(parts, body: bytes) -> bytes:
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    head = (
        f"POST {target} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nUser-Agent: shuxiang-warnings/1\r\nConnection: close\r\n\r\n"
    ).encode("latin-1")
    return head + body


def _status(status_line: bytes) -> str:
    fields = status_line.decode("latin-1").strip().split(" ", 2)
    if len(fields) < 2 or not fields[1].isdigit():
        return "终端应答不是有效的 HTTP 响应"
    code = int(fields[1])
    if 200 <= code < 300:
        return ""
    reason = fields[2] if len(fields) > 2 else ""
    return f"终端返回 HTTP {code} {reason}".strip()


async def _post_plain(loop, address, data: bytes) -> str:
    """http://: a non-blocking socket driven by the loop directly (no transport/protocol objects),
    which is what lets one worker thread push thousands of messages a second."""
    sock = socket.socket(address[0], socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        await loop.sock_connect(sock, address[4])
        await loop.sock_sendall(sock, data)
        received = b""
        while b"\r\n" not in received:
            chunk = await loop.sock_recv(sock, 4096)
            if not chunk:
                break
            received += chunk
        return _status(received.split(b"\r\n", 1)[0])
    finally:
        sock.close()


async def _post_tls(parts, port, data: bytes) -> str:
    writer = None
    try:
        reader, writer = await asyncio.open_connection(parts.hostname, port, ssl=ssl.create_default_context())
        writer.write(data)
        await writer.drain()
        return _status(await reader.readline())
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError):
                await writer.wait_closed()


async def _post(url: str, body: bytes, timeout: float, resolved: dict) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "推送地址无效"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    data = _request(parts, body)
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            if parts.scheme == "https":
                return await _post_tls(parts, port, data)
            key = (parts.hostname, port)
            if key not in resolved:  # one lookup per gateway host per batch
                resolved[key] = asyncio.ensure_future(
                    loop.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
                )
            infos = await resolved[key]
            for info in infos[:-1]:  # e.g. localhost → ::1 refused, then 127.0.0.1
                try:
                    return await _post_plain(loop, info, data)
                except ConnectionRefusedError:
                    continue
            return await _post_plain(loop, infos[-1], data)
    except TimeoutError:
        return f"终端在{timeout:g}秒内无应答"
    except ConnectionRefusedError:
        return "连接被拒绝（终端未开机或端口未监听）"
    except socket.gaierror:
        return f"无法解析终端地址 {parts.hostname}"
    except (OSError, ssl.SSLError) as exc:
        return f"网络错误：{exc.__class__.__name__} {exc}"[:300]


def send_http(items, *, timeout=None, concurrency=None) -> dict:
    """items: [(key, url, body)] → {key: "" if 2xx else the reason}."""
    timeout = timeout or conf.http_timeout()
    limit = asyncio.Semaphore(concurrency or conf.concurrency()) if items else None

    async def one(key, url, body, resolved):
        async with limit:
            return key, await _post(url, body, timeout, resolved)

    async def all_of():
        resolved = {}
        return dict(await asyncio.gather(*(one(k, u, b, resolved) for k, u, b in items)))

    return asyncio.run(all_of()) if items else {}


def send_mqtt(items, *, timeout=None) -> dict:
    """items: [(key, topic, body)] published at QoS 1 on one connection to MQTT_URL."""
    if not items:
        return {}
    url = conf.mqtt_url()
    if not url:
        return {k: "未配置 MQTT 服务器（MQTT_URL）" for k, _, _ in items}
    import paho.mqtt.client as mqtt

    timeout = timeout or conf.http_timeout()
    parts = urlsplit(url)
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=f"shuxiang-warnings-{uuid.uuid4().hex[:8]}"
    )
    if parts.username:
        client.username_pw_set(parts.username, parts.password)
    if parts.scheme == "mqtts":
        client.tls_set()
    connected = threading.Event()
    client.on_connect = lambda c, u, f, rc, p=None: connected.set()
    try:
        client.connect(
            parts.hostname or "127.0.0.1", parts.port or (8883 if parts.scheme == "mqtts" else 1883)
        )
    except OSError as exc:
        return {k: f"无法连接 MQTT 服务器：{exc}"[:300] for k, _, _ in items}
    client.loop_start()
    try:
        if not connected.wait(timeout):
            return {k: "MQTT 服务器无应答" for k, _, _ in items}
        infos = [(k, client.publish(topic, body, qos=1)) for k, topic, body in items]
        results = {}
        for key, info in infos:
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError) as exc:
                results[key] = f"MQTT 发布失败：{exc}"[:300]
                continue
            results[key] = "" if info.is_published() else "MQTT 发布未获确认"
        return results
    finally:
        client.loop_stop()
        client.disconnect()


def send_file(items) -> dict:
    """items: [(key, directory, (name, body))] written below the drop root."""
    root = conf.drop_root().resolve()
    results = {}
    for key, directory, (name, body) in items:
        target_dir = (root / directory).resolve()
        if root not in target_dir.parents and target_dir != root:
            results[key] = "投递目录超出投递根目录"
            continue
        try:
            target_dir.mkdir(parents=True, exist_ok=True)
            tmp = target_dir / f".{name}.{uuid.uuid4().hex}.tmp"
            tmp.write_bytes(body)
            os.replace(tmp, target_dir / name)
            results[key] = ""
        except OSError as exc:
            results[key] = f"写入失败：{exc}"[:300]
    return results
