// A stand-in for the mock's Socaity upload route, for bench/files.mjs when the mock providers
// server cannot take a large multipart body (`--target local`, or `auto` when the mock's probe
// fails): a Node http server, run as its own process, that reads each multipart body as it
// streams, hashes every part (SHA-256) without keeping its bytes, and answers like Socaity's
// submit (`202 {"job_id","status":"PENDING"}`). `GET /__mock/jobs/{id}` answers `{"id","parts"}`
// in the mock's shape (name, file_name, content_type, size, sha256), so the bench checks either
// target the same way. Prints `{"port":N}` once listening; exits by itself after --exit-after
// seconds (the bench also stops it by PID).
//
//   node bench/lib/upload-sink.mjs [--exit-after 600]
import { createServer } from "node:http";
import { createHash } from "node:crypto";

const argv = process.argv.slice(2);
const exitAfter = Number(argv[argv.indexOf("--exit-after") + 1] || 600);
setTimeout(() => process.exit(0), exitAfter * 1000);

const jobs = new Map();
let next = 0;

/** Feeds a multipart body chunk by chunk; `end()` returns the parts or throws on a malformed body. */
function multipart(boundary) {
  const delim = Buffer.from(`\r\n--${boundary}`);
  const parts = [];
  // The body starts with `--boundary` (no CRLF before it): prefix one so every delimiter is alike.
  let pending = Buffer.from("\r\n");
  let state = "preamble";
  let part = null;
  const startPart = (head) => {
    const text = head.toString("latin1");
    const header = (name) => new RegExp(`^${name}:\\s*(.*)$`, "im").exec(text)?.[1]?.trim() ?? null;
    const disposition = header("content-disposition") ?? "";
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? "";
    const fileName = /\bfilename="([^"]*)"/i.exec(disposition)?.[1] ?? null;
    part = { name, file_name: fileName, content_type: header("content-type"), size: 0, hash: createHash("sha256") };
  };
  const endPart = () => {
    parts.push({ name: part.name, file_name: part.file_name, content_type: part.content_type, size: part.size, sha256: part.hash.digest("hex") });
    part = null;
  };
  const feed = (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (;;) {
      if (state === "preamble" || state === "body") {
        const at = pending.indexOf(delim);
        if (at < 0) {
          // Keep a tail that may hold the start of a delimiter.
          const keep = Math.min(pending.length, delim.length - 1);
          if (state === "body" && pending.length > keep) {
            const data = pending.subarray(0, pending.length - keep);
            part.hash.update(data);
            part.size += data.length;
          }
          pending = Buffer.from(pending.subarray(pending.length - keep));
          return;
        }
        if (state === "body") {
          const data = pending.subarray(0, at);
          part.hash.update(data);
          part.size += data.length;
          endPart();
        }
        pending = pending.subarray(at + delim.length);
        state = "after-delimiter";
      } else if (state === "after-delimiter") {
        if (pending.length < 2) return;
        const two = pending.subarray(0, 2).toString("latin1");
        if (two === "--") {
          state = "done";
          return;
        }
        if (two !== "\r\n") throw new Error("malformed multipart body (no CRLF after a delimiter)");
        pending = pending.subarray(2);
        state = "headers";
      } else if (state === "headers") {
        const at = pending.indexOf("\r\n\r\n");
        if (at < 0) {
          if (pending.length > 16384) throw new Error("multipart part headers over 16 KiB");
          return;
        }
        startPart(pending.subarray(0, at));
        pending = pending.subarray(at + 4);
        state = "body";
      } else {
        return; // done: the epilogue is ignored
      }
    }
  };
  return {
    feed,
    end() {
      if (state !== "done") throw new Error(`multipart body ended in state ${state}`);
      return parts;
    },
  };
}

const json = (res, status, body) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
};

const server = createServer((req, res) => {
  const url = new URL(req.url, "http://sink");
  const jobPath = /^\/__mock\/jobs\/([^/]+)$/.exec(url.pathname);
  if (req.method === "GET" && jobPath) {
    const job = jobs.get(decodeURIComponent(jobPath[1]));
    return job ? json(res, 200, job) : json(res, 404, { error: "Job not found" });
  }
  if (req.method !== "POST" || !/^\/socaity\/v1\/[^/]+\/generate$/.test(url.pathname)) {
    req.resume();
    return json(res, 404, { detail: "Not Found" });
  }
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(req.headers["content-type"] || "");
  if (!boundary) {
    req.resume();
    return json(res, 422, { detail: "not a multipart body" });
  }
  const parser = multipart(boundary[1] ?? boundary[2].trim());
  let failed = null;
  req.on("data", (chunk) => {
    if (failed) return;
    try {
      parser.feed(chunk);
    } catch (e) {
      failed = e;
    }
  });
  req.on("end", () => {
    let parts;
    try {
      if (failed) throw failed;
      parts = parser.end();
    } catch (e) {
      return json(res, 422, { detail: String(e.message) });
    }
    const id = `sink_${++next}`;
    jobs.set(id, { id, parts });
    json(res, 202, { job_id: id, status: "PENDING" });
  });
});
server.keepAliveTimeout = 5000;
server.listen(0, "127.0.0.1", () => process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n"));
