import { DeliveryError } from '../delivery-error';

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}/g;

/**
 * Fills `{{a.b}}` placeholders of an action's path from the mapped payload, URL-encoded
 * (e.g. "/orders/{{externalId}}"). Only own properties are read; a missing, null or non-scalar
 * value is bad input for this delivery (dead-lettered, not retried).
 */
export function fillPath(template: string, payload: unknown): string {
  return template.replace(PLACEHOLDER, (_m, path: string) => {
    let v: unknown = payload;
    for (const key of path.split('.')) {
      v =
        v !== null && typeof v === 'object' && !Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, key)
          ? (v as Record<string, unknown>)[key]
          : undefined;
    }
    if (typeof v !== 'string' && typeof v !== 'number') {
      throw new DeliveryError(
        'MAPPING_REQUIRED_MISSING',
        `the path template ${template} needs "${path}" in the payload (a string or number)`,
      );
    }
    return encodeURIComponent(String(v));
  });
}
