// A supporter's whole journey through the typed client: browse with a destination and a
// sort, quote, order with manual payment, follow the order, and a second buyer's 409.
import { buyer, check, client, ok } from "./support.js";
import { newIdempotencyKey, type Problem } from "../src/index.js";

const hunar = client();

const page = ok(
  await hunar.catalog.listArtworks({ country: "SE", sort: "price_asc", per_page: 50 }),
  "list artworks",
);
check(page.items.length > 0, "the demo catalog has available paintings", page);
// With `country`, `price` is that destination's price (or null where it is not shipped);
// `prices` is every zone's, always a list. One shape each: no type guard.
const amounts = page.items.map((art) => {
  check(art.price, `${art.id} has a price for SE`, art);
  check(art.price.zone.length > 0 && /^[A-Z]{3}$/.test(art.price.currency), "price", art.price);
  check(
    art.prices.some((p) => p.zone === art.price?.zone && p.amount === art.price?.amount),
    "the destination's price is among every zone's",
    art.prices,
  );
  return Number(art.price.amount);
});
check(
  amounts.every((amount, i) => i === 0 || (amounts[i - 1] ?? 0) <= amount),
  "price_asc sorts by price",
  amounts,
);

const painting = page.items[page.items.length - 1];
check(painting, "a painting to buy");
const quote = ok(await hunar.catalog.quote(painting.id, "SE"), "quote");
check(quote.shipping_included, "quotes include shipping", quote);
check(quote.amount === painting.price?.amount, "the quote is the listed price", quote);
const unpriced = ok(await hunar.catalog.getArtwork(painting.id), "a painting with no destination");
check(unpriced.price === null, "no destination, no price", unpriced.price);
check(unpriced.prices.length > 0, "every zone's price without a destination", unpriced.prices);

// The types refuse a country the server does not know; called anyway, the server says 422.
// @ts-expect-error "XX" is no ISO 3166-1 code
const badQuote = await hunar.catalog.quote(painting.id, "XX");
check(badQuote.response.status === 422, "an unknown country is a 422", badQuote.response.status);

const key = newIdempotencyKey();
const request = {
  artwork_id: painting.id,
  payment_method: "manual" as const,
  note: "For your winter",
  ...buyer("Astrid Lind", "astrid@example.se"),
};
const placed = ok(await hunar.orders.place(request, key), "place order");
check(placed.order.status === "pending_payment", "a new order waits for payment", placed);
check(placed.payment.method === "manual", "manual payment", placed.payment);
check(placed.order.amount === quote.amount, "the order keeps the quoted price", placed.order);

// A double click: the same key and body give the same order, not a second one.
const again = ok(await hunar.orders.place(request, key), "retry with the same key");
check(again.order.id === placed.order.id, "the retry answers the same order", again);

const view = ok(await hunar.orders.get(placed.order.id, placed.access_token), "open order");
check(view.status === "pending_payment" && view.reference.length > 0, "buyer's view", view);
const wrongToken = await hunar.orders.get(placed.order.id, "not-the-token");
check(wrongToken.response.status === 404, "a wrong token is a 404", wrongToken.response.status);

// A second buyer loses the race: a typed problem, not an exception.
const second = await hunar.orders.place({
  ...request,
  ...buyer("Erik Berg", "erik@example.se"),
});
check(second.response.status === 409, "the second buyer gets 409", second.response.status);
const problem: Problem | undefined = second.error;
check(problem?.status === 409 && problem.title.length > 0, "409 is a problem document", problem);
check(
  second.response.headers.get("content-type")?.startsWith("application/problem+json"),
  "problem+json",
);

const after = ok(await hunar.catalog.getArtwork(painting.id, { country: "SE" }), "artwork");
check(after.status !== "available", "the ordered painting is no longer available", after.status);

console.log(`supporter journey: ordered ${view.reference} (${view.amount} ${view.currency})`);
