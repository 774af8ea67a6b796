import { once } from "node:events";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { PGlite } from "@electric-sql/pglite";
import { expect } from "chai";
import { pino } from "pino";
import type { Browser, Page } from "playwright-core";
import { wire, type Soquy } from "../src/context.js";
import { migrate, openDatabase } from "../src/db/connect.js";
import { createApp, createServer } from "../src/http/app.js";
import { seedDemo, type DemoUser } from "../seeds/demo.js";
import { axe, launch, vietnameseOnly } from "./support/browser.js";
import { testSigningKeyFile } from "./support/db.js";

// Every page of the workspace in Vietnamese, as each role reaches it over the demo's books (real campaigns,
// entries, imports and checkpoints): from the menu and from the first links of each list, no English label
// from the screens' tables, no result code, no JSON, and axe-core's WCAG 2 A/AA rules clean. The demo is
// loaded into an embedded database of its own: seedDemo writes only into an empty one.

const PER_LIST = 2; // links followed from each page found through the menu
const SKIP = /\/app\/(logout|lang|assets)|\.(pdf|csv|xlsx|json)(\?|$)|[?&](lang|format)=/;

/** Where a page is, ids and numbers made general: a shape is checked by axe once, whoever reaches it. */
const shape = (url: string) => new URL(url).pathname.replace(/\/[0-9a-f-]{36}|\/\d+/g, "/:id").replace(/\/[A-Z][A-Z0-9-]{2,}(\/|$)/g, "/:code$1");

describe("every workspace page in Vietnamese, for every role", function () {
  this.timeout(600_000);
  let s: Soquy;
  let server: Server;
  let base: string;
  let browser: Browser;
  let users: DemoUser[];

  before(async function () {
    // The demo is loaded into an embedded database of its own whichever database the suite runs on: in the
    // PostgreSQL half this would be the PGlite half's run again (the other browser tests render from PostgreSQL).
    if (process.env.TEST_DATABASE_URL) this.skip();
    const db = await openDatabase({ pglite: new PGlite() });
    await migrate(db.knex);
    s = wire(db, { signingKeyFile: testSigningKeyFile });
    users = (await seedDemo(s)).users;
    server = createServer(createApp(s, pino({ level: "silent" }))).listen(0, "127.0.0.1");
    await once(server, "listening");
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await s?.close();
  });

  async function links(page: Page): Promise<string[]> {
    const hrefs = await page.locator("main a[href^='/app'], nav.app a[href^='/app']").evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    return [...new Set(hrefs)].filter((h) => h.startsWith(base) && !SKIP.test(h));
  }

  it("shows no English, no result code and no JSON on any page a role reaches, and passes axe on each kind of page", async () => {
    const committee = users[0]!.committee;
    const roles = users.filter((u) => u.committee === committee);
    expect(roles.map((u) => u.role).sort()).to.include.members(["approver", "auditor", "treasurer"]);
    const checked = new Set<string>();
    let pages = 0;
    for (const u of roles) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: "vi-VN" });
      const page = await context.newPage();
      await page.goto(`${base}/app/login`);
      await page.getByLabel("Tên đăng nhập").fill(u.login);
      await page.getByLabel("Mật khẩu").fill(u.password);
      await page.getByRole("button", { name: "Đăng nhập" }).click();
      await page.waitForURL(`${base}/app`);
      const menu = await links(page);
      const seen = new Set<string>();
      const visit = async (url: string): Promise<string[]> => {
        if (seen.has(url)) return [];
        seen.add(url);
        const res = await page.goto(url);
        const name = `${u.role} ${new URL(url).pathname}`;
        expect(res?.status(), name).to.be.below(500);
        expect(res?.headers()["content-type"] ?? "", name).to.contain("text/html");
        await vietnameseOnly(page, name);
        pages++;
        if (!checked.has(shape(url))) {
          checked.add(shape(url));
          await axe(page, name);
        }
        return links(page);
      };
      for (const url of [`${base}/app`, ...menu]) {
        const found = await visit(url);
        for (const next of found.filter((h) => !menu.includes(h)).slice(0, PER_LIST)) await visit(next);
      }
      await context.close();
    }
    console.log(`      ${pages} pages in ${roles.length} roles, ${checked.size} kinds of page checked by axe`);
    expect(checked.size, "kinds of page reached").to.be.greaterThan(12);
  });
});
