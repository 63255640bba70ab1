import type { RouteConfig } from './config.types';

/** True when a route's `on` list covers the event type: exact, `family.*`, or `*`. */
export function routeMatches(on: readonly string[], type: string): boolean {
  const family = type.slice(0, type.indexOf('.'));
  return on.some((p) => p === '*' || p === type || (p.endsWith('.*') && p.slice(0, -2) === family));
}

/** A route's name in logs, metrics and dead letters. */
export function routeName(r: RouteConfig): string {
  return r.name ?? `${r.to}.${r.action}`;
}
