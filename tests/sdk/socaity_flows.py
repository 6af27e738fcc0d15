"""The `socaity` SDK's README flows against the mock (gate and backend pointed at it by
APIPOD_GATE_URL and SOCAITY_BACKEND_URL, the key by SOCAITY_API_KEY; see run.py).

Each flow is a function returning a one-line figure; it raises on any mismatch.
"""
from __future__ import annotations

import hashlib

import mockctl as m
from mockctl import expect


def run_and_save():
    """README: client.run("speechcraft/text2voice", text=..., voice=...).get_result().save(...)."""
    from socaity import client

    job = client.run("speechcraft/text2voice", text="Welcome to generative AI", voice="hermine")
    job.get_result().save("welcome.mp3")

    codec, seconds, rate = m.audio_facts("welcome.mp3")
    expect(codec == "mp3", f"welcome.mp3 is {codec}, not MP3")
    expect(0.4 <= seconds <= 0.7 and rate == 16000, f"{seconds:.2f} s at {rate} Hz, not the mock's 0.5 s tone")
    job_id = job.platform_job_id
    seen = m.job(job_id)
    expect(seen["target"] == "speechcraft/text2voice", seen["target"])
    expect(seen["input"] == {"text": "Welcome to generative AI", "voice": "hermine"}, seen["input"])
    # What the SDK asked, in order: the catalog (the whole target misses, the service hits), the
    # form submit, one status poll, then the gate's status stream, then the audio file.
    log = m.get("/__mock/requests")
    catalog = [r["url"].split("?")[0] for r in log if "/v1/catalog/services/" in r["url"]]
    expect(catalog[-2:] == ["/socaity/v1/catalog/services/speechcraft/text2voice",
                            "/socaity/v1/catalog/services/speechcraft"], catalog)
    about = [f'{r["method"]} {r["url"].split("?")[0]}' for r in log if job_id in r["url"]]
    expect(about == [f"GET /socaity/status/{job_id}", f"GET /socaity/stream/{job_id}",
                     f"GET /files/{job_id}.wav"], about)
    submit = [r for r in log if r["url"].startswith("/socaity/services/v1/speechcraft/text2voice")][-1]
    expect(submit["headers"].get("content-type") == "application/x-www-form-urlencoded", submit["headers"])
    size = len(open("welcome.mp3", "rb").read())
    return f"welcome.mp3 {size} B MP3 {seconds:.2f} s; requests: 2 catalog, submit, 1 poll, 1 status stream, wav"


def submit_image():
    """client.run("face2face/swap", faces=..., media=<image file>): a multipart upload."""
    from socaity import client

    png = m.png_bytes("sdk-face")
    with open("face.png", "wb") as f:
        f.write(png)
    job = client.run("face2face/swap", faces="me", media="face.png")
    result = job.get_result()
    received = {r["name"]: r for r in result["received"]}
    part = received["media"]
    digest = hashlib.sha256(png).hexdigest()
    expect(part["sha256"] == digest, f"mock got {part['sha256']}, sent {digest}")
    expect(part["size"] == len(png), part)
    seen = m.job(job.platform_job_id)
    expect(seen["input"].get("faces") == "me", seen["input"])
    submit = m.requests_about("/socaity/services/v1/face2face/swap")[-1]
    expect(submit["headers"]["content-type"].startswith("multipart/form-data"), submit["headers"])
    return f"face.png {len(png)} B as multipart part 'media' ({part.get('content_type')}), sha256 equal"


def track_by_id():
    """client.track_job(job_id): re-attach to a running job by its id and get its result."""
    from socaity import client

    first = client.run("speechcraft/text2voice", text="track me",
                       mock=m.mock_param(queue_ms=300, duration_ms=1500))
    job_id = m.submitted_id(first)
    tracked = client.track_job(job_id)
    result = tracked.get_result()
    codec = type(result).__name__
    expect(codec == "AudioFile", f"tracked result is {codec}")
    expect(tracked.platform_job_id == job_id, tracked.platform_job_id)
    first.get_result()
    # The tracked job reads the gate's routes (no service in its URL).
    paths = [r["url"] for r in m.requests_about(job_id)]
    expect(f"/socaity/status/{job_id}" in paths, paths)
    return f"track_job({job_id[:12]}…) → AudioFile; {len(paths)} requests about the job"


def cancel():
    """client.cancel_job(id[, action]): the gateway answers the envelope; the running job learns
    it on its status stream.

    Not `job.cancel()` on a gate job: fastsdk 0.4.26 first closes the job's own status stream,
    which fails its Streaming task ("Job status stream ended before a terminal status"), so the job
    ends FAILED and no cancel is sent (see the fastsdk flow for `job.cancel()` on a polled job)."""
    from meseex.mr_meseex import TerminationState
    from socaity import client

    long = m.mock_param(duration_ms=20_000)
    a = client.run("speechcraft/text2voice", text="cancel me", mock=long)
    a_id = m.submitted_id(a)
    m.wait_for(lambda: m.requests_about(f"/stream/{a_id}"))  # a follows its status stream
    summary = client.cancel_job(a_id)
    expect(summary.get("status") == "cancelled" and summary.get("job_id") == a_id, summary)
    expect(m.job(a_id)["cancelled_at_ms"] is not None, "the mock job was not cancelled")
    m.wait_for(lambda: a.is_terminal, timeout_s=10)
    expect(a.termination_state == TerminationState.CANCELLED, f"job a ended {a.termination_state}")

    b = client.run("speechcraft/text2voice", text="interrupt me", mock=long)
    b_id = m.submitted_id(b)
    summary = client.cancel_job(b_id, action="interrupt")
    expect(summary.get("status") == "cancelled" and summary.get("job_id") == b_id, summary)
    posts = [r["url"] for r in m.get("/__mock/requests") if r["method"] == "POST" and "/cancel/" in r["url"]]
    expect(posts[-2:] == [f"/socaity/cancel/{a_id}?action=cancel", f"/socaity/cancel/{b_id}?action=interrupt"], posts)
    return ("cancel_job(id) → POST /cancel/{id}?action=cancel → cancelled, the running job CANCELLED "
            "by its status stream; action=interrupt → cancelled")


def stream():
    """job.stream(): the output records of the gate's status stream, then the result."""
    from socaity import client
    from fastsdk.service_interaction.response.sse_assembly import chunk_text

    job = client.run("speechcraft/text2voice", text="stream me",
                     mock=m.mock_param(queue_ms=100, stream={"interval_ms": 60}))
    chunks = [chunk_text(c) for c in job.stream()]
    text = "".join(chunks)
    expect(text == "This is a streamed answer from polyjob-mock.", repr(text))
    # The terminal `event: job` record carries the text as `result`. The SDK validates that record
    # from JSON, where its `result` union tries FileModel first and FileModel takes any string: a
    # text result read from the status stream comes back wrapped (polled, it stays a str).
    result = job.get_result()
    content = getattr(result, "content", result)
    expect(content == text, f"result {result!r}")
    job_id = job.platform_job_id
    streams = [r for r in m.requests_about(job_id) if "/stream/" in r["url"]]
    expect(len(streams) == 1, f"{len(streams)} stream requests")
    return f"{len(chunks)} chunks on the one status stream → {text!r}"


FLOWS = {
    "socaity: run + save the audio (README)": run_and_save,
    "socaity: submit an image to face2face/swap": submit_image,
    "socaity: track a job by id": track_by_id,
    "socaity: cancel by id (cancel_job, action=cancel|interrupt)": cancel,
    "socaity: stream the output": stream,
}
