import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gradientCss, gradientGeometry, parseGradient, safeImageUrl } from '../src/style';

test('parseGradient reads the stop forms the client sends, gradientCss writes them back', () => {
  const pairs = parseGradient({ kind: 'linear', angle: 90, stops: [['#b00000', '0%'], ['#0000b0', 100]] });
  assert.deepEqual(pairs, { kind: 'linear', angle: 90, stops: [{ color: '#b00000', offset: '0%' }, { color: '#0000b0', offset: '100%' }] });
  assert.equal(gradientCss(pairs!), 'linear-gradient(90deg, #b00000 0%, #0000b0 100%)');
  const flat = parseGradient({ kind: 'radial', stops: [['red', '10px', 'blue', '50%']] });
  assert.deepEqual(flat?.stops, [{ color: 'red', offset: '10px' }, { color: 'blue', offset: '50%' }]);
  assert.equal(gradientCss(flat!), 'radial-gradient(circle, red 10px, blue 50%)');
  assert.equal(parseGradient({ stops: ['red'] })?.stops.length, 2, 'one colour: a flat gradient');
  assert.equal(parseGradient({ stops: [['url(x)', 0]] }), null, 'no CSS injection');
  assert.equal(parseGradient({ stops: ['red', 'blue'] })?.angle, 180, 'CSS default: to bottom');
});

test('gradientGeometry places the gradient line as CSS does', () => {
  const g = parseGradient({ angle: 90, stops: ['red', 'lime', 'blue'] })!;
  const { line, stops } = gradientGeometry(g, 200, 100);
  assert.deepEqual(line.map((v) => Math.round(v) + 0), [0, 50, 200, 50], '90deg: left to right, the box width long');
  assert.deepEqual(stops, [[0, 'red'], [0.5, 'lime'], [1, 'blue']], 'missing offsets spread evenly');
  const down = gradientGeometry(parseGradient({ stops: ['red', 'blue'] })!, 200, 100);
  assert.deepEqual(down.line.map((v) => Math.round(v) + 0), [100, 0, 100, 100], '180deg: top to bottom');
  const diag = gradientGeometry(parseGradient({ angle: 45, stops: ['red', 'blue'] })!, 100, 100);
  const len = Math.hypot(diag.line[2] - diag.line[0], diag.line[3] - diag.line[1]);
  assert.ok(Math.abs(len - 100 * Math.SQRT2) < 1e-6, 'a square at 45deg: the diagonal');
  const px = gradientGeometry(parseGradient({ angle: 90, stops: [['red', '50px'], ['blue', '10%'], ['lime', '150%']] })!, 200, 100);
  assert.deepEqual(px.stops, [[0.25, 'red'], [0.25, 'blue'], [1, 'lime']], 'px over the length; never backwards; clamped');
  const radial = gradientGeometry(parseGradient({ kind: 'radial', stops: ['red', 'blue'] })!, 60, 80);
  assert.deepEqual(radial.line, [30, 40, 50], 'circle to the farthest corner');
});

test('safeImageUrl keeps data: images and this site, nothing else', () => {
  const site = 'http://127.0.0.1:8000';
  assert.equal(safeImageUrl('data:image/png;base64,AAAA', site), 'data:image/png;base64,AAAA');
  assert.equal(safeImageUrl('/static/logo.png', site), `${site}/static/logo.png`);
  assert.equal(safeImageUrl('https://tracker.example/pixel.gif', site), null);
  assert.equal(safeImageUrl('javascript:alert(1)', site), null);
  assert.equal(safeImageUrl('data:text/html,<b>x</b>', site), null);
});
