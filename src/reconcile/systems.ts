import type { HubConfig } from '../config/config.types';
import type { ConnectorRuntime } from '../connectors/registry';
import { HubError, isHubError } from '../errors/hub-error';
import type { ConnectorKind, Pull } from '../sdk';

/** Stable code of a pull that failed (the connector and the pull are named in the message). */
export const RECONCILE_PULL_FAILED = 'RECONCILE_PULL_FAILED';

export type SystemRole = 'billing' | 'warehouse' | 'erp';

/** What each role reads and which connector kind fills it when `reconcile.<role>` is not set. */
const ROLES: Record<SystemRole, { kind: ConnectorKind; pull: string }> = {
  billing: { kind: 'billing', pull: 'subscriptions' },
  warehouse: { kind: 'warehouse', pull: 'reservations' },
  erp: { kind: 'erp', pull: 'draftPurchaseOrders' },
};

export interface ResolvedSystem {
  connectorId: string;
  connector: ConnectorRuntime;
  /** The connector's pulls, each failing with an error that names the connector and the pull. */
  pulls: Record<string, Pull>;
}

/** The connectors one run compares: every billing connector named (or the single one found), the warehouse, the ERP. */
export interface ResolvedSystems {
  /** Empty when the billing role is skipped. */
  billing: ResolvedSystem[];
  warehouse?: ResolvedSystem;
  erp?: ResolvedSystem;
}

/**
 * The connectors the reconciliation compares: `reconcile.billing|warehouse|erp` when set (an
 * unknown or disabled connector, or one without the needed pull, is a config error;
 * `reconcile.billing` may name several billing connectors, compared one after the other), else
 * the single enabled connector of that kind with that pull. A role with none (or several
 * candidates) is skipped and said so in the report.
 */
export function resolveSystems(
  config: Readonly<HubConfig>,
  connectors: ReadonlyMap<string, ConnectorRuntime>,
): { systems: ResolvedSystems; skipped: string[] } {
  const found: Partial<Record<SystemRole, ResolvedSystem[]>> = {};
  const skipped: string[] = [];
  for (const role of Object.keys(ROLES) as SystemRole[]) {
    const { kind, pull } = ROLES[role];
    const setting = config.reconcile?.[role];
    if (setting !== undefined) {
      found[role] = (typeof setting === 'string' ? [setting] : setting).map((named) => {
        const c = connectors.get(named);
        if (!c)
          throw new HubError(
            'CONFIG_UNKNOWN_REF',
            'config',
            `reconcile.${role} names connector "${named}", which is not configured or is disabled`,
          );
        if (!hasPull(c, pull))
          throw new HubError(
            'CONFIG_UNKNOWN_REF',
            'config',
            `reconcile.${role}: connector "${named}" (type ${c.definition.type}) has no "${pull}" pull`,
          );
        return { connectorId: named, connector: c, pulls: pullsOf(c) };
      });
      continue;
    }
    const candidates = [...connectors.values()].filter((c) => c.definition.kind === kind && hasPull(c, pull));
    if (candidates.length === 1)
      found[role] = [{ connectorId: candidates[0]!.id, connector: candidates[0]!, pulls: pullsOf(candidates[0]!) }];
    else if (candidates.length === 0) skipped.push(`${role}: no ${kind} connector with a "${pull}" pull is configured`);
    else
      skipped.push(
        `${role}: several ${kind} connectors (${candidates.map((c) => c.id).join(', ')}); ${role === 'billing' ? 'name them' : 'name one'} in reconcile.${role}`,
      );
  }
  return { systems: { billing: found.billing ?? [], warehouse: found.warehouse?.[0], erp: found.erp?.[0] }, skipped };
}

function hasPull(c: ConnectorRuntime, pull: string): boolean {
  return typeof c.pulls[pull] === 'function';
}

/** The connector's pulls (built by the registry; secrets resolve on first use), each wrapped by `pullError`. */
export function pullsOf(c: ConnectorRuntime): Record<string, Pull> {
  return Object.fromEntries(Object.entries(c.pulls).map(([name, pull]) => [name, guarded(pull, c.id, name)]));
}

function guarded(pull: Pull, connectorId: string, name: string): Pull {
  return async function* (params) {
    try {
      yield* pull(params);
    } catch (e) {
      throw pullError(e, connectorId, name);
    }
  };
}

/** A failed pull as a HubError naming the connector and the pull; the cause's code when it has one. */
export function pullError(e: unknown, connectorId: string, pull: string): HubError {
  if (isHubError(e) && e.message.startsWith(`${connectorId}: `)) return e;
  const message = `${connectorId}: the "${pull}" pull failed: ${e instanceof Error ? e.message : String(e)}`;
  return isHubError(e)
    ? new HubError(e.code, e.kind, message, { cause: e, ...(e.hint ? { hint: e.hint } : {}) })
    : new HubError(RECONCILE_PULL_FAILED, 'retryable', message, { cause: e });
}
