// Shared by the journeys: where the server is, and failing loudly with what it answered.
import { createHunarClient, type HunarClient } from "../src/index.js";

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
