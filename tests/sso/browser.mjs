// Signs in through single sign-on in Debian's Chromium (playwright-core from web/node_modules),
// as a person would: open START, fill the identity provider's login form, press Continue on its
// consent page, and land back on graphport. Usage: node browser.mjs PLAN.json
// PLAN: {"start": URL, "base": graphport's base URL, "login": ID, "password": PW,
//        "fetch": [paths to GET with the page's cookies afterwards]}
// Prints {"url", "title", "text", "cookies": [{name, httpOnly, sameSite}], "fetched": [{path, status, body}]}.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

// As tests/viewer/driver.mjs (which runs its own plan when imported, so it is not imported here).
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run'];
const chromiumPath = () => process.env.CHROMIUM || execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(plan.start, { waitUntil: 'load' });
  if (plan.clickProvider) {
    await page.click(`a.sso[href*="/sso/oidc/login/${plan.clickProvider}"]`);
    await page.waitForLoadState('load');
  }
  await page.fill('input[name=login]', plan.login);
  await page.fill('input[name=password]', plan.password);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type=submit]')]);
  if (await page.$('input[name=prompt][value=consent]')) {
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type=submit]')]);
  }
  await page.waitForURL((url) => url.href.startsWith(plan.base), { timeout: 30_000 });
  const fetched = [];
  for (const path of plan.fetch || []) {
    fetched.push(await page.evaluate(async (p) => {
      const r = await fetch(p, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      return { path: p, status: r.status, body: await r.text() };
    }, path));
  }
  const cookies = (await context.cookies(plan.base)).map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite }));
  process.stdout.write(JSON.stringify({
    url: page.url(), title: await page.title(), text: await page.evaluate(() => document.body.innerText), cookies, fetched,
  }));
} finally {
  await browser.close();
}
