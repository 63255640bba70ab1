import { resolve } from 'node:path';
import type { HubConfig } from '../config/config.types';
import type { DunningPolicy } from '../dunning/policy';
import { HubError } from '../errors/hub-error';
import { routeMatches } from '../config/routes';
import type { BillOfMaterials } from './demand';
import { readJsonObject, tenantLocations } from './locations';
import type { DomainSettings } from './domain-service';

/** The domain's settings from validated config; the BoM file is read once (relative to the working directory, like mappings.paths). */
export function domainSettings(config: Readonly<HubConfig>, cwd = process.cwd()): DomainSettings {
  const p = config.dunning?.policy;
  const policy: DunningPolicy | undefined = p && {
    id: p.id,
    stages: p.stages.map((s) => ({ ...s, when: s.when ?? {} })),
    retries: {
      soft: p.retries?.soft ?? [1, 4, 7, 14],
      sepaSoft: p.retries?.sepaSoft ?? [5, 12],
      technical: p.retries?.technical ?? [0, 0, 1],
      inventory: p.retries?.inventory ?? [1, 2, 3, 4, 5],
    },
    // A map names providers; a boolean (or nothing: true) is every provider's.
    providerRetries: typeof p.providerRetries === 'object' ? (p.providerRetries['*'] ?? true) : (p.providerRetries ?? true),
    blacklist: { defaults: p.blacklist?.defaults ?? 2, windowDays: p.blacklist?.windowDays ?? 365 },
  };
  return {
    bom: config.stock?.bomFile ? readBom(resolve(cwd, config.stock.bomFile)) : new Map(),
    policy,
    overrides: config.dunning?.customers ?? {},
    paymentUpdateUrl: p?.paymentUpdateUrl,
    providerRetries: typeof p?.providerRetries === 'object' ? p.providerRetries : undefined,
    paymentUpdateLinks: Object.fromEntries(
      Object.entries(config.dunning?.paymentUpdateLinks ?? {}).map(([provider, l]) => [
        provider,
        `${l.baseUrl.replace(/\/$/, '')}/links/payment-update`,
      ]),
    ),
    routed: routedTypes(config),
    locationOf: tenantLocations(config.stock ?? {}, cwd),
  };
}

/** A BoM file: { "<kit SKU>": [{ "sku": "...", "qtyPer": n }] }; anything else is refused with the file named. */
export function readBom(file: string): BillOfMaterials {
  const raw = readJsonObject(file, 'stock.bomFile');
  const bom = new Map<string, Array<{ sku: string; qtyPer: number }>>();
  for (const [kit, parts] of Object.entries(raw)) {
    const ok =
      Array.isArray(parts) &&
      parts.every(
        (x: { sku?: unknown; qtyPer?: unknown }) => typeof x?.sku === 'string' && Number.isInteger(x.qtyPer) && (x.qtyPer as number) > 0,
      );
    if (!ok)
      throw new HubError(
        'CONFIG_FILE_INVALID',
        'config',
        `stock.bomFile ${file}: kit ${kit} needs [{ "sku": string, "qtyPer": positive integer }]`,
      );
    bom.set(kit, parts as Array<{ sku: string; qtyPer: number }>);
  }
  return bom;
}

/** Whether an enabled route takes a type: answered once per type (it is asked for every derived event). */
function routedTypes(config: Readonly<HubConfig>): (type: string) => boolean {
  const known = new Map<string, boolean>();
  return (type) => {
    let routed = known.get(type);
    if (routed === undefined)
      known.set(type, (routed = (config.routes ?? []).some((r) => r.enabled !== false && routeMatches(r.on, type))));
    return routed;
  };
}
