// The mock's deAPI realtime server speaks Pusher protocol 7: proven with the reference client,
// pusher-js 8.6.0, configured the way deAPI's docs configure it (own host, `authorizer` calling
// `POST /deapi/broadcasting/auth` with the API key). Needs only the mock (env POLYJOB_MOCK_URL), not
// the built polyjob package.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import Pusher from "pusher-js";

const RAW_MOCK = process.env.POLYJOB_MOCK_URL;
if (!RAW_MOCK) {
  throw new Error("POLYJOB_MOCK_URL is not set (see tests/js/README.md)");
}
const MOCK = RAW_MOCK.replace(/\/+$/, "");
const { hostname, port } = new URL(MOCK);
const APP_KEY = "depin-api-prod-key";
const API_KEY = "test-key";
const CHANNEL = "private-client.1001";

/** A pusher-js client on the mock; `sign` may replace the auth endpoint's answer. */
function connect(appKey, { sign } = {}) {
  return new Pusher(appKey, {
    wsHost: hostname,
    wsPort: Number(port),
    wsPath: "/deapi-ws",
    forceTLS: false,
    enabledTransports: ["ws"],
    cluster: "mt1",
    authorizer: (channel) => ({
      authorize: async (socketId, callback) => {
        try {
          const res = await fetch(`${MOCK}/deapi/broadcasting/auth`, {
            method: "POST",
            headers: { "Content-Type": "application/json", Authorization: `Bearer ${API_KEY}` },
            body: JSON.stringify({ socket_id: socketId, channel_name: channel.name }),
          });
          if (!res.ok) return callback(new Error(`auth answered ${res.status}`), null);
          const body = await res.json();
          callback(null, sign ? sign(body) : body);
        } catch (e) {
          callback(e, null);
        }
      },
    }),
  });
}

/** Resolves with the first value `subscribe(resolve)` reports, or rejects after `ms`. */
function within(ms, what, subscribe) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    subscribe((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

test("pusher-js subscribes with the auth endpoint and receives a deAPI job's updates", async (t) => {
  const pusher = connect(APP_KEY);
  t.after(() => pusher.disconnect());
  const channel = pusher.subscribe(CHANNEL);
  await within(10000, "subscription_succeeded", (done) => {
    channel.bind("pusher:subscription_succeeded", () => done());
    channel.bind("pusher:subscription_error", (e) => done(Promise.reject(new Error(JSON.stringify(e)))));
  });
  assert.match(pusher.connection.socket_id, /^\d+\.\d+$/);

  // Other test files' jobs publish on the same channel and may force-close every socket on it
  // (mock.realtime.close_code); pusher-js then reconnects and resubscribes. A run interrupted that
  // way is repeated with a fresh job.
  let interrupted = false;
  pusher.connection.bind("state_change", ({ current }) => {
    if (current !== "connected") interrupted = true;
  });
  const updates = [];
  channel.bind("request.status.updated", (data) => updates.push(data));
  let requestId;
  let mine = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    interrupted = false;
    const res = await fetch(`${MOCK}/deapi/api/v1/client/txt2img`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({
        prompt: "a red fox",
        model: "Flux1schnell",
        width: 512,
        height: 512,
        mock: { queue_ms: 50, duration_ms: 400, steps: 4, nonce: randomUUID() },
      }),
    });
    assert.equal(res.status, 200);
    requestId = (await res.json()).data.request_id;
    let tick;
    const done = await within(15000, "the done update", (resolve) => {
      tick = setInterval(() => {
        const last = updates.findLast((u) => u.request_id === requestId);
        if (last?.status === "done" || (interrupted && pusher.connection.state === "connected")) {
          resolve(last?.status === "done");
        }
      }, 20);
    }).finally(() => clearInterval(tick));
    mine = updates.filter((u) => u.request_id === requestId);
    if (done && !interrupted) break;
  }
  assert.ok(!interrupted, "three runs in a row were interrupted by forced closes");

  assert.deepEqual(
    mine.map((u) => u.status),
    ["processing", "in_progress", "in_progress", "in_progress", "done"],
  );
  assert.deepEqual(
    mine.map((u) => u.progress),
    ["0.00", "25.00", "50.00", "75.00", "100.00"],
  );
  assert.match(mine[1].preview, /^data:image\/png;base64,/);
  assert.equal(mine[2].preview, null);
  const done = mine.at(-1);
  assert.equal(done.result_url, `${MOCK}/files/${requestId}.png`);
  assert.ok(mine.slice(0, -1).every((u) => u.result_url === null));
});

/** The `{code, message}` of a pusher:error as pusher-js reports it (during the handshake it comes
 * wrapped: `{type: "WebSocketError", error: {type: "PusherError", data}}`). */
const pusherError = (e) =>
  e?.type === "PusherError" ? e.data : e?.error?.type === "PusherError" ? e.error.data : undefined;

test("a wrong app key is refused with error 4001 and not retried", async (t) => {
  const pusher = connect("not-the-key");
  t.after(() => pusher.disconnect());
  const states = [];
  pusher.connection.bind("state_change", ({ current }) => states.push(current));
  const err = await within(10000, "error 4001", (done) => {
    pusher.connection.bind("error", (e) => {
      if (pusherError(e)?.code === 4001) done(pusherError(e));
    });
  });
  assert.equal(err.message, "Could not find app by key");
  // The close that follows the error: the connection settles in "disconnected".
  await within(10000, "the disconnected state", (done) => {
    if (pusher.connection.state === "disconnected") done();
    pusher.connection.bind("state_change", ({ current }) => { if (current === "disconnected") done(); });
  });
  assert.equal(pusher.connection.state, "disconnected");
  assert.ok(!states.includes("connected"), states.join(","));
});

test("a bad channel signature gets error 4009", async (t) => {
  const pusher = connect(APP_KEY, { sign: (body) => ({ auth: body.auth.replace(/:.*/, ":00ff") }) });
  t.after(() => pusher.disconnect());
  pusher.subscribe(CHANNEL);
  const err = await within(10000, "error 4009", (done) => {
    pusher.connection.bind("error", (e) => {
      if (pusherError(e)?.code === 4009) done(pusherError(e));
    });
  });
  assert.match(err.message, /^Invalid signature/);
});
