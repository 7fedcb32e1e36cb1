import { chromium } from "playwright-core";
const [base, link, pass] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
for (const [w, h, tag] of [[1280, 1400, "wide"], [390, 1800, "phone"]]) {
  const ctx = await browser.newContext({ viewport: { width: w, height: h } });
  const page = await ctx.newPage();
  if (tag === "wide") {
    await page.goto(base + "/desk/login");
    await page.locator("#email").fill("ed@example.org");
    await page.locator("#password").fill(pass);
    await page.locator("button[type=submit]").first().click();
    await page.waitForLoadState();
  } else {
    await page.goto(base + "/desk/login");
    await page.locator("#email").fill("ed@example.org");
    await page.locator("#password").fill(pass);
    await page.locator("button[type=submit]").first().click();
    await page.waitForLoadState();
  }
  for (const [p, name] of process.argv.slice(5).map((x) => x.split("|"))) {
    await page.goto(base + p);
    await page.screenshot({ path: `/tmp/${name}-${tag}.png`, fullPage: true });
  }
  await ctx.close();
}
await browser.close();
