import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { StockConfig } from '../config/config.types';
import { HubError } from '../errors/hub-error';

/** A hub location the reorder planner plans: its code (tables/locations.json) and its warehouse's code in the WMS. */
export interface PlannedLocation {
  code: string;
  /** `warehouse` of the stock level rows that belong to this location; absent: every row (one location only). */
  warehouse?: string;
}

/**
 * The locations to plan (stock.locationsFile, read once, relative to the working directory like
 * bomFile): every location listed, each with its WMS warehouse. Without a file, the one location
 * `stock.location`, counting every stock level row.
 */
export function plannedLocations(stock: Readonly<StockConfig>, cwd = process.cwd()): PlannedLocation[] {
  if (!stock.locationsFile) return [{ code: stock.location ?? 'AMS1' }];
  const file = stock.locationsFile;
  return Object.entries(readJsonObject(resolve(cwd, file), 'stock.locationsFile')).map(([code, entry]) => {
    const warehouse = (entry as { wmsWarehouse?: unknown } | null)?.wmsWarehouse;
    if (typeof warehouse !== 'string' || warehouse === '')
      throw new HubError('CONFIG_FILE_INVALID', 'config', `stock.locationsFile ${file}: location ${code} needs { "wmsWarehouse": string }`);
    return { code, warehouse };
  });
}

/**
 * Tenant → hub location (stock.tenantsFile, read once): a subscription ships from its tenant's
 * location; tenants the file does not list, and every tenant without a file, ship from `stock.location`.
 */
export function tenantLocations(stock: Readonly<StockConfig>, cwd = process.cwd()): (tenantId: string | undefined) => string {
  const fallback = stock.location ?? 'AMS1';
  const byTenant = new Map<string, string>();
  if (stock.tenantsFile) {
    for (const [tenant, entry] of Object.entries(readJsonObject(resolve(cwd, stock.tenantsFile), 'stock.tenantsFile'))) {
      const location = (entry as { location?: unknown } | null)?.location;
      if (typeof location !== 'string' || location === '')
        throw new HubError(
          'CONFIG_FILE_INVALID',
          'config',
          `stock.tenantsFile ${stock.tenantsFile}: tenant ${tenant} needs { "location": string }`,
        );
      byTenant.set(tenant, location);
    }
  }
  return (tenantId) => (tenantId !== undefined ? byTenant.get(tenantId) : undefined) ?? fallback;
}

/** A JSON file holding an object; anything else is refused with the setting and file named. */
export function readJsonObject(file: string, setting: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new HubError('CONFIG_FILE_INVALID', 'config', `${setting} ${file}: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new HubError('CONFIG_FILE_INVALID', 'config', `${setting} ${file}: expected an object`);
  return raw as Record<string, unknown>;
}
