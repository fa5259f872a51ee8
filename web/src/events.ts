// Pointer, wheel, touch and keyboard input on the graph, and the toolbar's buttons.

import { $ } from './dom';
import type { Scene } from './scene';

/** ms a finger (or pen) rests on the graph before its drag draws a selection box instead of panning. */
export const LONG_PRESS_MS = 450;
/** px a resting finger may wander and still count as a long press (fingers are not still). */
const LONG_PRESS_SLOP = 8;

/** What input can ask of the page. */
export interface Controls {
  readonly scene: Scene;
  invalidate(moving: boolean): void;
  pick(px: number, py: number): number;
  hover(i: number, px: number, py: number): void;
  /** The edge under (px, py) when no node is (-1: none), and hovering / inspecting one. */
  pickEdge(px: number, py: number): number;
  hoverEdge(e: number, px: number, py: number): void;
  hoverEdgeAt(px: number, py: number): void;
  selectEdge(e: number): void;
  select(i: number, add?: boolean): void;
  /** Add the visible nodes in a screen rectangle to the selection (box select). */
  selectBox(ax: number, ay: number, bx: number, by: number): void;
  fit(animate: boolean): void;
  resize(): void;
  toggleEdges(): void;
  toggleLabels(): void;
}

export function bindEvents(c: HTMLCanvasElement, app: Controls, search: HTMLInputElement): void {
  const view = app.scene.view;
  const pointers = new Map<number, [number, number]>();
  let downAt: [number, number] | null = null;
  let dragged = false;
  let pinch = 0;
  /** A box selection in progress: shift+drag, a drag after a long press, or any drag with the Select tool on. */
  let boxing = false;
  /** The Select tool (toolbar) is on: a plain drag (mouse, finger or pen) draws a box instead of panning. */
  let boxMode = false;
  /** Touch and pen: a finger resting still for LONG_PRESS_MS starts a box (there is no Shift key). */
  let pressTimer = 0;
  const cancelPress = (): void => {
    window.clearTimeout(pressTimer);
    pressTimer = 0;
  };
  const selectTool = $('btn-select');
  selectTool.addEventListener('click', () => {
    boxMode = !boxMode;
    selectTool.setAttribute('aria-pressed', String(boxMode));
    c.style.cursor = boxMode ? 'crosshair' : 'grab';
  });
  const box = $('select-box');
  const drawBox = (a: [number, number], b: [number, number]): void => {
    box.hidden = false;
    box.style.transform = `translate(${Math.min(a[0], b[0])}px, ${Math.min(a[1], b[1])}px)`;
    box.style.width = `${Math.abs(b[0] - a[0])}px`;
    box.style.height = `${Math.abs(b[1] - a[1])}px`;
  };
  const local = (ev: PointerEvent | WheelEvent): [number, number] => {
    const r = c.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top];
  };
  let button = 0;
  c.addEventListener('pointerdown', (ev) => {
    c.setPointerCapture(ev.pointerId);
    button = ev.button;
    pointers.set(ev.pointerId, local(ev));
    cancelPress();
    if (pointers.size === 1) {
      const at = local(ev);
      downAt = at;
      dragged = false;
      boxing = ev.button === 0 && (boxMode || (ev.pointerType === 'mouse' && ev.shiftKey));
      c.style.cursor = boxing ? 'crosshair' : 'grabbing';
      if (!boxing && ev.pointerType !== 'mouse') {
        pressTimer = window.setTimeout(() => {
          pressTimer = 0;
          if (pointers.size !== 1 || dragged || downAt !== at) return;
          boxing = true;
          drawBox(at, [at[0] + 1, at[1] + 1]); // the box's corner shows where the finger is: drag it open
          $('tooltip').hidden = true;
        }, LONG_PRESS_MS);
      }
    } else boxing = false;
    if (pointers.size > 1) box.hidden = true;
    pinch = 0;
  });
  c.addEventListener('pointermove', (ev) => {
    const p = local(ev);
    const prev = pointers.get(ev.pointerId);
    if (!prev) {
      if (ev.pointerType !== 'mouse') return;
      const i = app.pick(p[0], p[1]);
      app.hover(i, p[0], p[1]);
      if (i < 0) app.hoverEdgeAt(p[0], p[1]);
      else app.hoverEdge(-1, 0, 0);
      return;
    }
    pointers.set(ev.pointerId, p);
    if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      const dist = Math.hypot(a[0] - b[0], a[1] - b[1]);
      const mid: [number, number] = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
      if (pinch > 0 && dist > 0) view.zoomAt(mid[0], mid[1], dist / pinch);
      pinch = dist;
      view.panBy((p[0] - prev[0]) / 2, (p[1] - prev[1]) / 2);
      dragged = true;
      app.invalidate(true);
      return;
    }
    const moved = downAt ? Math.hypot(p[0] - downAt[0], p[1] - downAt[1]) : 0;
    if (pressTimer && moved > LONG_PRESS_SLOP) cancelPress(); // a pan, not a long press
    if (moved > (pressTimer ? LONG_PRESS_SLOP : 3)) dragged = true;
    if (dragged && boxing && downAt) {
      drawBox(downAt, p);
      $('tooltip').hidden = true;
    } else if (dragged) {
      view.panBy(p[0] - prev[0], p[1] - prev[1]);
      $('tooltip').hidden = true;
      app.invalidate(true);
    }
  });
  const up = (ev: PointerEvent): void => {
    const was = pointers.has(ev.pointerId);
    pointers.delete(ev.pointerId);
    pinch = 0;
    cancelPress();
    if (!was || pointers.size > 0) return;
    c.style.cursor = boxMode ? 'crosshair' : 'grab';
    if (boxing) {
      boxing = false;
      box.hidden = true;
      if (dragged && downAt && ev.type === 'pointerup') {
        const p = local(ev);
        app.selectBox(downAt[0], downAt[1], p[0], p[1]);
        downAt = null;
        return;
      }
    }
    // A click selects; a right (or middle) click never does.
    if (!dragged && ev.type === 'pointerup' && button === 0) {
      const p = local(ev);
      const hit = app.pick(p[0], p[1]);
      // Shift-click adds to (or removes from) the selection; shift-click on empty space changes nothing.
      // A click beside every node but on an edge inspects that edge.
      const edge = hit < 0 && !ev.shiftKey ? app.pickEdge(p[0], p[1]) : -1;
      if (edge >= 0) app.selectEdge(edge);
      else if (!(ev.shiftKey && hit < 0)) app.select(hit, ev.shiftKey);
    }
    downAt = null;
  };
  c.addEventListener('pointerup', up);
  c.addEventListener('pointercancel', up);
  // A long press on a touch screen opens no context menu over the graph (it starts a box instead).
  c.addEventListener('contextmenu', (ev) => {
    if (pointers.size > 0 || boxing) ev.preventDefault();
  });
  c.addEventListener('pointerleave', () => {
    if (pointers.size === 0 && app.scene.hovered >= 0) app.hover(-1, 0, 0);
    if (pointers.size === 0 && app.scene.hoveredEdge >= 0) app.hoverEdge(-1, 0, 0);
  });
  c.addEventListener(
    'wheel',
    (ev) => {
      ev.preventDefault();
      const [px, py] = local(ev);
      const dy = ev.deltaMode === 1 ? ev.deltaY * 16 : ev.deltaMode === 2 ? ev.deltaY * 400 : ev.deltaY;
      view.zoomAt(px, py, Math.exp(-Math.max(-600, Math.min(600, dy)) * 0.0015));
      $('tooltip').hidden = true;
      app.invalidate(true);
    },
    { passive: false },
  );
  // Double-click zooms in around the cursor.
  c.addEventListener('dblclick', (ev) => {
    const r = c.getBoundingClientRect();
    view.zoomAt(ev.clientX - r.left, ev.clientY - r.top, 2);
    app.invalidate(true);
  });
  window.addEventListener('resize', () => {
    app.resize();
    app.invalidate(false);
  });

  $('btn-fit').addEventListener('click', () => app.fit(true));
  $('btn-edges').addEventListener('click', () => app.toggleEdges());
  $('btn-labels').addEventListener('click', () => app.toggleLabels());
  $('inspector-close').addEventListener('click', () => app.select(-1));
  $('selection-clear').addEventListener('click', () => app.select(-1));

  window.addEventListener('keydown', (ev) => {
    if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement) return;
    if (ev.key === 'f') app.fit(true);
    else if (ev.key === '+' || ev.key === '=' || ev.key === '-' || ev.key === '_') {
      // Keyboard zoom around the centre (within the zoom limits).
      view.zoomAt(view.width / 2, view.height / 2, ev.key === '+' || ev.key === '=' ? 1.5 : 1 / 1.5);
      app.invalidate(true);
    }
    else if (ev.key === 'Escape') app.select(-1);
    else if (ev.key === '/') {
      ev.preventDefault();
      search.focus();
    }
  });
  c.style.cursor = 'grab';
}
