// Shared by the journeys: where the server is, and failing loudly with what it answered.
import { createHunarClient, type HunarClient } from "../src/index.js";
import { deflateSync } from "node:zlib";

export function client(token?: string): HunarClient {
  const baseUrl = process.env.HUNAR_URL ?? "http://127.0.0.1:8080";
  return createHunarClient({ baseUrl, token });
}

export function check(condition: unknown, what: string, seen?: unknown): asserts condition {
  if (!condition) {
    throw new Error(`${what}${seen === undefined ? "" : `: ${JSON.stringify(seen)}`}`);
  }
}

/** The data of a successful call; the problem it answered otherwise. */
export function ok<T>(
  result: { data?: T; error?: unknown; response: Response },
  what: string,
): T {
  check(result.data !== undefined, `${what} answered ${result.response.status}`, result.error);
  return result.data;
}

export function buyer(name: string, email: string) {
  return {
    buyer: { name, email },
    shipping_address: {
      line1: "Drottninggatan 1",
      city: "Stockholm",
      postal_code: "111 51",
      country: "SE" as const,
    },
  };
}

/** A 160×120 PNG (a gradient) drawn here, so a journey can put a photo on a painting. */
export function photo(): Blob {
  const width = 160;
  const height = 120;
  const rows = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    for (let x = 0; x < width; x++) rows.set([x, (y * 2) & 255, 90], row + 1 + x * 3);
  }
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Uint8Array) => {
    let c = 0xffffffff;
    for (const b of bytes) c = (crcTable[(c ^ b) & 255] ?? 0) ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (kind: string, data: Uint8Array) => {
    const typed = new Uint8Array([...Buffer.from(kind, "ascii"), ...data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.set(typed, 4);
    out.writeUInt32BE(crc(typed), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", new Uint8Array()),
  ]);
  return new Blob([Uint8Array.from(png)], { type: "image/png" });
}
