// Drives Debian's Chromium (never a downloaded browser) through playwright-core for the viewer
// tests. Usage: node driver.mjs PLAN.json  → prints {"steps": [...], "pageErrors": [...], ...}.
// A plan is {"viewport": [w, h], "extraArgs": [...], "steps": [{"op": ...}, ...]}; see run_steps().

import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function chromiumPath() {
  return process.env.CHROMIUM || execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
}

async function waitSettled(page, timeout = 60_000) {
  // The viewer sets body[data-state]; the server's own 404 page has no canvas.
  await page.waitForFunction(
    () => document.body && (document.body.dataset.state !== 'loading' || !document.getElementById('canvas')),
    null,
    { timeout },
  );
}

// After an action: wait until the viewer has finished moving and drawing (robust on a busy machine).
async function waitIdle(page, settle = 120) {
  await page.waitForTimeout(settle);
  await page.waitForFunction(() => !window.__graphport || window.__graphport.idle(), null, { timeout: 30_000 });
}

async function debugState(page) {
  return page.evaluate(() => {
    const g = window.__graphport;
    if (!g) return null;
    const v = g.view;
    return {
      state: g.state, error: g.error, renderer: g.renderer, frames: g.frames,
      nodeCount: g.nodeCount, edgeCount: g.edgeCount,
      view: v ? { cx: v.cx, cy: v.cy, zoom: v.zoom } : null,
    };
  });
}

async function visibleText(page, selector) {
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return null;
    const style = getComputedStyle(el);
    return {
      text: el.textContent,
      html: el.innerHTML,
      visible: !el.hidden && style.display !== 'none' && style.visibility !== 'hidden',
      children: el.querySelectorAll('*').length,
    };
  }, selector);
}

async function runStep(page, step) {
  switch (step.op) {
    case 'goto':
      await page.goto(step.url, { waitUntil: 'load' });
      await waitSettled(page);
      return debugState(page);
    case 'state':
      return debugState(page);
    case 'screenshot':
      await page.screenshot({ path: step.path });
      return step.path;
    case 'wheel':
      await page.mouse.move(step.x, step.y);
      await page.mouse.wheel(0, step.dy);
      await waitIdle(page);
      return debugState(page);
    case 'drag':
      await page.mouse.move(step.from[0], step.from[1]);
      await page.mouse.down();
      await page.mouse.move(step.to[0], step.to[1], { steps: 8 });
      await page.mouse.up();
      await waitIdle(page);
      return debugState(page);
    case 'pixels': {
      // Screenshot the page, then count pixels near each colour by decoding the PNG in the page.
      // clip: [x, y, width, height] counts only that part of the page (e.g. one panel).
      // selector: only that element's box.
      let clip = step.clip ? { x: step.clip[0], y: step.clip[1], width: step.clip[2], height: step.clip[3] } : undefined;
      if (step.selector) clip = (await page.locator(step.selector).first().boundingBox()) ?? undefined;
      const png = await page.screenshot({ ...(step.path ? { path: step.path } : {}), ...(clip ? { clip } : {}) });
      return page.evaluate(
        async ({ b64, colors, tol }) => {
          const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
          const bmp = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
          const canvas = new OffscreenCanvas(bmp.width, bmp.height);
          const ctx = canvas.getContext('2d');
          ctx.drawImage(bmp, 0, 0);
          const data = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
          const counts = colors.map(() => 0);
          const distinct = new Set();
          for (let i = 0; i < data.length; i += 4) {
            const r = data[i], g = data[i + 1], b = data[i + 2];
            if ((i & 0xfc) === 0) distinct.add((r << 16) | (g << 8) | b);
            colors.forEach((c, k) => {
              if (Math.abs(r - c[0]) <= tol && Math.abs(g - c[1]) <= tol && Math.abs(b - c[2]) <= tol) counts[k]++;
            });
          }
          const at = (x, y) => Array.from(data.slice((y * bmp.width + x) * 4, (y * bmp.width + x) * 4 + 3));
          return { width: bmp.width, height: bmp.height, counts, distinct: distinct.size, corner: at(bmp.width - 5, Math.floor(bmp.height / 2)) };
        },
        { b64: png.toString('base64'), colors: step.colors ?? [], tol: step.tol ?? 40 },
      );
    }
    case 'touch': {
      // Fingers moving from `from` to `to` (lists of [x, y], one per finger), through CDP touch events;
      // `hold`: ms the fingers rest before they move (a long press).
      const cdp = await page.context().newCDPSession(page);
      const at = (t) => step.from.map((p, id) => ({ id, x: p[0] + (step.to[id][0] - p[0]) * t, y: p[1] + (step.to[id][1] - p[1]) * t }));
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: at(0) });
      if (step.hold) await page.waitForTimeout(step.hold);
      for (let k = 1; k <= 10; k++) {
        await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: at(k / 10) });
        await page.waitForTimeout(16);
      }
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
      await waitIdle(page);
      return debugState(page);
    }
    case 'dragIn': {
      // Drag inside an element, between fractions of its box: {"selector", "from": [fx, fy], "to": [fx, fy]}.
      await page.locator(step.selector).first().scrollIntoViewIfNeeded();
      const box = await page.locator(step.selector).first().boundingBox();
      if (!box) return null;
      const at = (f) => [box.x + f[0] * box.width, box.y + f[1] * box.height];
      await page.mouse.move(...at(step.from));
      await page.mouse.down();
      await page.mouse.move(...at(step.to), { steps: 6 });
      await page.mouse.up();
      await waitIdle(page);
      return debugState(page);
    }
    case 'downloads': {
      // Click `selector` and collect `count` downloads: {name, size, text (CSV, first 200k chars), counts
      // (PNG: pixels near step.colors, decoded in the page; `regions`: [[x, y, w, h], ...] counted apart)}.
      const got = [];
      const done = new Promise((resolve) => {
        page.on('download', async (d) => {
          got.push(d);
          if (got.length === (step.count ?? 1)) resolve();
        });
      });
      await page.click(step.selector);
      await Promise.race([done, new Promise((r) => setTimeout(r, step.timeout ?? 15_000))]);
      const out = [];
      for (const d of got) {
        const bytes = readFileSync(await d.path());
        const name = d.suggestedFilename();
        const item = { name, size: bytes.length };
        if (name.endsWith('.csv')) item.text = bytes.toString('utf8').slice(0, 200_000);
        if (name.endsWith('.png')) {
          item.pixels = await page.evaluate(
            async ({ b64, colors, tol, regions }) => {
              const data8 = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
              const bmp = await createImageBitmap(new Blob([data8], { type: 'image/png' }));
              const canvas = new OffscreenCanvas(bmp.width, bmp.height);
              const ctx = canvas.getContext('2d');
              ctx.drawImage(bmp, 0, 0);
              const count = (x, y, w, h) => {
                const data = ctx.getImageData(x, y, w, h).data;
                const counts = colors.map(() => 0);
                for (let i = 0; i < data.length; i += 4) {
                  colors.forEach((c, k) => {
                    if (Math.abs(data[i] - c[0]) <= tol && Math.abs(data[i + 1] - c[1]) <= tol && Math.abs(data[i + 2] - c[2]) <= tol) counts[k]++;
                  });
                }
                return counts;
              };
              const counts = count(0, 0, bmp.width, bmp.height);
              return { width: bmp.width, height: bmp.height, counts, regions: regions.map((r) => count(...r)) };
            },
            { b64: bytes.toString('base64'), colors: step.colors ?? [], tol: step.tol ?? 40, regions: step.regions ?? [] },
          );
        }
        out.push(item);
      }
      return out;
    }
    case 'boxSelect': {
      // Drag a box around the nodes `ids` (their screen positions, widened by `pad` px), holding Shift if
      // `shift`: {"ids": [...], "pad": 10, "shift": true}.
      const pts = await page.evaluate((ids) => ids.map((id) => window.__graphport.screenOf(id)), step.ids);
      if (pts.some((p) => !p)) return null;
      const pad = step.pad ?? 8;
      const x0 = Math.min(...pts.map((p) => p[0])) - pad;
      const y0 = Math.min(...pts.map((p) => p[1])) - pad;
      const x1 = Math.max(...pts.map((p) => p[0])) + pad;
      const y1 = Math.max(...pts.map((p) => p[1])) + pad;
      if (step.shift) await page.keyboard.down('Shift');
      await page.mouse.move(x0, y0);
      await page.mouse.down();
      await page.mouse.move(x1, y1, { steps: 8 });
      await page.mouse.up();
      if (step.shift) await page.keyboard.up('Shift');
      await waitIdle(page);
      return [x0, y0, x1, y1];
    }
    case 'between': {
      // Move the mouse to the middle of the nodes `ids` [a, b] (an edge's middle) and click if `click`;
      // returns the tooltip.
      const pts = await page.evaluate((ids) => ids.map((id) => window.__graphport.screenOf(id)), step.ids);
      if (pts.some((p) => !p)) return null;
      const x = (pts[0][0] + pts[1][0]) / 2;
      const y = (pts[0][1] + pts[1][1]) / 2;
      await page.mouse.move(x + 2, y + 2);
      await page.mouse.move(x, y);
      await page.waitForTimeout(100);
      if (step.click) {
        await page.mouse.click(x, y);
        await waitIdle(page);
      }
      return visibleText(page, '#tooltip');
    }
    case 'screenOf':
      return page.evaluate((id) => window.__graphport.screenOf(id), step.id);
    case 'hover': {
      const at = await page.evaluate((id) => window.__graphport.screenOf(id), step.id);
      if (!at) return null;
      await page.mouse.move(at[0] + 1, at[1] + 1);
      await page.mouse.move(at[0], at[1]);
      await page.waitForFunction(() => !document.getElementById('tooltip').hidden, null, { timeout: 10_000 }).catch(() => {});
      return visibleText(page, '#tooltip');
    }
    case 'clickNode': {
      const at = await page.evaluate((id) => window.__graphport.screenOf(id), step.id);
      if (!at) return null;
      if (step.shift) await page.keyboard.down('Shift');
      await page.mouse.click(at[0], at[1], { button: step.button ?? 'left' });
      if (step.shift) await page.keyboard.up('Shift');
      const wait = step.button && step.button !== 'left' ? 1_000 : 10_000; // a right click opens nothing
      await page.waitForFunction(() => !document.getElementById('inspector').hidden, null, { timeout: wait }).catch(() => {});
      return visibleText(page, '#inspector');
    }
    case 'type':
      await page.fill(step.selector, step.text);
      if (step.enter) {
        await page.press(step.selector, 'Enter');
        await waitIdle(page);
      } else {
        // The search runs 80 ms after the last keystroke and fills the results list.
        await page.waitForFunction(() => !document.getElementById('search-results').hidden, null, { timeout: 10_000 }).catch(() => {});
      }
      return debugState(page);
    case 'key':
      await page.keyboard.press(step.key);
      await waitIdle(page);
      return debugState(page);
    case 'mouse':
      // {"x", "y", "button": "left"|"right", "clicks": 1|2}
      await page.mouse.click(step.x, step.y, { button: step.button ?? 'left', clickCount: step.clicks ?? 1 });
      await waitIdle(page);
      return debugState(page);
    case 'click':
      await page.click(step.selector);
      await waitIdle(page);
      return debugState(page);
    case 'text':
      return visibleText(page, step.selector);
    case 'eval':
      return page.evaluate(step.expr);
    case 'wait':
      await page.waitForTimeout(step.ms);
      return null;
    case 'signal':
      // Tell the Python side (polling for this file) that the page is ready for its next change.
      writeFileSync(step.path, 'ready');
      return null;
    case 'awaitFile': {
      // Wait until the Python side has written `path` (it made its change).
      const deadline = Date.now() + (step.timeout ?? 20_000);
      while (!existsSync(step.path)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${step.path}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return null;
    }
    case 'until':
      // Wait until `expr` is truthy in the page (e.g. a live update arrived); returns its value.
      await page.waitForFunction(step.expr, null, { timeout: step.timeout ?? 20_000 });
      return page.evaluate(step.expr);
    default:
      throw new Error(`unknown step op ${JSON.stringify(step.op)}`);
  }
}

async function main() {
  const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [...CHROMIUM_ARGS, ...(plan.extraArgs ?? [])],
  });
  // requests: every URL the page asked for (data: URIs cut to 40 characters).
  const out = { steps: [], pageErrors: [], consoleErrors: [], failedRequests: [], requests: [] };
  try {
    const [w, h] = plan.viewport ?? [1000, 700];
    const context = await browser.newContext({
      viewport: { width: w, height: h },
      deviceScaleFactor: 1,
      hasTouch: Boolean(plan.touch),
    });
    if (plan.initScript) await context.addInitScript(plan.initScript); // runs before the page's scripts
    // {"routes": [{"url": glob, "path": file}]}: answer those requests with the file (e.g. a nodes.arrow
    // carrying metadata the server does not write yet).
    for (const r of plan.routes ?? []) {
      await context.route(r.url, (route) => route.fulfill({ path: r.path, contentType: r.contentType ?? 'application/octet-stream' }));
    }
    const page = await context.newPage();
    page.on('pageerror', (err) => out.pageErrors.push(String(err)));
    page.on('request', (req) => out.requests.push(req.url().startsWith('data:') ? req.url().slice(0, 40) : req.url()));
    page.on('requestfailed', (req) => out.failedRequests.push(req.url().slice(0, 200)));
    page.on('console', (msg) => {
      if (msg.type() === 'error') out.consoleErrors.push(msg.text());
    });
    for (const step of plan.steps) {
      try {
        const t0 = Date.now();
        out.steps.push(await runStep(page, step));
        // DRIVER_TIMES=FILE: append each step's duration there (to see where a slow test spends its time).
        if (process.env.DRIVER_TIMES) appendFileSync(process.env.DRIVER_TIMES, `${step.op} ${Date.now() - t0} ms\n`);
      } catch (err) {
        out.steps.push({ stepError: String(err) });
      }
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(out));
}

await main();
