// src/token.js alone, in Node: what a backend imports to mint per-user gateway tokens.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { signGatewayToken, verifyGatewayToken, equalConstantTime } from "../src/token.js";

const SECRET = "a-signing-secret-of-at-least-32-bytes";

test("signGatewayToken: v1.<base64url user>.<exp>.<hex HMAC-SHA256 of v1.<user>.<exp>>", async () => {
  const t0 = Math.floor(Date.now() / 1000);
  const token = await signGatewayToken("ünïcode/user+id?", 3600, SECRET);
  const [v, user, exp, sig] = token.split(".");
  assert.equal(v, "v1");
  assert.equal(Buffer.from(user, "base64url").toString("utf8"), "ünïcode/user+id?");
  assert.doesNotMatch(user, /[=+/]/, "base64url without padding");
  assert.ok(Number(exp) >= t0 + 3600 && Number(exp) <= t0 + 3601);
  assert.equal(sig, createHmac("sha256", SECRET).update(`v1.${user}.${exp}`).digest("hex"));
  assert.deepEqual(await verifyGatewayToken(token, SECRET), { user: "ünïcode/user+id?", exp: Number(exp) });
});

test("verifyGatewayToken refuses a tampered, foreign or expired token", async () => {
  const token = await signGatewayToken("alice", 60, SECRET);
  const [, user, exp, sig] = token.split(".");
  assert.equal(await verifyGatewayToken(token, "another-secret-of-at-least-32-bytes!"), null);
  assert.equal(await verifyGatewayToken(`v1.${Buffer.from("bob").toString("base64url")}.${exp}.${sig}`, SECRET), null);
  assert.equal(await verifyGatewayToken(`v1.${user}.${Number(exp) + 1}.${sig}`, SECRET), null);
  assert.equal(await verifyGatewayToken(`${token}0`, SECRET), null);
  assert.equal(await verifyGatewayToken(token, SECRET, Number(exp)), null, "expired at <exp>");
  assert.ok(await verifyGatewayToken(token, SECRET, Number(exp) - 1));
  assert.equal(await verifyGatewayToken("", SECRET), null);
});

test("bad arguments: a short secret, an empty user, a non-positive ttl", async () => {
  await assert.rejects(signGatewayToken("alice", 60, "short"), /32 bytes/);
  await assert.rejects(signGatewayToken("", 60, SECRET), /user/);
  await assert.rejects(signGatewayToken("alice", 0, SECRET), /ttlSeconds/);
  await assert.rejects(signGatewayToken("alice", 1.5, SECRET), /ttlSeconds/);
  await assert.rejects(verifyGatewayToken("v1.a.1.b", "short"), /32 bytes/);
});

test("equalConstantTime", () => {
  const b = (s) => new TextEncoder().encode(s);
  assert.equal(equalConstantTime(b("abc"), b("abc")), true);
  assert.equal(equalConstantTime(b("abc"), b("abd")), false);
  assert.equal(equalConstantTime(b("abc"), b("abcd")), false);
  assert.equal(equalConstantTime(b(""), b("")), true);
});
