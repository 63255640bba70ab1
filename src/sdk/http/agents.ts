import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { guardedLookup } from '../../net/outbound-guard';

/** Kept-alive connection pools for one configured target; every name resolves through the SSRF guard. */
export function targetAgents(allowHosts: readonly string[] = []): { http: HttpAgent; https: HttpsAgent } {
  const lookup = guardedLookup(allowHosts.map((h) => h.toLowerCase()));
  return {
    http: new HttpAgent({ keepAlive: true, maxSockets: 64, lookup }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 64, lookup }),
  };
}
