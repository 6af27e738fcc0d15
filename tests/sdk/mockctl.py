"""What the SDK flows need from the mock besides the SDKs themselves: its URLs, its key, and its
introspection (`/__mock/jobs/{id}`, `/__mock/requests`), read with the standard library only.

The mock is `$POLYJOB_MOCK_URL` (loopback only: anything else is refused).
"""
from __future__ import annotations

import json
import os
import time
import urllib.parse
import urllib.request

MOCK_URL = os.environ.get("POLYJOB_MOCK_URL", "").rstrip("/")
KEY = os.environ.get("POLYJOB_MOCK_KEY", "test-key")
# The gate and the backend, as the socaity SDK is pointed at them (APIPOD_GATE_URL,
# SOCAITY_BACKEND_URL): both under the mock's /socaity prefix.
SOCAITY = f"{MOCK_URL}/socaity"


def check_loopback() -> None:
    host = urllib.parse.urlparse(MOCK_URL).hostname
    if not MOCK_URL or host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"POLYJOB_MOCK_URL must be a loopback URL, got {MOCK_URL!r}")


def get(path: str, timeout: float = 10.0):
    """GET `path` on the mock (no credentials), parsed as JSON."""
    with urllib.request.urlopen(f"{MOCK_URL}{path}", timeout=timeout) as r:
        return json.loads(r.read())


def get_bytes(url: str, timeout: float = 10.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


def job(job_id: str) -> dict:
    return get(f"/__mock/jobs/{job_id}")


def requests_about(fragment: str) -> list:
    """The logged requests whose path (with query) contains `fragment`, oldest first."""
    return [r for r in get("/__mock/requests") if fragment in r["url"]]


def wait_for(what, timeout_s: float = 20.0, every_s: float = 0.05):
    """Calls `what()` until it returns something truthy (then returns it), at most `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = what()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(every_s)


def submitted_id(job, timeout_s: float = 20.0) -> str:
    """The platform job id of an SDK job handle once its submit was answered."""
    return wait_for(lambda: getattr(job, "platform_job_id", None), timeout_s)


def mock_param(**scenario) -> str:
    """The `mock` parameter the mock's service documents declare: the scenario as JSON text."""
    return json.dumps(scenario)


def png_bytes(stem: str = "sdk-face") -> bytes:
    """A real PNG (64x64) from the mock's file route."""
    return get_bytes(f"{MOCK_URL}/files/{stem}.png")


def audio_facts(path: str) -> tuple:
    """(container format, seconds, sample rate) of an audio file, decoded with PyAV (an SDK
    dependency)."""
    import av

    with av.open(path) as f:
        stream = f.streams.audio[0]
        samples = sum(frame.samples for frame in f.decode(stream))
        return f.format.name, samples / stream.rate, stream.rate


def expect(cond: bool, msg: str) -> None:
    if not cond:
        raise AssertionError(msg)
