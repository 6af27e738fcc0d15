// Real PNG files for the file-upload runtime tests (Node only, used by run.mjs): an RGB image of
// the given size, a gradient with seeded noise (so every seed gives other bytes and another
// SHA-256), encoded as a valid PNG (signature, IHDR, zlib-deflated IDAT with filter bytes, IEND,
// each chunk with its CRC-32). Any image decoder opens it.
import { deflateSync, crc32 } from "node:zlib";
import { createHash } from "node:crypto";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of bytes (zlib.crc32 exists from Node 20.15 / 22.2; this is the fallback). */
function crc(bytes) {
  if (typeof crc32 === "function") return crc32(bytes) >>> 0;
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(crc(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, tail]);
}

/** A `width`×`height` 8-bit RGB PNG; `seed` varies the noise. */
export function makePng(width, height, seed = 1) {
  let x = seed >>> 0 || 1;
  const rnd = () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x & 0x3f;
  };
  const row = 1 + width * 3;
  const raw = Buffer.alloc(row * height);
  for (let y = 0; y < height; y++) {
    raw[y * row] = 0; // filter: none
    for (let i = 0; i < width; i++) {
      const p = y * row + 1 + i * 3;
      raw[p] = ((i * 255) / Math.max(1, width - 1) + rnd()) & 0xff;
      raw[p + 1] = ((y * 255) / Math.max(1, height - 1) + rnd()) & 0xff;
      raw[p + 2] = (seed * 37 + rnd()) & 0xff;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0; // compression, filter, interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

export const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
