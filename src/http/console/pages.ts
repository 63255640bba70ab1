/**
 * The console's HTML: one shell per page (the navigation, a main region the page's script fills)
 * and the login form, which works without JavaScript. No inline script or style anywhere (the CSP
 * forbids them); text from requests is escaped.
 */

export const PAGES = [
  { name: 'overview', path: '/console/', label: 'Overview' },
  { name: 'events', path: '/console/events', label: 'Events' },
  { name: 'dead-letters', path: '/console/dead-letters', label: 'Dead letters' },
  { name: 'subscriptions', path: '/console/subscriptions', label: 'Subscriptions' },
  { name: 'dunning', path: '/console/dunning', label: 'Dunning' },
  { name: 'stock', path: '/console/stock', label: 'Stock' },
  { name: 'playground', path: '/console/playground', label: 'Mapping playground' },
  { name: 'reconciliation', path: '/console/reconciliation', label: 'Reconciliation' },
] as const;

export type PageName = (typeof PAGES)[number]['name'];

const HEAD = `<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/vendor/uplot.css">
<link rel="stylesheet" href="/console/assets/console.css">`;

export function shellPage(page: PageName): string {
  const current = PAGES.find((p) => p.name === page)!;
  const nav = PAGES.map(
    (p) => `<li><a href="${p.path}"${p.name === page ? ' aria-current="page"' : ''}>${escapeHtml(p.label)}</a></li>`,
  ).join('');
  return `<!doctype html>
<html lang="en">
<head>
${HEAD}
<title>${escapeHtml(current.label)} · subhub console</title>
<script type="module" src="/console/assets/main.js"></script>
</head>
<body data-page="${page}">
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<span class="brand">subhub</span>
<nav aria-label="Console pages"><ul>${nav}</ul></nav>
<div class="who" id="who"></div>
</header>
<main id="main" tabindex="-1"><h1>${escapeHtml(current.label)}</h1><p class="muted" role="status">Loading…</p></main>
</body>
</html>`;
}

export function loginPage(error?: string, next = '/console/'): string {
  return `<!doctype html>
<html lang="en">
<head>
${HEAD}
<title>Log in · subhub console</title>
</head>
<body class="login">
<main id="main">
<h1>subhub console</h1>
<form method="post" action="/console/login" class="card">
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<label for="name">Your name <span class="muted">(recorded with replays, discards and changes)</span></label>
<input id="name" name="name" autocomplete="username" required maxlength="100" autofocus>
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<input type="hidden" name="next" value="${escapeHtml(next)}">
<button type="submit">Log in</button>
</form>
</main>
</body>
</html>`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
