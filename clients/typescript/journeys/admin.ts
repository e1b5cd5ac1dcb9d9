// A coordinator's journey: log in, add an artist and a painting, see a supporter's order
// and confirm its bank transfer.
import { buyer, check, client, ok, photo } from "./support.js";

const email = process.env.HUNAR_ADMIN_EMAIL;
const password = process.env.HUNAR_ADMIN_PASSWORD;
check(email && password, "HUNAR_ADMIN_EMAIL and HUNAR_ADMIN_PASSWORD are set");

const hunar = client();
const refused = await hunar.admin.listOrders();
check(refused.response.status === 401, "admin calls need a token", refused.response.status);
const wrong = await hunar.admin.login(email, `${password}-wrong`);
check(wrong.response.status === 401 && wrong.error?.status === 401, "a wrong password", wrong.error);
ok(await hunar.admin.login(email, password), "login");
check(hunar.admin.token(), "the client keeps the token");

const suffix = Date.now().toString(36);
const artist = ok(
  await hunar.admin.createArtist({
    display_name: `Journey Painter ${suffix}`,
    deported_from: "IR",
    bio: "Paints the mountains of home.",
    email: `painter-${suffix}@example.org`,
    preferred_language: "fa",
  }),
  "create artist",
);
check(artist.email === `painter-${suffix}@example.org`, "the admin view has private fields", artist);

const tiers = ok(await hunar.admin.listSizeTiers({ per_page: 100 }), "size tiers");
const tier = tiers.items.find((t) => t.artist_id === null);
check(tier, "a shop-wide size tier", tiers.items);
const artwork = ok(
  await hunar.admin.createArtwork({
    artist_id: artist.id,
    title: "Snow on the Hindu Kush",
    medium: "Oil on canvas",
    width_cm: tier.width_cm,
    height_cm: tier.height_cm,
    year: 2026,
    size_tier_id: tier.id,
    status: "draft",
  }),
  "create artwork",
);
// A painting goes on sale with a photo: without one the server says so.
const early = await hunar.admin.updateArtwork(artwork.id, { status: "available" });
check(early.response.status === 409 && early.error?.code === "photo_needed", "no sale without a photo", early.error);
ok(await hunar.admin.addArtworkPhoto(artwork.id, photo(), "Snow on peaks"), "add a photo");
const onSale = ok(await hunar.admin.updateArtwork(artwork.id, { status: "available" }), "put on sale");
check(onSale.status === "available", "on sale with its photo", onSale);

const shop = client();
const listed = ok(
  await shop.catalog.listArtworks({ artist: artist.slug, country: "SE" }),
  "the new painting in the shop",
);
check(listed.items.some((a) => a.id === artwork.id), "public list shows it", listed.items);
check(!("email" in (listed.items[0]?.artist ?? {})), "no private field in public JSON");

const placed = ok(
  await shop.orders.place({
    artwork_id: artwork.id,
    payment_method: "manual" as const,
    ...buyer("Sven Holm", "sven@example.se"),
  }),
  "a supporter orders it",
);

const waiting = ok(
  await hunar.admin.listOrders({ status: "pending_payment", artist: artist.slug }),
  "orders waiting for payment",
);
const order = waiting.items.find((o) => o.id === placed.order.id);
check(order, "the admin list has the order", waiting.items);
// Null once the buyer was erased (BUYER_DATA_DAYS after the order ended).
check(order.buyer?.email === "sven@example.se", "admins see the buyer", order.buyer);

const paid = ok(await hunar.admin.confirmPayment(order.id, `BANK-${suffix}`), "confirm payment");
check(paid.status === "paid", "the order is paid", paid.status);
const twice = await hunar.admin.confirmPayment(order.id, `BANK-${suffix}`);
check(twice.response.status === 409, "confirming twice is a 409", twice.response.status);

const followed = ok(await shop.orders.get(placed.order.id, placed.access_token), "buyer view");
check(followed.status === "paid" && followed.paid_at, "the buyer sees it paid", followed);

const out = await hunar.admin.logout();
check(out.response.status === 204, "logout", out.response.status);
const after = await hunar.admin.listOrders();
check(after.response.status === 401, "logged out", after.response.status);

console.log(`admin journey: ${artist.slug} created, ${followed.reference} confirmed paid`);
