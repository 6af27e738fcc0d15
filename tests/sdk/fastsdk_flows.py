"""The `fastsdk` README flows against the mock: `fastsdk.connect(<service URL>)`, which discovers
the service's OpenAPI document, then `submit_job`. The gateway needs a key, so `connect` gets
`api_key=` (the README's local APIPod has none).

Each flow is a function returning a one-line figure; it raises on any mismatch.
"""
from __future__ import annotations

import hashlib

import mockctl as m
from mockctl import expect


def service_url(slug: str) -> str:
    return f"{m.SOCAITY}/services/v1/{slug}"


def connect_submit_save():
    """README: fastsdk.connect(url) + submit_job("/text2voice", text=...) + get_result().save()."""
    import fastsdk

    client = fastsdk.connect(service_url("speechcraft"), api_key=m.KEY)
    job = client.submit_job("/text2voice", text="hello world")
    audio = job.get_result()
    audio.save("hello.mp3")
    codec, seconds, rate = m.audio_facts("hello.mp3")
    expect(codec == "mp3" and 0.4 <= seconds <= 0.7, f"{codec} {seconds:.2f} s")
    job_id = job.platform_job_id
    expect(m.job(job_id)["input"] == {"text": "hello world"}, m.job(job_id)["input"])
    log = m.get("/__mock/requests")
    # Discovery: GET the service URL (not a document: 401), then the conventional names, in
    # parallel batches; openapi.json answers.
    docs = [r["url"] for r in log if r["url"].startswith("/socaity/services/v1/speechcraft/openapi")]
    expect("/socaity/services/v1/speechcraft/openapi.json" in docs, docs)
    polls = [r["url"] for r in log if job_id in r["url"] and "/status/" in r["url"]]
    expect(polls and all(p == f"/status/{job_id}" for p in polls), polls)
    return f"openapi.json discovered; hello.mp3 MP3 {seconds:.2f} s after {len(polls)} polls of links.status"


def submit_image():
    """fastsdk.connect(face2face) + submit_job("swap", faces=..., media=<image file>)."""
    import fastsdk

    png = m.png_bytes("sdk-fastsdk-face")
    with open("face.png", "wb") as f:
        f.write(png)
    client = fastsdk.connect(service_url("face2face"), api_key=m.KEY)
    result = client.submit_job("swap", faces="me", media="face.png").get_result()
    part = {r["name"]: r for r in result["received"]}["media"]
    expect(part["sha256"] == hashlib.sha256(png).hexdigest(), part)
    return f"face.png {len(png)} B uploaded as 'media', sha256 equal"


def cancel():
    """job.cancel() on a fastsdk job: POST links.cancel answers the envelope."""
    import fastsdk

    client = fastsdk.connect(service_url("speechcraft"), api_key=m.KEY)
    job = client.submit_job("text2voice", text="cancel me", mock=m.mock_param(duration_ms=60_000))
    job_id = m.submitted_id(job)
    answer = job.cancel()
    expect(getattr(answer, "status", None) == "cancelled", repr(answer))
    expect(m.job(job_id)["cancelled_at_ms"] is not None, "not cancelled on the mock")
    posts = [r["url"] for r in m.requests_about(job_id) if r["method"] == "POST"]
    expect(posts == [f"/cancel/{job_id}"], posts)
    return f"POST {posts[0].replace(job_id, '{id}')} → cancelled"


def stream():
    """job.stream() on a fastsdk (APIPod) job: a GET of links.stream once the poll shows it."""
    import fastsdk
    from fastsdk.service_interaction.response.sse_assembly import chunk_text

    client = fastsdk.connect(service_url("speechcraft"), api_key=m.KEY)
    job = client.submit_job("text2voice", text="stream me",
                            mock=m.mock_param(queue_ms=100, stream={"interval_ms": 60}))
    text = "".join(chunk_text(c) for c in job.stream())
    expect(text == "This is a streamed answer from polyjob-mock.", repr(text))
    expect(job.get_result() == text, "result differs from the stream")
    return f"links.stream → {text!r}"


def catalog_matches_document():
    """The catalog's contract is what apipod_registry parses from the service's OpenAPI document."""
    from apipod_registry import materialize_contract
    from socaity import client

    def shape(contract):
        out = []
        for e in contract.endpoints:
            params = []
            for p in e.parameters:
                defs = p.definition if isinstance(p.definition, list) else [p.definition]
                params.append((p.name, p.location, p.required, tuple((d.type, d.format) for d in defs)))
            out.append((e.operation_key, e.path, e.method, e.request_body_content_type, tuple(params)))
        return out

    compared = 0
    for slug in ("face2face", "speechcraft", "flux-schnell"):
        doc = m.get(f"/socaity/services/v1/{slug}/openapi.json")
        parsed = materialize_contract(doc)
        service = client.get_service(slug)
        listed = service.details[0].contract
        expect(shape(parsed) == shape(listed), f"{slug}: {shape(parsed)} != {shape(listed)}")
        expect(parsed.has_job_queue and listed.has_job_queue and parsed.specification == "apipod", slug)
        keys = [e.operation_key for e in service.endpoints]
        expect(keys == [e.operation_key for e in parsed.endpoints], keys)
        compared += len(parsed.endpoints)
    return f"{compared} endpoints of 3 services: catalog contract == parsed OpenAPI"


FLOWS = {
    "fastsdk: connect + submit_job + save (README)": connect_submit_save,
    "fastsdk: submit an image to face2face/swap": submit_image,
    "fastsdk: cancel": cancel,
    "fastsdk: stream the output": stream,
    "catalog contract == OpenAPI document": catalog_matches_document,
}
