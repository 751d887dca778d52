"""Realistic readings for registered devices, published over MQTT as a field device would.

Each sensor key has a behaviour: reservoir level Z follows rainfall PJ with a
slow recession toward its start; supply voltage VT swings with the solar
charge; pump current, vibration and running hours follow the pump's state.
Unknown keys random-walk inside their valid range.
"""

import json
import random
import threading

import paho.mqtt.client as mqtt
from django.utils import timezone
from paho.mqtt.enums import CallbackAPIVersion

from shuxiang.iot.models import Device, Sensor
from shuxiang.iot.mqtt import parse_url, topic_for


class Simulator:
    def __init__(self, url, *, kind="", storm=False, seed=651):
        self.host, self.port, user, password = parse_url(url)
        self.rng = random.Random(seed)
        self.storm = storm
        devices = Device.objects.filter(is_active=True).order_by("code")
        if kind:
            devices = devices.filter(kind=kind)
        self.devices = list(devices)
        self.sensors = {}
        for s in Sensor.objects.filter(device__in=self.devices):
            self.sensors.setdefault(s.device_id, []).append(s)
        self.state = {}
        self.client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="")
        if user:
            self.client.username_pw_set(user, password)
        self.pending = threading.Semaphore(500)
        self.client.on_publish = lambda *a: self.pending.release()

    def connect(self):
        self.client.connect(self.host, self.port)
        self.client.loop_start()

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()

    def _next(self, device, sensor):
        key = (device.pk, sensor.key)
        rng = self.rng
        lo = sensor.min_value if sensor.min_value is not None else 0.0
        hi = sensor.max_value if sensor.max_value is not None else lo + 100
        current = self.state.get(key, sensor.last_value if sensor.last_value is not None else (lo + hi) / 2)
        if sensor.key == "PJ":
            rain = rng.random() < (0.6 if self.storm else 0.1)
            value = round(rng.uniform(2, 25) if self.storm and rain else rng.uniform(0, 3) if rain else 0, 1)
            self.state[(device.pk, "_rain")] = value
        elif sensor.key == "Z":
            rain = self.state.get((device.pk, "_rain"), 0)
            value = current + rain * 0.01 + (0.05 if self.storm else -0.005) + rng.gauss(0, 0.003)
        elif sensor.key == "VT":
            value = 12.6 + rng.gauss(0, 0.2)
        elif sensor.key == "RH":
            value = current + (1.0 if rng.random() < 0.5 else 0.0)
        elif sensor.key == "VIB":
            value = max(0.3, current + rng.gauss(0, 0.15))
        elif sensor.key == "I":
            value = max(0.0, current + rng.gauss(0, 1.5))
        else:
            value = current + rng.gauss(0, (hi - lo) * 0.01)
        value = min(max(value, lo), hi)
        self.state[key] = value
        return round(value, 3)

    def round(self) -> int:
        ts = int(timezone.now().timestamp() * 1000)
        sent = 0
        for device in self.devices:
            sensors = sorted(self.sensors.get(device.pk, []), key=lambda s: (s.key != "PJ", s.key))
            if not sensors:
                continue
            values = {s.key: self._next(device, s) for s in sensors}
            self.pending.acquire()
            self.client.publish(topic_for(device.code), json.dumps({"ts": ts, "values": values}), qos=1)
            sent += 1
        return sent
