// A thin typed wrapper over openapi-fetch. Every type comes from `schema.ts`, which is
// generated from the server's own OpenAPI document (`npm run generate`); nothing is typed
// by hand, so the client cannot say something the server does not.
import createClient, { type Client, type Middleware } from "openapi-fetch";
import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };
export type Schemas = components["schemas"];
/** Every error answer: RFC 9457 problem details, `errors` naming invalid fields. */
export type Problem = Schemas["Problem"];
/** An ISO 3166-1 alpha-2 code the server knows, e.g. "SE". */
export type Country = Schemas["AddressInput"]["country"];

type Query<Op extends keyof operations> = operations[Op] extends {
  parameters: { query?: infer Q };
}
  ? NonNullable<Q>
  : never;
type Body<Op extends keyof operations> = operations[Op] extends {
  requestBody?: { content: { "application/json": infer B } };
}
  ? B
  : never;

export interface HunarOptions {
  /** Where the server is, e.g. `https://shop.example.org`. */
  baseUrl: string;
  /** A coordinator's bearer token, for the `admin` calls (e.g. one kept from `admin.login`). */
  token?: string | undefined;
  /** Another fetch (tests, older runtimes). */
  fetch?: typeof globalThis.fetch | undefined;
}

/**
 * A fresh idempotency key (a random UUID): one per order attempt. Keep it until the attempt
 * has an answer, and send the same key again to retry after a network error.
 */
export function newIdempotencyKey(): string {
  const crypto = globalThis.crypto;
  // randomUUID exists only on https pages and localhost; getRandomValues everywhere.
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function createHunarClient(options: HunarOptions) {
  const http: Client<paths> = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  let token = options.token;
  const bearer: Middleware = {
    onRequest({ request, schemaPath }) {
      if (token && schemaPath.startsWith("/api/v1/admin/")) {
        request.headers.set("Authorization", `Bearer ${token}`);
      }
      return request;
    },
  };
  http.use(bearer);

  const catalog = {
    listArtists: (query: Query<"listArtists"> = {}) =>
      http.GET("/api/v1/artists", { params: { query } }),
    getArtist: (slug: string, query: Query<"getArtist"> = {}) =>
      http.GET("/api/v1/artists/{slug}", { params: { path: { slug }, query } }),
    listArtworks: (query: Query<"listArtworks"> = {}) =>
      http.GET("/api/v1/artworks", { params: { query } }),
    getArtwork: (id: string, query: Query<"getArtwork"> = {}) =>
      http.GET("/api/v1/artworks/{id}", { params: { path: { id }, query } }),
    /** The price for a destination, shipping included. */
    quote: (id: string, country: Country) =>
      http.GET("/api/v1/artworks/{id}/quote", {
        params: { path: { id }, query: { country } },
      }),
  };

  const orders = {
    /**
     * Place an order. Pass the same `idempotencyKey` to retry after a network error: the
     * server answers the first result again instead of making a second order.
     */
    place: (body: Body<"placeOrder">, idempotencyKey: string = newIdempotencyKey()) =>
      http.POST("/api/v1/orders", {
        params: { header: { "Idempotency-Key": idempotencyKey } },
        body,
      }),
    /** The buyer's view, with the `access_token` returned when the order was placed. */
    get: (id: string, accessToken: string) =>
      http.GET("/api/v1/orders/{id}", {
        params: { path: { id }, query: { token: accessToken } },
      }),
    /**
     * Confirm the buyer's email address with the token from the link in their first email
     * (not the access token): a manual order is then held for the full time.
     */
    confirmEmail: (id: string, emailToken: string) =>
      http.POST("/api/v1/orders/{id}/confirm-email", {
        params: { path: { id }, query: { token: emailToken } },
      }),
  };

  const admin = {
    /** Log in; later admin calls of this client carry the token (a failed login drops it). */
    login: async (email: string, password: string) => {
      const result = await http.POST("/api/v1/admin/login", { body: { email, password } });
      token = result.data?.token;
      return result;
    },
    /** The token in use, to keep (e.g. in sessionStorage) and pass as `token` next time. */
    token: (): string | undefined => token,
    logout: async () => {
      const result = await http.POST("/api/v1/admin/logout");
      token = undefined;
      return result;
    },
    listSizeTiers: (query: Query<"adminListSizeTiers"> = {}) =>
      http.GET("/api/v1/admin/size-tiers", { params: { query } }),
    createArtist: (body: Body<"adminCreateArtist">) =>
      http.POST("/api/v1/admin/artists", { body }),
    /** A new painting is a draft (or withdrawn): it goes on sale once it has a photo. */
    createArtwork: (body: Body<"adminCreateArtwork">) =>
      http.POST("/api/v1/admin/artworks", { body }),
    updateArtwork: (id: string, body: Body<"adminUpdateArtwork">) =>
      http.PATCH("/api/v1/admin/artworks/{id}", { params: { path: { id } }, body }),
    /** Add a photo (JPEG, PNG or WebP bytes), sent as `multipart/form-data`. */
    addArtworkPhoto: (id: string, photo: Blob, alt?: string) => {
      const form = new FormData();
      form.append("file", photo, "photo");
      if (alt !== undefined) form.append("alt", alt);
      return http.POST("/api/v1/admin/artworks/{id}/images", {
        params: { path: { id } },
        // The schema types the file as a string (its binary format); the body is the form.
        body: form as unknown as Schemas["PhotoUpload"],
        bodySerializer: (body) => body as unknown as FormData,
      });
    },
    listOrders: (query: Query<"adminListOrders"> = {}) =>
      http.GET("/api/v1/admin/orders", { params: { query } }),
    getOrder: (id: string) =>
      http.GET("/api/v1/admin/orders/{id}", { params: { path: { id } } }),
    /** A manual payment arrived: `reference` is the bank transfer's or receipt's. */
    confirmPayment: (id: string, reference: string) =>
      http.POST("/api/v1/admin/orders/{id}/confirm-payment", {
        params: { path: { id } },
        body: { reference },
      }),
  };

  return { catalog, orders, admin, http };
}

export type HunarClient = ReturnType<typeof createHunarClient>;
