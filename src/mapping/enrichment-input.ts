/** The key under which a mapping sees what a connector's enrichment step fetched, beside the event's own fields. */
export const ENRICHMENT_KEY = 'enrichment';

/**
 * The mapping input with the enrichment beside the event's own fields. Only an object input can
 * carry it (webhook bodies and envelopes are objects); the hub's key replaces a field of the same name.
 */
export function withEnrichment(input: unknown, value: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  return { ...(input as Record<string, unknown>), [ENRICHMENT_KEY]: value };
}
