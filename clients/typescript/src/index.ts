// A thin typed wrapper over openapi-fetch. Every type comes from `schema.d.ts`, which is
// generated from the server's own OpenAPI document (`npm run generate`); nothing is typed
// by hand, so the client cannot say something the server does not.
import createClient, { type Client, type Middleware } from "openapi-fetch";
import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };
export type Schemas = components["schemas"];
/** Every error answer: RFC 9457 problem details, `errors` naming invalid fields. */
export type Problem = Schemas["Problem"];

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
  /** A coordinator's bearer token, for the `admin` calls. */
  token?: string;
  /** Another fetch (tests, older runtimes). */
  fetch?: typeof globalThis.fetch;
}

/** A fresh idempotency key: one per order attempt, reused only to retry that attempt. */
export function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
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
    quote: (id: string, country: string) =>
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
  };

  const admin = {
    /** Log in; later admin calls of this client carry the token. */
    login: async (email: string, password: string) => {
      const result = await http.POST("/api/v1/admin/login", { body: { email, password } });
      if (result.data) token = result.data.token;
      return result;
    },
    logout: async () => {
      const result = await http.POST("/api/v1/admin/logout");
      token = undefined;
      return result;
    },
    listSizeTiers: (query: Query<"adminListSizeTiers"> = {}) =>
      http.GET("/api/v1/admin/size-tiers", { params: { query } }),
    createArtist: (body: Body<"adminCreateArtist">) =>
      http.POST("/api/v1/admin/artists", { body }),
    createArtwork: (body: Body<"adminCreateArtwork">) =>
      http.POST("/api/v1/admin/artworks", { body }),
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
