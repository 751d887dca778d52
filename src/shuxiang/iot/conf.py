"""Telemetry settings, read from the environment (see shuxiang.conf for the helpers)."""

from shuxiang.conf import env_int, env_str

# Raw readings older than this are deleted by the nightly retention task; rollups stay.
RETENTION_DAYS = env_int("SHUXIANG_IOT_RETENTION_DAYS", 730)
# A reading may be stamped at most this far ahead of the server clock (RTU clocks drift).
FUTURE_TOLERANCE_SECONDS = env_int("SHUXIANG_IOT_FUTURE_SECONDS", 300)
# A device with no contact for this long is shown as offline.
OFFLINE_AFTER_MINUTES = env_int("SHUXIANG_IOT_OFFLINE_MINUTES", 30)
# MQTT listener: messages held in memory at most (backpressure beyond), and per database batch.
# One worker thread: a second one overlaps database waits but costs more in contention for the
# interpreter lock than it saves (docs/benchmarks.md); scale with processes (`--processes`).
MQTT_QUEUE_SIZE = env_int("SHUXIANG_MQTT_QUEUE", 4000)
MQTT_BATCH_SIZE = env_int("SHUXIANG_MQTT_BATCH", 1000)
MQTT_WORKERS = env_int("SHUXIANG_MQTT_WORKERS", 1)
# Batches at least this large go through COPY on PostgreSQL; smaller ones through one INSERT.
COPY_THRESHOLD = env_int("SHUXIANG_IOT_COPY_THRESHOLD", 64)
# Admin client of Mosquitto's dynamic security plugin (mqtt://admin:password@host:1883): device accounts are
# then written into the broker. Empty: not provisioned, `shuxiang device add` prints the commands instead.
MQTT_ADMIN_URL = env_str("SHUXIANG_MQTT_ADMIN_URL", "")
# Seconds to wait for the broker when provisioning (a registration waits this long at most).
MQTT_ADMIN_TIMEOUT = env_int("SHUXIANG_MQTT_ADMIN_TIMEOUT", 5)
