// Entry point of every console page: reads the session, then renders the page named by <body data-page>.
import { html, render } from '/console/vendor/preact.js';
import { loadSession, logout } from './api.js';
import { setFormats } from './format.js';

const pages = {
  overview: () => import('./pages/overview.js'),
  events: () => import('./pages/events.js'),
  'dead-letters': () => import('./pages/dead-letters.js'),
  subscriptions: () => import('./pages/subscriptions.js'),
  dunning: () => import('./pages/dunning.js'),
  stock: () => import('./pages/stock.js'),
  playground: () => import('./pages/playground.js'),
  reconciliation: () => import('./pages/reconciliation.js'),
};

const session = await loadSession();
setFormats(session);
render(
  html`<span>Logged in as <strong>${session.actor}</strong></span> <button type="button" class="link" onClick=${logout}>Log out</button>`,
  document.getElementById('who'),
);
const name = document.body.dataset.page;
const main = document.getElementById('main');
const { Page, title } = await pages[name]();
main.textContent = '';
render(
  html`<h1>${title}</h1>
    <${Page} session=${session} />`,
  main,
);
