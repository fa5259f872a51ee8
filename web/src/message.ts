// The message card over the page: what failed while loading, and a Sign in link where it helps.

import { $ } from './dom';

export function showMessage(heading: string, text: string, signIn: boolean): void {
  $('message-title').textContent = heading;
  $('message-text').textContent = text;
  const actions = $('message-actions');
  actions.replaceChildren();
  if (signIn) {
    const a = document.createElement('a');
    a.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
    a.textContent = 'Sign in';
    a.className = 'button';
    actions.append(a);
  }
  $('message').hidden = false;
}

export function hideMessage(): void {
  $('message').hidden = true;
}
