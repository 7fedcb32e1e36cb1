// Lighthouse (performance, accessibility, best practices) on the desk's
// pages, desktop and mobile, against a running site: the body editor with a
// story in it, and (with ALL=1) every page the signed-in person's menu
// lists, one of each kind of item, and the forms behind them.
//
//   npm install --prefix /tmp/lighthouse lighthouse@12.8.2
//   masthead serve --demo --listen 127.0.0.1:8099 --data-dir /tmp/lh-site &
//   masthead user add --data-dir /tmp/lh-site --role editor lena@example.org
//   LIGHTHOUSE=/tmp/lighthouse node bench/lighthouse.mjs http://127.0.0.1:8099 /desk/password/TOKEN
//
// The password link (from `user add`) is used to choose a password, which
// signs the account in; the session's cookie is sent with Lighthouse's
// requests.
import { createRequire } from "node:module";

const [base, link] = process.argv.slice(2);
if (!base || !link || !process.env.LIGHTHOUSE) {
  console.error("usage: LIGHTHOUSE=DIR node bench/lighthouse.mjs BASE_URL /desk/password/TOKEN");
  process.exit(2);
}
const { chromium } = createRequire(new URL("../tests/browser/package.json", import.meta.url))("playwright-core");
const fromLighthouse = createRequire(`${process.env.LIGHTHOUSE}/package.json`);
const lighthouse = (await import(fromLighthouse.resolve("lighthouse"))).default;
const desktop = (await import(fromLighthouse.resolve("lighthouse/core/config/desktop-config.js"))).default;

const password = "a harbour at low tide";
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: ["--no-sandbox", "--remote-debugging-port=9333"],
});
const context = await browser.newContext();
const page = await context.newPage();
await page.goto(base + link);
await page.getByLabel("New password").fill(password);
await page.getByLabel(/Repeat|again|Confirm/i).fill(password);
// Choosing the password signs the person in.
await page.getByRole("button").filter({ hasText: /password/i }).first().click();
await page.waitForLoadState();
await page.goto(base + "/desk/stories");
const editor = await page.locator("a[href^='/desk/stories/']").evaluateAll((links) =>
  links.map((a) => a.getAttribute("href")).find((h) => /\/desk\/stories\/[0-9a-f]{32}$/.test(h)));
const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
console.log(`the editor with a story in it: ${editor}`);
// PAGES=/desk/a,/desk/b measures those instead (after a fix, say).
const addresses = process.env.PAGES ? process.env.PAGES.split(",") : [editor];
if (process.env.ALL) {
  const menu = await page.locator("nav[aria-label=Desk] a").evaluateAll((links) => links.map((a) => a.getAttribute("href")));
  addresses.push(...menu, "/desk/stories/new", "/desk/pages/new", "/desk/search?q=harbour");
  for (const list of ["/desk/briefs", "/desk/media", "/desk/pages", "/desk/newsletters"]) {
    await page.goto(base + list);
    const item = await page.locator("main a").evaluateAll((links) =>
      links.map((a) => a.getAttribute("href")).find((h) => /^\/desk\/[a-z/]+\/[0-9a-f]{32}$/.test(h)));
    if (item) addresses.push(item);
  }
}
let below = 0;
for (const address of [...new Set(addresses)]) {
  for (const form of ["desktop", "mobile"]) {
    const { lhr } = await lighthouse(
      base + address,
      { port: 9333, output: "json", logLevel: "error", onlyCategories: ["performance", "accessibility", "best-practices"], extraHeaders: { Cookie: cookie } },
      form === "desktop" ? desktop : undefined,
    );
    const scores = Object.values(lhr.categories).map((c) => Math.round(c.score * 100));
    if (scores.some((s) => s < 100)) below += 1;
    console.log(`${address} ${form}: ${Object.values(lhr.categories).map((c) => `${c.title} ${Math.round(c.score * 100)}`).join(", ")}`);
    const metrics = ["first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift"]
      .map((id) => `${lhr.audits[id].title} ${lhr.audits[id].displayValue}`).join(", ");
    console.log(`  ${metrics}`);
    for (const shift of lhr.audits["layout-shifts"]?.details?.items ?? []) {
      console.log(`  layout shift ${shift.score.toFixed(3)}: ${shift.node?.snippet ?? "?"}`);
    }
    for (const [id, audit] of Object.entries(lhr.audits)) {
      if (audit.score !== null && audit.score < 0.9 && !["informative", "notApplicable", "manual"].includes(audit.scoreDisplayMode)) {
        console.log(`  ${id}: ${audit.displayValue || audit.title}`);
      }
    }
  }
}
console.log(`${below} page and form-factor runs below 100 in a category`);
await browser.close();
