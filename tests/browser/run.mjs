// Real-browser checks against a running Masthead site, in Debian's Chromium
// (no browser is downloaded). Usage: node run.mjs BASE_URL STORY_PATH PAGE_PATH...
//  1. "Keep reading" / "Show less" on a related story, with JavaScript on and off.
//  2. axe-core on every page given: no WCAG 2 A/AA violations.
//  3. With MASTHEAD_DESK_LINK (a set-password path) and MASTHEAD_DESK_EMAIL:
//     choose a password, sign in, visit the desk's pages, sign out, with
//     axe on every page on the way.
// Prints one line per check and a closing "N passed, N failed" line.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const [base, storyPath, ...pages] = process.argv.slice(2);
if (!base || !storyPath) {
  console.error("usage: node run.mjs BASE_URL STORY_PATH [PAGE_PATH...]");
  process.exit(2);
}
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}\n     ${String(e && e.stack || e).split("\n").join("\n     ")}`);
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}

// The document in the body editor, as it is saved.
async function bodyHTML(page) {
  return page.evaluate(() => window.MastheadEditor.serialize(document.querySelector("textarea[data-document-editor]").editorView.state.doc));
}

// A paste into the body editor, as the clipboard would bring it.
async function paste(page, types) {
  await page.evaluate((types) => {
    const view = document.querySelector("textarea[data-document-editor]").editorView;
    view.focus();
    const data = new DataTransfer();
    for (const [type, value] of Object.entries(types)) data.setData(type, value);
    view.dom.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  }, types);
}

async function keepReading(javaScriptEnabled, useKeyboard) {
  const context = await browser.newContext({ javaScriptEnabled, viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const response = await page.goto(base + storyPath);
  assert(response.status() === 200, `story answered ${response.status()}`);
  const teaser = page.locator(".related-teaser").first();
  const summary = teaser.locator("summary");
  const full = teaser.locator(".teaser-full");
  const short = teaser.locator(".teaser-short");
  // The reader's way of pressing the control: a click, or Enter on the focused control.
  const activate = async () => {
    if (useKeyboard) {
      await summary.focus();
      await page.keyboard.press("Enter");
    } else {
      await summary.click();
    }
  };
  await summary.scrollIntoViewIfNeeded();
  assert(await full.isHidden(), "the full teaser starts collapsed");
  assert(await short.isVisible(), "the short excerpt shows while collapsed");
  assert((await summary.innerText()).includes("Keep reading"), "the control says Keep reading");

  await activate();
  await full.waitFor({ state: "visible", timeout: 5000 });
  assert(await teaser.locator("details").evaluate((d) => d.open), "details is open");
  assert(await short.isHidden(), "the short excerpt gives way to the full teaser");
  const text = await summary.innerText();
  assert(text.includes("Show less") && !text.includes("Keep reading"), `control now says: ${text}`);
  assert((await full.innerText()).includes("min read"), "the full teaser shows reading time");

  await activate();
  await full.waitFor({ state: "hidden", timeout: 5000 });
  assert(await short.isVisible(), "collapsed again");
  assert((await summary.innerText()).includes("Keep reading"), "the control says Keep reading again");
  if (javaScriptEnabled) {
    const focused = await page.evaluate(() => document.activeElement && document.activeElement.tagName);
    assert(focused === "SUMMARY", `focus stays on the control (was ${focused})`);
  }
  await context.close();
}

await check("keep reading / show less, JavaScript on (mouse)", () => keepReading(true, false));
await check("keep reading / show less, JavaScript on (keyboard)", () => keepReading(true, true));
await check("keep reading / show less, JavaScript off", () => keepReading(false, false));

async function axeViolations(page) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
  );
  return result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n       ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("\n       ")}`,
  );
}

for (const path of [storyPath, ...pages]) {
  await check(`axe WCAG 2 A/AA: ${path}`, async () => {
    // bypassCSP lets the checker inject axe; the site itself allows no inline script.
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    const response = await page.goto(base + path);
    assert(response.status() < 500, `answered ${response.status()}`);
    const problems = await axeViolations(page);
    await context.close();
    assert(problems.length === 0, `${problems.length} violation(s):\n     ${problems.join("\n     ")}`);
  });
}

await check("a story read in Chromium reports itself once, after load, and nothing sets a cookie", async () => {
  // A reader's browser (Chromium headless names itself HeadlessChrome,
  // which is rightly not counted as a reader).
  const context = await browser.newContext({
    userAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36",
  });
  const page = await context.newPage();
  const reports = [];
  page.on("request", (r) => { if (r.url() === base + "/_/view") reports.push(r); });
  await page.goto(base + storyPath, { referer: "https://www.news.example.com/search?q=x" });
  await page.waitForLoadState("networkidle");
  assert(reports.length === 1, `one report, not ${reports.length}`);
  const sent = JSON.parse(reports[0].postData());
  assert(sent.path === storyPath, `the report names the story: ${JSON.stringify(sent)}`);
  assert(sent.referrer.startsWith("https://www.news.example.com/"), `and where the reader came from: ${JSON.stringify(sent)}`);
  const answer = await reports[0].response();
  assert(answer && answer.status() === 204, `the report is answered 204: ${answer && answer.status()}`);
  const cookies = await context.cookies();
  assert(cookies.length === 0, `no cookie: ${JSON.stringify(cookies)}`);
  await context.close();
});

await check("newsletter sign-up from the footer, with a mistake first", async () => {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  await page.goto(base + storyPath);
  const input = page.getByLabel("Email address");
  await input.fill("reader@localhost");
  await page.getByRole("button", { name: "Subscribe" }).click();
  await page.waitForLoadState();
  const error = page.locator(".form-error");
  assert(await error.isVisible(), "the mistake is explained");
  assert((await error.innerText()).includes("does not look like an email address"), await error.innerText());
  assert((await page.getByLabel("Email address").inputValue()) === "reader@localhost", "the input is kept");
  let problems = await axeViolations(page);
  assert(problems.length === 0, `error page: ${problems.join("; ")}`);
  await page.getByLabel("Email address").fill("reader@example.org");
  await page.getByRole("button", { name: "Subscribe" }).click();
  await page.waitForLoadState();
  assert((await page.locator("h1").innerText()).includes("Check your inbox"), "asked to confirm");
  problems = await axeViolations(page);
  assert(problems.length === 0, `thank-you page: ${problems.join("; ")}`);
  await context.close();
});

await check("search from the box in the header, then narrow by section, on a phone", async () => {
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 360, height: 740 } });
  const page = await context.newPage();
  await page.goto(base + storyPath);
  await page.getByLabel("Search the site").fill("harbour");
  await page.getByLabel("Search the site").press("Enter");
  await page.waitForURL(/\/search\/\?q=harbour/);
  assert(new URL(page.url()).pathname === "/search/", `landed on ${page.url()}`);
  const results = page.locator(".search-result");
  const count = await results.count();
  assert(count > 0, "results for harbour");
  assert((await page.locator(".search-results mark").first().innerText()).toLowerCase().startsWith("harbour"), "the word is marked");
  await page.getByLabel("Section", { exact: true }).selectOption("europe");
  await page.getByRole("button", { name: "Search", exact: true }).last().click();
  await page.waitForURL(/section=europe/);
  assert(new URL(page.url()).searchParams.get("section") === "europe", "the filter is in the address");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, `the search page is ${overflow}px wider than a 360px phone`);
  const problems = await axeViolations(page);
  assert(problems.length === 0, `search page: ${problems.join("; ")}`);
  await context.close();
});

await check("no layout shift from images on a phone", async () => {
  const context = await browser.newContext({ viewport: { width: 320, height: 640 } });
  const page = await context.newPage();
  await page.goto(base + "/");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, `the home page is ${overflow}px wider than a 320px phone`);
  const missing = await page.evaluate(() =>
    [...document.images].filter((i) => !i.getAttribute("width") || !i.getAttribute("height")).map((i) => i.src),
  );
  assert(missing.length === 0, `images without dimensions: ${missing.join(", ")}`);
  await context.close();
});

const deskLink = process.env.MASTHEAD_DESK_LINK;
const deskEmail = process.env.MASTHEAD_DESK_EMAIL;
if (deskLink && deskEmail) {
  await check("desk: choose a password, sign in, visit, sign out", async () => {
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 820, height: 1180 } });
    const page = await context.newPage();
    const clean = async (where) => {
      const problems = await axeViolations(page);
      assert(problems.length === 0, `${where}: ${problems.join("; ")}`);
    };
    await page.goto(base + deskLink);
    await clean("password page");
    const password = "a lighthouse keeper's notebook";
    await page.getByLabel("New password").fill(password);
    await page.getByLabel("The same password again").fill(password);
    assert((await page.getByLabel("Your name").inputValue()).length > 0, "the name bylines show is asked for, filled in");
    await page.getByRole("button", { name: "Save the password" }).click();
    await page.waitForLoadState();
    assert((await page.locator(".notice").innerText()).includes("Your password is saved, and you are signed in"), "the password was saved and the person signed in");
    await clean("desk home, just signed in");
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.waitForLoadState();
    await clean("sign-in page");
    await page.getByLabel("Email address").fill(deskEmail);
    await page.getByLabel("Password").fill(password);
    // Enter in the form signs in, as a keyboard user would.
    await page.getByLabel("Password").press("Enter");
    await page.waitForLoadState();
    assert((await page.locator("h1").innerText()).startsWith("Welcome"), "signed in to the desk");
    await clean("desk home");
    await page.getByRole("link", { name: "People", exact: true }).click();
    await page.waitForLoadState();
    assert((await page.locator("h1").innerText()) === "People", "the people page");
    await clean("people page");
    await page.getByRole("link", { name: "Stories", exact: true }).click();
    await page.waitForLoadState();
    await clean("stories list");
    await page.getByRole("link", { name: "New story" }).click();
    await page.waitForLoadState();
    await clean("new story");
    await page.getByLabel("Headline").fill("A lighthouse keeper retires");
    await page.locator(".ProseMirror").click();
    await page.keyboard.type("After forty winters the lamp is automated.");
    await page.getByRole("button", { name: "Save draft" }).click();
    await page.waitForLoadState();
    assert((await page.locator(".notice").first().innerText()).includes("Saved."), "the draft was saved");
    await clean("story editor");
    await page.getByRole("link", { name: "Revisions" }).click();
    await page.waitForLoadState();
    assert((await page.locator("h1").innerText()).includes("A lighthouse keeper retires"), "its revisions");
    await clean("revisions page");
    // Every other part of the desk an owner reaches from the navigation.
    for (const name of ["Briefs", "Media", "Newsletters", "Front page", "Pages", "Sections and tags", "Authors", "Activity", "Integrations", "Settings"]) {
      await page.getByRole("navigation", { name: "Desk" }).getByRole("link", { name, exact: true }).click();
      await page.waitForLoadState();
      await clean(`desk: ${name}`);
    }
    // An integration made in the desk shows its keys, ready to copy.
    await page.getByRole("navigation", { name: "Desk" }).getByRole("link", { name: "Integrations", exact: true }).click();
    await page.waitForLoadState();
    await page.getByLabel("Name").fill("Website front-end");
    await page.getByRole("button", { name: "Add the integration" }).click();
    await page.waitForLoadState();
    assert((await page.locator(".notice").first().innerText()).includes("ready"), "the integration was added");
    assert(/^[0-9a-f]{26}$/.test(await page.getByLabel("Content API key").inputValue()), "its Content API key");
    await page.getByLabel("Target address").fill("http://127.0.0.1:9/hook");
    await page.getByRole("button", { name: "Add the webhook" }).click();
    await page.waitForLoadState();
    assert((await page.locator(".form-error").innerText()).includes("private network"), "a loopback target is refused");
    await clean("integrations with a refused webhook");
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.waitForLoadState();
    assert((await page.locator(".notice").innerText()).includes("signed out"), "signed out");
    await context.close();
  });
}

const newsroomPassword = process.env.MASTHEAD_NEWSROOM_PASSWORD;

// Signs the newsroom's editor in on this page.
async function signInAsEditor(page, email = "editor@example.org") {
  await page.goto(base + "/desk/login");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(newsroomPassword);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForLoadState();
}
const uploadFile = process.env.MASTHEAD_UPLOAD_FILE;
if (newsroomPassword && uploadFile) {
  await check("newsroom: a contributor's story with an uploaded hero, reviewed, published, leading the front page", async () => {
    const headline = "Night ferries return to the Veldt estuary";
    const signIn = async (email) => {
      const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1400, height: 1000 } });
      const page = await context.newPage();
      await page.goto(base + "/desk/login");
      await page.getByLabel("Email address").fill(email);
      await page.getByLabel("Password").fill(newsroomPassword);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForLoadState();
      return { context, page };
    };
    const clean = async (page, where) => {
      const problems = await axeViolations(page);
      assert(problems.length === 0, `${where}: ${problems.join("; ")}`);
    };

    // The contributor writes, uploads a hero with its credit, previews, submits.
    const writer = await signIn("writer@example.org");
    let page = writer.page;
    await page.goto(base + "/desk/stories/new");
    await clean(page, "new story (contributor)");
    assert(await page.getByRole("button", { name: "Publish", exact: true }).count() === 0, "no publish button for a contributor");
    await page.getByLabel("Headline").fill(headline);
    await page.getByLabel("Dek").fill("After two winters of silence the crossing runs again at night.");
    await page.locator(".ProseMirror").click();
    await page.keyboard.type("The first boat left at ten. ");
    await page.keyboard.press("Control+b");
    await page.keyboard.type("Nobody was late");
    await page.keyboard.press("Control+b");
    await page.setInputFiles("#hero-upload-file", uploadFile);
    await page.getByLabel("Its alt text").fill("A ferry's lights on dark water");
    await page.getByLabel("Its credit").fill("Wren Writer/Estuary Pictures");
    await page.getByRole("button", { name: "Upload and use it" }).click();
    await page.locator(".hero-upload-status", { hasText: "Uploaded" }).waitFor();
    assert(/^[0-9a-f]{32}$/.test(await page.locator("input[name=hero_image_id]").inputValue()), "the upload is chosen as the hero");
    assert((await page.getByRole("combobox", { name: "Hero image" }).inputValue()).includes("A ferry's lights on dark water"), "the hero field names it");
    // The hero picker finds library images by their words, with thumbnails.
    const hero = page.getByRole("combobox", { name: "Hero image" });
    await hero.fill("harbour");
    await page.locator(".picker-choices li img").first().waitFor();
    assert(await page.locator(".picker-choices li img").count() > 0, "the image choices show thumbnails");
    await hero.press("Escape");
    await hero.blur();
    assert((await hero.inputValue()).includes("A ferry's lights"), "leaving the field without choosing keeps the upload");
    assert((await bodyHTML(page)).includes("<strong>Nobody was late</strong>"), "Ctrl+B makes bold text");
    // Pasted from a word processor on a new line: headings, emphasis,
    // links and lists kept, the rest dropped.
    await page.locator(".ProseMirror").press("End");
    await page.keyboard.press("Enter");
    await paste(page, { "text/html": "<meta charset='utf-8'><h2 style='font-family:Calibri'>Why now</h2><p class='MsoNormal'>The <b>harbour</b> board <a href='https://example.org/vote'>voted</a> <span style='color:red'>late</span>.</p><ul><li>one</li><li>two</li></ul>" });
    const pasted = await bodyHTML(page);
    for (const kept of ["<h2>Why now</h2>", "<strong>harbour</strong>", '<a href="https://example.org/vote">voted</a>', "<li><p>one</p></li>", "<li><p>two</p></li>"]) {
      assert(pasted.includes(kept), `the paste keeps ${kept}: ${pasted}`);
    }
    assert(!pasted.includes("MsoNormal") && !pasted.includes("color"), "the paste drops styling");
    await page.getByRole("button", { name: "Preview" }).click();
    const preview = page.frameLocator("iframe[name=preview-frame]");
    await preview.locator("h1", { hasText: headline }).waitFor();
    const credit = await preview.locator(".hero .credit").textContent();
    assert(credit.includes("Estuary Pictures"), `the preview shows the hero's credit (${credit})`);
    await page.getByRole("button", { name: "Submit for review" }).click();
    await page.waitForLoadState();
    assert((await page.locator(".notice").first().innerText()).includes("Submitted for review"), "submitted");
    await clean(page, "story in review (contributor)");
    await writer.context.close();

    // The editor finds it in the review queue, publishes it, makes it the lead.
    const editor = await signIn("editor@example.org");
    page = editor.page;
    await page.goto(base + "/desk/stories?status=review");
    await clean(page, "review queue");
    await page.getByRole("link", { name: headline }).click();
    await page.waitForLoadState();
    await page.getByRole("button", { name: "Approve and publish" }).click();
    await page.waitForLoadState();
    assert((await page.locator(".notice").first().innerText()).includes("Published"), "published");
    await page.goto(base + "/desk/front");
    const leadPicker = page.getByRole("combobox", { name: "Lead story" });
    await leadPicker.fill(headline);
    await page.getByRole("option").filter({ hasText: headline }).first().click();
    await page.getByRole("button", { name: "Arrange the front page" }).click();
    await page.waitForLoadState();
    await clean(page, "front page (desk)");
    await editor.context.close();

    // Readers see it lead the home page, with the photo's credit.
    const reader = await browser.newContext();
    const home = await reader.newPage();
    await home.goto(base + "/");
    const lead = home.locator(".lead").first();
    assert((await lead.innerText()).includes(headline), "the story leads the home page");
    assert(await lead.locator("img").count() === 1, "with its hero image");
    await reader.close();
  });
}

if (newsroomPassword && uploadFile) {
  await check("document editor: the shared corpus opens and saves unchanged; typing, formatting, undo and redo, a pasted table and Markdown, a dropped photo with its words, published as written", async () => {
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    await signInAsEditor(page);
    // The server draws the body where the editor mounts: the editor
    // takes its place without moving anything on the page.
    await page.addInitScript(() => {
      window.shifted = 0;
      new PerformanceObserver((list) => { for (const entry of list.getEntries()) window.shifted += entry.value; })
        .observe({ type: "layout-shift", buffered: true });
    });
    const opened = Date.now();
    await page.goto(base + "/desk/stories/new");
    await page.locator(".ProseMirror").waitFor();
    assert(Date.now() - opened < 3000, `the editor opens at once (${Date.now() - opened} ms)`);
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    assert(!(await page.locator("textarea#body").isVisible()), "the raw HTML box is out of sight once the editor runs");
    const shifted = await page.evaluate(() => window.shifted);
    assert(shifted < 0.01, `the page does not move as the editor opens (layout shift ${shifted})`);
    // The text starts where the server drew it, on a wide screen and a phone.
    const drawn = await context.newPage();
    await drawn.route(/\/(editor|desk)[^/]*\.js$/, (route) => route.abort());
    for (const width of [1400, 390]) {
      await drawn.setViewportSize({ width, height: 900 });
      await page.setViewportSize({ width, height: 900 });
      await drawn.goto(base + "/desk/stories/new");
      const drawnAt = await drawn.locator(".document-preview .editor-text").evaluate((e) => e.getBoundingClientRect().top);
      const editorAt = await page.locator(".ProseMirror").evaluate((e) => e.getBoundingClientRect().top);
      assert(Math.abs(drawnAt - editorAt) < 3, `at ${width} px the text starts at ${drawnAt} px as drawn and at ${editorAt} px in the editor`);
      // Nor do the pickers, which take the place of lists, move what follows.
      const below = async (p) => p.locator("#tags").evaluate((e) => e.getBoundingClientRect().top - document.querySelector("h1").getBoundingClientRect().top);
      const before = await below(drawn);
      const after = await below(page);
      assert(Math.abs(before - after) < 3, `at ${width} px the tags field is ${before} px below the heading before the scripts run and ${after} px after`);
    }
    await drawn.close();
    await page.setViewportSize({ width: 1400, height: 1000 });

    // What the server stores, the editor opens and serializes unchanged.
    const corpus = JSON.parse(readFileSync(new URL("../documents/corpus.json", import.meta.url), "utf8")).documents;
    const back = await page.evaluate((docs) => docs.map((d) => window.MastheadEditor.serialize(window.MastheadEditor.parseHTML(d))), corpus);
    back.forEach((html, i) => assert(html === corpus[i], `corpus document ${i} comes back as it went in:\n  ${corpus[i]}\n  ${html}`));

    const headline = "Spring tide floods the lower town";
    await page.getByLabel("Headline").fill(headline);
    // How it will look in search results and when shared, as it is typed.
    await page.getByText("Address, excerpt and search engines").click();
    await page.getByLabel("SEO description").fill("Water reached the doors on Quay Road at noon.");
    assert((await page.locator(".sr-title").innerText()) === headline, "the search preview shows the headline");
    assert((await page.locator(".sr-address").innerText()).endsWith("/stories/spring-tide-floods-the-lower-town/"), await page.locator(".sr-address").innerText());
    assert((await page.locator(".sc-description").innerText()).startsWith("Water reached the doors"), "the share card shows the SEO description");
    const body = page.locator(".ProseMirror");
    await body.click();
    await page.keyboard.type("The water rose an hour early. ");
    await page.waitForTimeout(700);
    await page.getByRole("button", { name: "Bold", exact: true }).click();
    await page.keyboard.type("Nobody was ready");
    await page.keyboard.press("Control+b");
    await page.keyboard.type(".");
    assert((await bodyHTML(page)).includes("<strong>Nobody was ready</strong>."), `the toolbar and the keys format: ${await bodyHTML(page)}`);
    // Undo takes back the formatted words; redo brings them back; undo
    // reaches the words typed before them too.
    await page.waitForTimeout(700);
    await page.keyboard.press("Control+z");
    assert(!(await bodyHTML(page)).includes("Nobody"), `undo removes the bold words: ${await bodyHTML(page)}`);
    await page.keyboard.press("Control+Shift+z");
    assert((await bodyHTML(page)).includes("<strong>Nobody was ready</strong>"), "redo brings them back");
    await page.keyboard.press("Control+z");
    await page.keyboard.press("Control+z");
    assert(!(await bodyHTML(page)).includes("water rose"), `undo reaches the text typed before the formatting: ${await bodyHTML(page)}`);
    await page.keyboard.press("Control+Shift+z");
    await page.keyboard.press("Control+Shift+z");
    assert((await bodyHTML(page)).includes("<p>The water rose an hour early. <strong>Nobody was ready</strong>.</p>"), `redo restores everything: ${await bodyHTML(page)}`);
    // Typographic quotes as typed, taken back with one Ctrl+Z.
    await page.keyboard.press("End");
    await page.keyboard.type(' "');
    assert((await bodyHTML(page)).includes(". “</p>"), `a quote becomes typographic while typing: ${await bodyHTML(page)}`);
    await page.keyboard.press("Control+z");
    await page.keyboard.type("Never");
    assert((await bodyHTML(page)).includes('. "Never</p>'), `one Ctrl+Z gives the straight quote back: ${await bodyHTML(page)}`);
    await page.keyboard.press("Enter");

    // A Word table with a header row and a header column, and Markdown.
    await paste(page, { "text/html": "<table class='MsoTableGrid' style='border:none'><tr><td style='width:100px'><b>Street</b></td><th>Depth</th></tr><tr><th>Quay Road</th><td><p class='MsoNormal'>80 cm</p></td></tr></table>" });
    await paste(page, { "text/plain": "## What to do\n\n- Move cars to **higher** ground\n- Call 112" });
    await page.locator(".editor-text h2", { hasText: "What to do" }).waitFor();
    // A video's address pasted alone becomes its card.
    await page.keyboard.press("Control+End");
    await paste(page, { "text/plain": "https://youtu.be/abc123" });
    await page.locator(".editor-text figure.embed").waitFor();
    await page.locator(".editor-text h2", { hasText: "What to do" }).waitFor();
    const html = await bodyHTML(page);
    assert(html.includes("<th>Depth</th>") && html.includes("<th>Quay Road</th>") && html.includes("<td>80 cm</td>"), `the table keeps its cells: ${html}`);
    assert(html.includes("<li><p>Move cars to <strong>higher</strong> ground</p></li>"), `the Markdown becomes a list: ${html}`);

    // A photo dropped into the text is uploaded and asks for its words.
    const bytes = readFileSync(uploadFile).toString("base64");
    await page.evaluate((bytes) => {
      const view = document.querySelector("textarea[data-document-editor]").editorView;
      const raw = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([raw], "flood.jpg", { type: "image/jpeg" }));
      const box = view.dom.getBoundingClientRect();
      view.dom.dispatchEvent(new DragEvent("drop", { dataTransfer: data, clientX: box.left + 20, clientY: box.bottom - 10, bubbles: true, cancelable: true }));
    }, bytes);
    await page.locator(".editor-figure img").waitFor();
    const figure = page.locator(".editor-figure");
    await figure.getByLabel(/^Alt text/).fill("Water up to the doors on Quay Road");
    await figure.getByLabel("Caption", { exact: true }).fill("Quay Road at noon.");
    await figure.getByLabel("Credit", { exact: true }).fill("Photo: Eda Editor");
    // An image from the library, found by its words, with its thumbnail.
    await page.getByRole("button", { name: "Image", exact: true }).click();
    await page.getByLabel("Find an image in the library").fill("harbour");
    await page.locator(".image-choice").first().waitFor();
    const libraryProblems = await axeViolations(page);
    assert(libraryProblems.length === 0, `the image picker: ${libraryProblems.join("; ")}`);
    const figuresBefore = await page.locator(".editor-figure").count();
    await page.locator(".image-choice").first().click();
    assert(await page.locator(".editor-figure").count() === figuresBefore + 1, "the chosen image is in the text");
    assert(/<img src="\/media\/[^"]+" alt="[^"]+"/.test(await bodyHTML(page)), `it comes with the library's alt text: ${await bodyHTML(page)}`);
    const problems = await axeViolations(page);
    assert(problems.length === 0, `the editor with content: ${problems.join("; ")}`);
    if (process.env.MASTHEAD_SCREENSHOTS) {
      await page.screenshot({ path: `${process.env.MASTHEAD_SCREENSHOTS}/editor-1400.png`, fullPage: false });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: `${process.env.MASTHEAD_SCREENSHOTS}/editor-390.png`, fullPage: false });
      await page.setViewportSize({ width: 1400, height: 1000 });
    }

    // A hero found by its words in the picker.
    const heroPicker = page.getByRole("combobox", { name: "Hero image" });
    await heroPicker.fill("harbour");
    const firstHero = page.locator(".picker-choices li").filter({ has: page.locator("img") }).first();
    await firstHero.waitFor();
    await firstHero.click();
    const heroLabel = await heroPicker.inputValue();
    assert(heroLabel.length > 0, "a hero is chosen");

    // A copy is kept in this browser as one types: a page opened afresh
    // (a lost session, a closed tab) offers it back, into the editor, the
    // pickers naming what they held.
    await page.waitForTimeout(600);
    const kept = await context.newPage();
    await kept.goto(base + "/desk/stories/new");
    await kept.getByRole("button", { name: "Put it back in the form" }).click();
    const restored = await kept.evaluate(() => window.MastheadEditor.serialize(document.querySelector("textarea[data-document-editor]").editorView.state.doc));
    assert(restored.includes("<strong>Nobody was ready</strong>") && restored.includes("<th>Quay Road</th>"), `the kept copy is back in the editor: ${restored}`);
    const keptHero = await kept.getByRole("combobox", { name: "Hero image" }).inputValue();
    assert(keptHero === heroLabel, `the hero picker names the kept hero: ${keptHero} (chose ${heroLabel})`);
    await kept.close();

    await page.getByRole("button", { name: "Publish", exact: true }).click();
    await page.waitForLoadState();
    assert((await page.locator(".notice").first().innerText()).includes("Published"), `published: ${await page.locator("main").innerText()}`);
    const story = await context.newPage();
    await story.goto(base + "/stories/spring-tide-floods-the-lower-town/");
    const article = story.locator("article .body, .story-body, article").first();
    const published = await article.innerHTML();
    for (const part of ["<strong>Nobody was ready</strong>", "<th>Quay Road</th>", "<td>80 cm</td>", "<h2>What to do</h2>", "<strong>higher</strong>", 'data-player="https://www.youtube-nocookie.com/embed/abc123"',
      'alt="Water up to the doors on Quay Road"', "Quay Road at noon.", '<small class="credit">Photo: Eda Editor</small>']) {
      assert(published.includes(part), `the public page shows ${part}`);
    }
    await context.close();
  });

  await check("document editor without JavaScript: the body is a plain box holding its HTML, and saving it keeps it", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    await signInAsEditor(page);
    await page.goto(base + "/desk/stories/new");
    assert(await page.locator("p", { hasText: "The body editor needs JavaScript" }).isVisible(), "the desk says the editor needs JavaScript");
    assert(!(await page.locator(".document-preview").isVisible()), "the drawing meant for scripted pages is not shown");
    await page.getByLabel("Headline").fill("Lighthouse keeper retires");
    await page.getByLabel("Body", { exact: true }).fill("<p>After <em>forty</em> winters.</p>");
    await page.getByRole("button", { name: "Save draft" }).click();
    await page.waitForLoadState();
    assert((await page.getByLabel("Body", { exact: true }).inputValue()) === "<p>After <em>forty</em> winters.</p>", "the body is kept as written");
    await context.close();
  });

  await check("document editor: autosave keeps a draft's formatted body; an edit from another tab meets the conflict view, losing nothing", async () => {
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    // Autosave runs every half minute: this page's clock is moved on instead.
    await page.clock.install();
    await signInAsEditor(page);
    await page.goto(base + "/desk/stories/new");
    await page.locator(".ProseMirror").waitFor();
    await page.getByLabel("Headline").fill("Ferry timetable cut for the winter");
    await page.locator(".ProseMirror").click();
    await page.keyboard.type("Two crossings a day from ");
    await page.keyboard.press("Control+i");
    await page.keyboard.type("January");
    await page.keyboard.press("Control+i");
    await page.keyboard.type(" onwards.");
    await page.clock.fastForward(31000);
    await page.locator(".autosave-status", { hasText: "Saved automatically" }).waitFor();
    assert(/\/desk\/stories\/[0-9a-f]{32}$/.test(page.url()), `the new draft has its address: ${page.url()}`);

    // The saved draft, opened in another tab, holds the formatted body.
    const other = await context.newPage();
    await other.goto(page.url());
    await other.locator(".ProseMirror").waitFor();
    const saved = await bodyHTML(other);
    assert(saved === "<p>Two crossings a day from <em>January</em> onwards.</p>", `autosave kept the body as written: ${saved}`);
    // That tab changes the text and saves first.
    await other.locator(".ProseMirror").click();
    await other.keyboard.press("Control+End");
    await other.keyboard.type(" Harbour office.");
    await other.getByRole("button", { name: "Save draft" }).click();
    await other.waitForLoadState();
    await other.close();

    // This tab, still on the older revision, saves its own change.
    await page.locator(".ProseMirror").click();
    await page.keyboard.press("Control+End");
    await page.keyboard.type(" Fares stay the same.");
    await page.getByRole("button", { name: "Save draft" }).click();
    await page.locator("#conflict-heading").waitFor();
    // As a screen reader reads it (the markers are visually hidden words).
    const conflict = await page.locator(".conflict").textContent();
    assert(conflict.includes("[removed: Harbour office.]") && conflict.includes("[added: Fares stay the same.]"), `the conflict view shows both changes by words: ${conflict}`);
    const mine = await bodyHTML(page);
    assert(mine.includes("Fares stay the same.") && mine.includes("<em>January</em>"), `the editor still holds this tab's text: ${mine}`);
    const problems = await axeViolations(page);
    assert(problems.length === 0, `the conflict view: ${problems.join("; ")}`);
    // Saving again, having seen their version, keeps this tab's text.
    await page.getByRole("button", { name: "Save draft" }).click();
    await page.waitForLoadState();
    await page.locator(".notice", { hasText: "Saved" }).first().waitFor();
    const kept = await bodyHTML(page);
    assert(kept.includes("Fares stay the same.") && !kept.includes("Harbour office"), `the second save keeps this tab's version: ${kept}`);
    await context.close();
  });

  await check("live coverage: started and posted to from the live desk on a phone, the update reaches a reader's open page without a reload, both pages pass axe", async () => {
    const phone = { bypassCSP: true, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
    const desk = await browser.newContext(phone);
    const editorPage = await desk.newPage();
    await signInAsEditor(editorPage);
    await editorPage.goto(base + "/desk/stories?q=harbour");
    await editorPage.getByRole("link", { name: "Serenza votes to share its harbour with a rival" }).first().click();
    await editorPage.waitForLoadState();
    await editorPage.getByRole("link", { name: "Open the live desk" }).click();
    await editorPage.waitForLoadState();
    await editorPage.getByRole("button", { name: "Start live coverage" }).click();
    await editorPage.waitForLoadState();
    assert((await editorPage.locator(".notice").innerText()).includes("Live coverage has started"), "coverage starts");
    let problems = await axeViolations(editorPage);
    assert(problems.length === 0, `the live desk on a phone: ${problems.join("; ")}`);
    const width = await editorPage.evaluate(() => document.documentElement.scrollWidth);
    assert(width <= 390, `the live desk lays out ${width} px wide on a 390 px screen`);

    // A reader with the story open (a reader's browser, not a robot's).
    const readers = await browser.newContext({ ...phone, userAgent: "Mozilla/5.0 (Linux; Android 15) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36" });
    const reader = await readers.newPage();
    const streamOpen = reader.waitForResponse((r) => r.url().includes("/live?since="));
    await reader.goto(base + "/stories/serenza-votes-to-share-its-harbour-with-a-rival/");
    await streamOpen;
    assert(await reader.locator(".live-badge").isVisible(), "the page says it is live");
    problems = await axeViolations(reader);
    assert(problems.length === 0, `the live story on a phone: ${problems.join("; ")}`);

    await editorPage.locator(".ProseMirror").first().click();
    await editorPage.keyboard.type("The harbour board votes yes, 41 to 19.");
    const posted = Date.now();
    await editorPage.getByRole("button", { name: "Post the update" }).click();
    await editorPage.waitForLoadState();
    const arrived = reader.locator(".live-updates .live-update", { hasText: "41 to 19" });
    await arrived.waitFor({ timeout: 5000 });
    const took = Date.now() - posted;
    assert(took < 4000, `the update took ${took} ms to reach the open page`);
    assert((await reader.locator(".live-status").innerText()).startsWith("New update at"), "screen readers hear of it");
    const permalink = await arrived.locator(".live-update-time").getAttribute("href");
    assert(/#update-[0-9a-f]+$/.test(permalink), `the update has its own link: ${permalink}`);
    await desk.close();
    await readers.close();
  });

  await check("front page: the lead chosen with the picker from any published story, by keyboard", async () => {
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    await signInAsEditor(page);
    // The oldest published story: not among the newest the page offers.
    const oldest = await page.evaluate(async () => {
      const answer = await fetch("/desk/stories?status=published&page=1", { headers: { Accept: "application/json" } }).then((r) => r.json());
      return answer.items[answer.items.length - 1];
    });
    await page.goto(base + "/desk/front");
    const lead = page.getByRole("combobox", { name: "Lead story" });
    assert(!(await page.locator("select#lead option").count()), "the lead is a picker, not a list");
    const words = oldest.label.split(" ").slice(0, 3).join(" ");
    await lead.fill(words);
    const choice = page.getByRole("option").filter({ hasText: oldest.label }).first();
    await choice.waitFor();
    assert((await lead.getAttribute("aria-expanded")) === "true", "the list of choices is announced as open");
    const problems = await axeViolations(page);
    assert(problems.length === 0, `the open picker: ${problems.join("; ")}`);
    // The arrow keys move through the choices (the first is "the newest
    // featured story"), to the one found.
    for (let i = 0; i < 12; i++) {
      await lead.press("ArrowDown");
      const at = await lead.getAttribute("aria-activedescendant");
      if (at && (await page.locator(`#${at}`).innerText()).startsWith(oldest.label)) break;
    }
    await page.keyboard.press("Enter");
    assert((await lead.inputValue()) === oldest.label, `the story is chosen: ${await lead.inputValue()}`);
    await page.getByRole("button", { name: "Arrange the front page" }).click();
    await page.waitForLoadState();
    assert((await page.locator(".notice").first().innerText()).length > 0, "arranged");
    assert((await page.getByRole("combobox", { name: "Lead story" }).inputValue()).startsWith(oldest.label), "the page shows the chosen lead after saving");
    const home = await context.newPage();
    await home.goto(base + "/");
    assert((await home.locator(".lead").first().innerText()).includes(oldest.label), "the site leads with it");
    // Emptying the field chooses the newest featured story again.
    await page.getByRole("combobox", { name: "Lead story" }).fill("");
    await page.getByRole("button", { name: "Arrange the front page" }).click();
    await page.waitForLoadState();
    assert((await page.getByRole("combobox", { name: "Lead story" }).inputValue()) === "", "the lead is left to the newest featured story");

    // "/" goes to the desk's search from anywhere but a field.
    await page.locator("h1").click();
    await page.keyboard.press("/");
    assert(await page.getByRole("searchbox", { name: "Search the desk" }).evaluate((e) => e === document.activeElement), "/ focuses the desk's search");
    await page.keyboard.type("ferries");
    await page.keyboard.press("Enter");
    await page.waitForLoadState();
    await page.getByRole("link", { name: "Night ferries return to the Veldt estuary" }).waitFor();
    const found = await axeViolations(page);
    assert(found.length === 0, `the desk's search results: ${found.join("; ")}`);

    // A byline chosen the same way, kept when the story is saved.
    await page.goto(base + "/desk/stories/new");
    await page.getByLabel("Headline").fill("Two voices on the harbour levy");
    const second = page.getByRole("combobox", { name: "Author 2" });
    await second.fill("castellan");
    await page.getByRole("option").filter({ hasText: "Mira Castellan" }).first().waitFor();
    await second.press("ArrowDown");
    await second.press("ArrowDown");
    await second.press("Enter");
    assert((await second.inputValue()) === "Mira Castellan", `the byline is chosen: ${await second.inputValue()}`);
    await page.getByRole("button", { name: "Save draft" }).click();
    await page.waitForLoadState();
    assert((await page.getByRole("combobox", { name: "Author 2" }).inputValue()) === "Mira Castellan", "the saved story keeps the byline");
    await context.close();
  });

  await check("the desk on a phone (390 × 844): one Menu control, every page as wide as the screen, a story with a photo written and published", async () => {
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    await signInAsEditor(page);
    const nav = page.getByRole("navigation", { name: "Desk" });
    const menu = page.getByRole("button", { name: "Menu" });
    assert(!(await nav.isVisible()), "the navigation is folded away");
    assert((await menu.getAttribute("aria-expanded")) === "false", "the Menu button says it is closed");
    await menu.click();
    assert(await nav.isVisible(), "the Menu button opens the navigation");
    assert((await menu.getAttribute("aria-expanded")) === "true", "and says so");
    const fits = async (where) => {
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert(width <= 390, `${where} lays out ${width} px wide on a 390 px screen`);
      const problems = await axeViolations(page);
      assert(problems.length === 0, `${where} on a phone: ${problems.join("; ")}`);
    };
    const addresses = await nav.getByRole("link").evaluateAll((links) => links.map((a) => a.getAttribute("href")));
    assert(addresses.length >= 8, `the menu lists the desk: ${addresses}`);
    for (const address of addresses) {
      await page.goto(base + address);
      await fits(address);
    }
    for (const list of ["/desk/stories", "/desk/briefs", "/desk/media", "/desk/pages"]) {
      await page.goto(base + list);
      const item = await page.locator("main a").evaluateAll((links, list) =>
        links.map((a) => a.getAttribute("href")).find((h) => new RegExp(`^${list}/[0-9a-f]{32}$`).test(h)), list);
      if (item) {
        await page.goto(base + item);
        await fits(item);
      }
    }

    // A story written on the phone, a photo from its camera in the text.
    await page.goto(base + "/desk/stories/new");
    await fits("the new story form");
    await page.getByLabel("Headline").fill("Fog closes the ferry terminal");
    await page.locator(".ProseMirror").click();
    await page.keyboard.type("Crossings resume when the fog lifts.");
    await page.getByRole("button", { name: "Image", exact: true }).click();
    const [chooser] = await Promise.all([
      page.waitForEvent("filechooser"),
      page.getByRole("button", { name: "Upload a new image…" }).click(),
    ]);
    await chooser.setFiles(uploadFile);
    const figure = page.locator(".editor-figure");
    await figure.locator("img").waitFor();
    await figure.getByLabel(/^Alt text/).fill("The terminal in thick fog");
    await figure.getByLabel("Credit", { exact: true }).fill("Photo: Eda Editor");
    await fits("the story form with a photo");
    // The step that publishes is in sight without scrolling to the foot.
    const publish = page.getByRole("button", { name: "Publish", exact: true });
    const box = await publish.boundingBox();
    assert(box && box.y + box.height <= 844, `the Publish button is on screen (${JSON.stringify(box)})`);
    await publish.click();
    await page.waitForLoadState();
    assert((await page.locator(".notice").first().innerText()).includes("Published"), `published from the phone: ${await page.locator("main").innerText()}`);
    const story = await context.newPage();
    await story.goto(base + "/stories/fog-closes-the-ferry-terminal/");
    const html = await story.locator("article").first().innerHTML();
    assert(html.includes('alt="The terminal in thick fog"') && html.includes("Photo: Eda Editor") && html.includes("Crossings resume"), `the public page shows the story and its photo: ${html.slice(0, 400)}`);

    // A brief from the field: written in the quick form, published, then
    // given a photo taken on the phone.
    await page.goto(base + "/desk/briefs");
    await fits("the briefs page");
    await page.getByRole("textbox", { name: "Headline" }).fill("Ferry service suspended for the night");
    await page.getByRole("textbox", { name: /^A few lines/ }).click();
    await page.keyboard.type("The last crossing left at six; the next runs at dawn.");
    const publishBrief = page.getByRole("button", { name: "Publish", exact: true });
    const briefBox = await publishBrief.boundingBox();
    assert(briefBox && briefBox.y + briefBox.height <= 844, `the brief's Publish button is on screen (${JSON.stringify(briefBox)})`);
    await publishBrief.click();
    await page.waitForLoadState();
    assert((await page.locator(".notice").first().innerText()).includes("Published"), `the brief is published: ${await page.locator("main").innerText()}`);
    await fits("the brief's editor");
    await page.locator("#hero-upload-file").setInputFiles(uploadFile);
    await page.getByLabel("Its alt text").fill("The empty ferry ramp at night");
    await page.getByRole("button", { name: "Upload and use it" }).click();
    await page.locator(".hero-upload-status", { hasText: "Uploaded, and chosen." }).waitFor();
    await page.getByRole("button", { name: "Update", exact: true }).click();
    await page.waitForLoadState();
    assert((await page.locator(".notice").first().innerText()).includes("Saved"), `the photo is saved with the brief: ${await page.locator("main").innerText()}`);
    const brief = await context.newPage();
    await brief.goto(base + "/briefs/ferry-service-suspended-for-the-night/");
    const briefHtml = await brief.locator("main").innerHTML();
    assert(briefHtml.includes('alt="The empty ferry ramp at night"') && briefHtml.includes("next runs at dawn"), `the public brief shows its photo: ${briefHtml.slice(0, 400)}`);
    await context.close();

    // The owner's pages, on the phone too.
    const owners = await browser.newContext({ bypassCSP: true, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const ownerPage = await owners.newPage();
    await signInAsEditor(ownerPage, "owner@example.org");
    for (const address of ["/desk/settings", "/desk/people", "/desk/integrations", "/desk/activity", "/desk/readership", "/desk/readership?period=12m"]) {
      await ownerPage.goto(base + address);
      const width = await ownerPage.evaluate(() => document.documentElement.scrollWidth);
      assert(width <= 390, `${address} lays out ${width} px wide on a 390 px screen`);
      const problems = await axeViolations(ownerPage);
      assert(problems.length === 0, `${address} on a phone: ${problems.join("; ")}`);
    }
    await owners.close();
  });
}

await browser.close();
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
