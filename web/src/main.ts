// graphport viewer: loads /api/v2/datasets/{id} (+ edges.arrow, nodes.arrow) and draws the graph.
// Everything that comes from the data reaches the page through textContent, never as HTML.
// The page's components live in their own modules; app.ts wires them together.

import { App } from './app';
import { debug } from './debug';
import { $ } from './dom';
import { LoadError } from './loader';
import { hideMessage, showMessage } from './message';
import { Params } from './params';

async function main(): Promise<void> {
  hideMessage(); // graph.html shows a "starting" card until the script runs
  const params = Params.fromLocation(location);
  try {
    await new App(params).start();
    hideMessage();
  } catch (err) {
    debug.state = 'error';
    document.body.dataset.state = 'error';
    $('status').textContent = '';
    if (err instanceof LoadError) {
      debug.error = err.message;
      showMessage(err.heading, err.message, err.signIn);
    } else {
      debug.error = String(err);
      showMessage('Something went wrong', `The viewer failed: ${String(err)}`, false);
      throw err;
    }
  }
}

void main();
