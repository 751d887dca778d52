"""A real S3-compatible server for tests: moto's standalone server (the same HTTP API MinIO and the clouds
speak), started in this process on a free port; the code under test talks to it over HTTP through boto3."""

import contextlib
import socket
import uuid

ACCESS_KEY = "shuxiang-test"
SECRET_KEY = "shuxiang-test-secret"
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def s3_server():
    """Yields the endpoint URL of a running S3-compatible server; stopped afterwards."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def client(endpoint: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )


def new_bucket(endpoint: str) -> str:
    name = f"shuxiang-{uuid.uuid4().hex[:10]}"
    client(endpoint).create_bucket(Bucket=name)
    return name


def env(endpoint: str, bucket: str) -> dict[str, str]:
    """The environment variables an installation sets to keep its uploads in `bucket` (docs/operations.md)."""
    return {
        "SHUXIANG_S3_BUCKET": bucket,
        "SHUXIANG_S3_ENDPOINT_URL": endpoint,
        "SHUXIANG_S3_REGION": REGION,
        "SHUXIANG_S3_ACCESS_KEY": ACCESS_KEY,
        "SHUXIANG_S3_SECRET_KEY": SECRET_KEY,
    }


def objects(endpoint: str, bucket: str) -> dict[str, bytes]:
    s3 = client(endpoint)
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            found[item["Key"]] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
    return found
