// The layout (issue #12): Graphistry's layout settings from the URL (strongGravity, gravity, lockedX...),
// compared with the settings that placed the nodes (nodes.arrow's graphport:layout metadata); when they
// differ and the person may edit the dataset, the server re-runs the layout (POST .../layout) and the page
// follows it frame by frame (GET .../layout, .../layout/frame.arrow) until it is stored. The Layout panel
// shows the settings, Run, Pause/Resume and Stop to editors, and says why not to everyone else.
// play=0 (Graphistry: no layout animation) shows the final layout only.

import { tableFromIPC } from 'apache-arrow';
import type { Params } from './params';
import { withParam } from './urlstate';

export type Settings = Record<string, number | boolean>;

/** Graphistry's layout settings: name, default, and for numbers the accepted range (docs/layout.md). */
const FIELDS: [string, boolean | number, [number, number]?][] = [
  ['strongGravity', false],
  ['dissuadeHubs', false],
  ['linLog', false],
  ['lockedX', false],
  ['lockedY', false],
  ['lockedR', false],
  ['gravity', 1, [0, 1000]],
  ['scalingRatio', 1, [0.01, 1000]],
  ['edgeInfluence', 1, [0, 10]],
  ['precisionVsSpeed', 1, [-5, 5]],
];
export const LAYOUT_KEYS = FIELDS.map(([k]) => k);

export function defaults(): Settings {
  return Object.fromEntries(FIELDS.map(([k, v]) => [k, v]));
}

/** The layout settings the URL names (text as the official client writes it: True/false/1/0, numbers). */
export function urlSettings(params: Params): { settings: Settings; given: boolean; bad: string[] } {
  const settings = defaults();
  const bad: string[] = [];
  let given = false;
  for (const [key, fallback, range] of FIELDS) {
    const raw = params.str(key);
    if (raw === undefined) continue;
    given = true;
    const t = raw.trim().toLowerCase();
    if (typeof fallback === 'boolean') {
      if (t === 'true' || t === '1') settings[key] = true;
      else if (t === 'false' || t === '0') settings[key] = false;
      else bad.push(key);
    } else {
      const n = Number(t);
      if (t === '' || !Number.isFinite(n) || (range && (n < range[0] || n > range[1]))) bad.push(key);
      else settings[key] = n;
    }
  }
  return { settings, given, bad };
}

/** The layout that placed the nodes (nodes.arrow metadata graphport:layout); null: positions uploaded. */
export function storedLayout(metadata: Map<string, string>): { settings: Settings; run: number } | null {
  const raw = metadata.get('graphport:layout');
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as { settings?: Settings; run?: number };
    return { settings: { ...defaults(), ...(v.settings ?? {}) }, run: Number(v.run ?? 0) };
  } catch {
    return null;
  }
}

export function sameSettings(a: Settings, b: Settings): boolean {
  return LAYOUT_KEYS.every((k) => Number(a[k]) === Number(b[k]));
}

function csrfHeaders(): Record<string, string> {
  const m = /(?:^|;\s*)graphport_csrf=([^;]*)/.exec(document.cookie);
  return { 'Content-Type': 'application/json', ...(m ? { 'X-CSRF-Token': decodeURIComponent(m[1]) } : {}) };
}

async function errorOf(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: string };
    return body.error ?? `${res.status} ${res.statusText}`;
  } catch {
    return `${res.status} ${res.statusText}`;
  }
}

export interface LayoutState {
  state: string;
  kind?: string;
  frame: number;
  error?: string | null;
}

/** What the panel needs from the page: move the nodes (positions in nodes.arrow row order). */
export interface LayoutHost {
  moveNodes(x: ArrayLike<number>, y: ArrayLike<number>, fit: boolean): void;
}

export class LayoutPanel {
  private readonly base: string;
  private running = false;
  private settings: Settings;
  private readonly section: HTMLElement;
  private readonly status: HTMLElement;
  private readonly pause: HTMLButtonElement;
  private readonly stop: HTMLButtonElement;
  private readonly run: HTMLButtonElement;
  private readonly inputs = new Map<string, HTMLInputElement>();

  constructor(
    private readonly host: LayoutHost,
    id: string,
    private readonly params: Params,
    private readonly canEdit: boolean,
    private stored: { settings: Settings; run: number } | null,
  ) {
    this.base = `/api/v2/datasets/${encodeURIComponent(id)}/layout`;
    this.settings = { ...(stored?.settings ?? defaults()) };
    this.section = document.createElement('section');
    this.section.id = 'layout';
    this.section.className = 'panel';
    this.section.setAttribute('aria-label', 'Layout');
    this.section.hidden = true;
    const header = document.createElement('header');
    const h2 = document.createElement('h2');
    h2.textContent = 'Layout';
    const close = document.createElement('button');
    close.type = 'button';
    close.textContent = '×';
    close.setAttribute('aria-label', 'Close layout');
    close.addEventListener('click', () => this.open(false));
    header.append(h2, close);
    this.status = document.createElement('p');
    this.status.id = 'layout-status';
    this.status.className = 'hint';
    this.status.setAttribute('role', 'status');
    const form = document.createElement('form');
    form.id = 'layout-form';
    for (const [key, fallback, range] of FIELDS) {
      const label = document.createElement('label');
      label.style.display = 'flex';
      label.style.gap = '6px';
      const input = document.createElement('input');
      input.name = key;
      if (typeof fallback === 'boolean') input.type = 'checkbox';
      else {
        input.type = 'number';
        input.step = 'any';
        if (range) [input.min, input.max] = [String(range[0]), String(range[1])];
        input.style.width = '80px';
      }
      input.disabled = !canEdit;
      const text = document.createElement('span');
      text.textContent = key;
      text.style.flex = '1';
      label.append(text, input);
      form.append(label);
      this.inputs.set(key, input);
    }
    const buttons = document.createElement('p');
    const button = (label: string): HTMLButtonElement => {
      const b = document.createElement('button');
      b.type = 'button';
      b.id = `layout-${label.toLowerCase()}`;
      b.textContent = label;
      b.disabled = !canEdit;
      buttons.append(b, ' ');
      return b;
    };
    this.run = button('Run');
    this.pause = button('Pause');
    this.stop = button('Stop');
    this.run.addEventListener('click', () => void this.start(this.fromForm()));
    this.pause.addEventListener('click', () => void this.control(this.pause.textContent === 'Pause' ? 'pause' : 'resume'));
    this.stop.addEventListener('click', () => void this.control('cancel'));
    this.section.append(header, this.status, form, buttons);
    (document.getElementById('side') ?? document.body).append(this.section);
    const toolbar = document.getElementById('toolbar');
    if (toolbar) {
      const open = document.createElement('button');
      open.id = 'btn-layout';
      open.type = 'button';
      open.textContent = 'Layout';
      open.title = 'Layout settings: re-run the layout';
      open.setAttribute('aria-expanded', 'false');
      open.setAttribute('aria-controls', 'layout');
      open.addEventListener('click', () => this.open(this.section.hidden));
      toolbar.append(open);
    }
    this.fill(this.settings);
    this.sync();
  }

  open(show: boolean): void {
    this.section.hidden = !show;
    document.getElementById('btn-layout')?.setAttribute('aria-expanded', String(show));
  }

  private fill(s: Settings): void {
    for (const [k, input] of this.inputs) {
      if (input.type === 'checkbox') input.checked = Boolean(s[k]);
      else input.value = String(s[k]);
    }
  }

  private fromForm(): Settings {
    const s: Settings = {};
    for (const [k, input] of this.inputs) s[k] = input.type === 'checkbox' ? input.checked : Number(input.value);
    return s;
  }

  private say(text: string): void {
    this.status.textContent = text;
  }

  private sync(): void {
    this.pause.disabled = !this.canEdit || !this.running;
    this.stop.disabled = !this.canEdit || !this.running;
    this.run.disabled = !this.canEdit;
    if (!this.running) this.pause.textContent = 'Pause';
    if (!this.running) {
      if (!this.stored) this.say('The positions were uploaded with the data: they are kept, no layout runs.');
      else if (!this.canEdit) this.say('Only the dataset’s editors can re-run its layout; you see the stored layout.');
      else this.say(`Layout run ${this.stored.run}: change the settings and press Run.`);
    }
    document.body.dataset.layout = this.running ? 'running' : 'idle';
  }

  /** On open: the URL's settings, re-run when they differ from the stored layout's (and may be). */
  async fromUrl(): Promise<void> {
    const { settings, given, bad } = urlSettings(this.params);
    if (!given) return;
    if (bad.length > 0) {
      this.open(true);
      this.say(`Layout settings not applied: ${bad.join(', ')} ${bad.length > 1 ? 'have' : 'has'} a value out of range.`);
      return;
    }
    if (!this.stored) {
      this.open(true);
      this.say('Layout settings not applied: the positions were uploaded with the data, and they win.');
      return;
    }
    if (sameSettings(settings, this.stored.settings)) return;
    if (!this.canEdit) {
      this.open(true);
      this.say('Layout settings not applied: only the dataset’s editors can re-run its layout; you see the stored layout.');
      return;
    }
    this.fill(settings);
    await this.start(settings);
  }

  private async start(settings: Settings): Promise<void> {
    const res = await fetch(this.base, {
      method: 'POST',
      credentials: 'same-origin',
      headers: csrfHeaders(),
      body: JSON.stringify(settings),
    });
    if (!res.ok) {
      this.open(true);
      this.say(`The layout could not be re-run: ${await errorOf(res)}`);
      return;
    }
    this.settings = settings;
    // The URL carries the settings run (defaults left out), so reopening a copied link does not
    // re-run the layout back to the settings the page was opened with.
    let href = location.href;
    const base = defaults();
    for (const k of LAYOUT_KEYS) href = withParam(href, k, Number(settings[k]) === Number(base[k]) ? [] : [String(settings[k])]);
    history.replaceState(history.state, '', href);
    this.running = true;
    this.sync();
    this.say('Laying out…');
    await this.follow();
  }

  private async control(action: 'pause' | 'resume' | 'cancel'): Promise<void> {
    const res = await fetch(`${this.base}/${action}`, { method: 'POST', credentials: 'same-origin', headers: csrfHeaders(), body: '{}' });
    if (!res.ok) this.say(`Could not ${action} the layout: ${await errorOf(res)}`);
    else if (action === 'pause') this.pause.textContent = 'Resume';
    else if (action === 'resume') this.pause.textContent = 'Pause';
  }

  /** Poll the run: move the nodes to each new frame (unless play=0), then to the stored result. */
  private async follow(): Promise<void> {
    const animate = this.params.num('play', 1) !== 0;
    let shown = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 300));
      const res = await fetch(this.base, { credentials: 'same-origin', cache: 'no-store' });
      if (!res.ok) break;
      const st = (await res.json()) as LayoutState;
      if (st.state === 'running' || st.state === 'paused') {
        this.say(st.state === 'paused' ? `Paused at frame ${st.frame}.` : `Laying out… frame ${st.frame}`);
        if (animate && st.frame > shown) {
          const frame = await fetch(`${this.base}/frame.arrow`, { credentials: 'same-origin', cache: 'no-store' });
          if (frame.ok) {
            const t = tableFromIPC(new Uint8Array(await frame.arrayBuffer()));
            const x = t.getChild('x')?.toArray() as Float32Array | undefined;
            const y = t.getChild('y')?.toArray() as Float32Array | undefined;
            if (x && y) this.host.moveNodes(x, y, shown === 0);
            shown = st.frame;
          }
        }
        continue;
      }
      this.running = false;
      if (st.state === 'done') {
        const nodes = await fetch(`${this.base.replace(/\/layout$/, '')}/nodes.arrow`, { credentials: 'same-origin', cache: 'no-store' });
        if (nodes.ok) {
          const t = tableFromIPC(new Uint8Array(await nodes.arrayBuffer()));
          const meta = t.schema.metadata;
          this.stored = storedLayout(meta) ?? this.stored;
          const [xName, yName] = JSON.parse(meta.get('graphport:positions') ?? '["x","y"]') as [string, string];
          const x = t.getChild(xName)?.toArray() as ArrayLike<number> | undefined;
          const y = t.getChild(yName)?.toArray() as ArrayLike<number> | undefined;
          if (x && y) this.host.moveNodes(x, y, true);
        }
        this.sync();
        this.say('Layout done and stored: reopening this page shows it.');
      } else {
        this.sync();
        this.say(st.state === 'cancelled' ? 'Layout stopped; the stored layout is kept.' : `The layout failed: ${st.error ?? st.state}`);
      }
      return;
    }
    this.running = false;
    this.sync();
  }
}
