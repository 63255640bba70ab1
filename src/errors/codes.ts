import type { ErrorKind } from './hub-error';

/**
 * The catalogue of stable error codes. Tests assert on these; operators search logs for them.
 * Add codes, never rename or reuse one.
 */
export const ERROR_CODES = {
  // Files (config, mappings, cases, tables)
  FILE_READ: { kind: 'config', summary: 'A file could not be read.' },
  JSON_SYNTAX: { kind: 'config', summary: 'A file is not valid JSON.' },
  JSON_TOO_DEEP: { kind: 'config', summary: 'A file nests deeper than the parser allows.' },
  SCHEMA_INVALID: { kind: 'config', summary: 'A file breaks its JSON Schema.' },

  // Hub config
  CONFIG_UNKNOWN_REF: { kind: 'config', summary: 'The config names a connector, mapping or event type that does not exist.' },
  CONFIG_SECRET_MISSING: { kind: 'config', summary: 'A secret reference points at an unset variable or missing file.' },
  CONFIG_PLUGIN_INVALID: {
    kind: 'config',
    summary: 'A custom connector module could not be loaded or does not declare a valid connector.',
  },
  CONFIG_OUTBOUND_BLOCKED: {
    kind: 'config',
    summary: 'An outbound URL points at a loopback, private, link-local or metadata address, or is not http(s).',
  },
  CONFIG_ENV_INVALID: { kind: 'config', summary: 'An environment override has the wrong type.' },
  RECONCILE_LOCKED: { kind: 'config', summary: "Another reconciliation holds this data folder's reconcile lock; two runs never overlap." },
  RECONCILE_PULL_FAILED: {
    kind: 'retryable',
    summary: 'A system could not be read during reconciliation (the connector and pull are named).',
  },
  CONFIG_FILE_INVALID: {
    kind: 'config',
    summary: 'A data file the config names (e.g. stock.bomFile) is unreadable or has the wrong shape.',
  },
  CONFIG_OVERLAY_INVALID: {
    kind: 'config',
    summary: 'An overlay\'s "$remove" names an entry no layer below has, or the base file has a "$remove".',
  },

  // CLI and local runs
  PORT_IN_USE: { kind: 'config', summary: 'A port to listen on is taken by another process; stop it or choose another port.' },
  CONSOLE_OFF: {
    kind: 'config',
    summary: 'The console is off (404): set SUBHUB_ADMIN_TOKEN (and keep admin.console.enabled) to serve /console.',
  },
  CONSOLE_CSRF: {
    kind: 'permanent',
    summary: 'A console request changing state came from another site or without its CSRF token (403): nothing was changed.',
  },
  ADMIN_API_OFF: { kind: 'config', summary: 'The admin API is off (404): start the hub with SUBHUB_ADMIN_TOKEN set to enable /admin/api.' },

  // Mapping compile time
  MAPPING_UNKNOWN_OPERATOR: { kind: 'config', summary: 'A mapping uses an operator that does not exist.' },
  MAPPING_BAD_PATH: { kind: 'config', summary: 'A path expression does not parse.' },
  MAPPING_UNKNOWN_VARIABLE: { kind: 'config', summary: 'A path refers to a variable that is not in scope.' },
  MAPPING_UNKNOWN_TABLE: { kind: 'config', summary: 'A lookup names a table the mapping does not declare.' },
  MAPPING_UNKNOWN_MAPPING: { kind: 'config', summary: '$use (or a cases file) names a mapping that is not loaded or does not compile.' },
  MAPPING_CYCLE: { kind: 'config', summary: 'Mappings use each other in a cycle.' },
  MAPPING_BAD_REGEX: { kind: 'config', summary: 'A regular expression does not compile.' },
  MAPPING_UNSAFE_REGEX: {
    kind: 'config',
    summary: 'A regular expression could backtrack catastrophically (no longer raised: regexes run on a linear-time engine).',
  },
  MAPPING_UNSUPPORTED_REGEX: {
    kind: 'config',
    summary: 'A regular expression uses syntax the linear-time engine (RE2) does not run: back-references, lookaround.',
  },
  MAPPING_BAD_ARGUMENT: { kind: 'config', summary: 'An operator argument is not valid (time zone, unit, name).' },
  MAPPING_TABLE_LOAD: { kind: 'config', summary: 'A lookup table file could not be loaded.' },
  MAPPING_JSONATA_COMPILE: { kind: 'config', summary: 'A $jsonata expression does not compile.' },
  MAPPING_JSONATA_PLACEMENT: { kind: 'config', summary: '$jsonata sits where per-item evaluation would be needed.' },
  MAPPING_FORBIDDEN_KEY: { kind: 'config', summary: 'A mapping writes a key that would pollute prototypes.' },
  MAPPING_TOO_DEEP: { kind: 'config', summary: 'A mapping nests deeper than the compiler allows.' },
  MAPPING_NAME_MISMATCH: { kind: 'config', summary: 'A mapping\'s "name" differs from its file name.' },

  // Webhook answers (HTTP)
  WEBHOOK_UNKNOWN_CONNECTOR: { kind: 'bad_input', summary: 'No enabled connector with webhooks has this id (404).' },
  WEBHOOK_UNSUPPORTED_MEDIA: { kind: 'bad_input', summary: 'Content type or encoding not accepted; send application/json (415).' },
  WEBHOOK_TOO_LARGE: { kind: 'bad_input', summary: 'The body, after decompression, exceeds server.maxBodyKb (413).' },
  WEBHOOK_SIGNATURE_INVALID: { kind: 'bad_input', summary: 'The signature is missing, malformed, wrong or outside the time window (401).' },
  WEBHOOK_MALFORMED: {
    kind: 'bad_input',
    summary:
      'A verified body is not JSON or lacks its event id, or a classic Mollie form is not one valid id (400); kept as a dead letter.',
  },
  HUB_SHUTTING_DOWN: { kind: 'retryable', summary: 'The hub is stopping and accepts nothing new (503); send again.' },

  // Store and pipeline
  STORE_LOCKED: { kind: 'config', summary: 'Another hub process uses this data folder.' },
  STORAGE_BACKEND_UNAVAILABLE: {
    kind: 'config',
    summary:
      'storage.kind names a backend this hub cannot use (not built in, or its settings are missing); the hub does not fall back to another.',
  },
  DOMAIN_CONFLICT: {
    kind: 'retryable',
    summary:
      'A domain write outside event handling (review, blacklist clear) kept finding the customer changed by another writer; nothing was written, run it again.',
  },
  STORE_UNAVAILABLE: { kind: 'retryable', summary: 'The store could not commit; nothing was acknowledged.' },
  STORE_NOT_INITIALISED: {
    kind: 'unexpected',
    summary: 'A store was used before its init() opened it (a wiring bug: constructors do no I/O, init() opens and migrates).',
  },
  STORE_BUSY: {
    kind: 'retryable',
    summary: 'Another connection held the database write lock past the busy timeout; retried, nothing lost.',
  },
  VIEWS_BAD_CURSOR: {
    kind: 'bad_input',
    summary:
      "An operator view's page request is malformed: a cursor this list did not make (edited, truncated, from another list) or a limit outside 1–500.",
  },
  KAFKA_CLIENT_MISSING: {
    kind: 'config',
    summary:
      'eventLog.kind is "kafka" but the node-rdkafka package is not installed (it is optional: npm install node-rdkafka); the hub does not start.',
  },
  EVENT_LOG_CONFIG: {
    kind: 'config',
    summary: 'The event log settings cannot work together (eventLog.kind "kafka" needs storage.kind "postgres").',
  },
  EVENT_LOG_UNAVAILABLE: {
    kind: 'retryable',
    summary:
      'The event log (Kafka) did not acknowledge the write in time (brokers unreachable, produce timed out); nothing was acknowledged, send again.',
  },
  KAFKA_TOPIC_INVALID: {
    kind: 'config',
    summary: 'A topic the config names is missing or has another partition count than configured (subhub kafka check).',
  },
  ROUTE_NO_MAPPING: { kind: 'bad_input', summary: 'An event type has no inbound mapping and no "*" mapping.' },
  ROUTE_UNKNOWN_TARGET: { kind: 'config', summary: 'A route names a connector that cannot deliver.' },
  EVENT_UNREADABLE: { kind: 'bad_input', summary: 'A verified webhook body is not JSON or lacks the event id.' },
  PRIVACY_REQUEST_INVALID: {
    kind: 'bad_input',
    summary: 'A privacy request (Shopify compliance webhook) is not JSON or names no customer; nothing was redacted.',
  },
  ENRICHMENT_STATE_KEY_FAILED: {
    kind: 'unexpected',
    summary: "A connector's webhook.fetchedStateKey threw or returned no usable key for the fetched data; the entry is dead-lettered.",
  },
  DELIVERY_TIMEOUT: { kind: 'retryable', summary: 'The target did not answer in time.' },
  DELIVERY_NETWORK: { kind: 'retryable', summary: 'The target could not be reached (connection refused, reset, DNS).' },
  DELIVERY_SERVER_ERROR: { kind: 'retryable', summary: 'The target answered 5xx or 408.' },
  DELIVERY_RATE_LIMITED: { kind: 'retryable', summary: 'The target answered 429; Retry-After is honoured, clamped.' },
  DELIVERY_STOCK_OUT: {
    kind: 'retryable',
    summary:
      'The warehouse cannot fill the reservation (insufficient stock); stock.stockOut decides: retry on the inventory schedule, skip the cycle, or pause.',
  },
  DELIVERY_ALREADY_SHIPPED: {
    kind: 'permanent',
    summary:
      'The warehouse already shipped the delivery a reservation change was for (409 already_shipped): the delivery completes without a retry or dead letter, and the decision trail records that the box left.',
  },
  DELIVERY_REJECTED: { kind: 'permanent', summary: 'The target refused the request (4xx other than 408/429).' },
  DELIVERY_GONE: { kind: 'permanent', summary: 'The target answered 410 Gone.' },
  DELIVERY_BLOCKED: { kind: 'permanent', summary: 'The target resolved to a forbidden address (SSRF guard); no connection was made.' },
  DELIVERY_EXHAUSTED: { kind: 'permanent', summary: 'Retries ran out (attempts or age) without success.' },
  NORMALISE_TIMEOUT: {
    kind: 'bad_input',
    summary:
      'Normalising one inbox entry ran past pipeline.normaliseBudgetMs: the pipeline thread was restarted and the entry dead-lettered (stage map); fix the mapping, then replay.',
  },
  INBOX_SET_ASIDE: {
    kind: 'bad_input',
    summary: 'An operator dead-lettered a stuck inbox entry (subhub inbox dead-letter, admin API); replay it once the cause is fixed.',
  },
  DELIVERY_INPUT_INVALID: {
    kind: 'bad_input',
    summary:
      "An action's payload has a value the target would refuse (an unknown enum value, an unparsable time); checked before sending, nothing was sent.",
  },
  DELIVERY_NO_RESULT: {
    kind: 'permanent',
    summary: 'The target answered, but without what the action exists for (e.g. an invoice without a hosted payment page for a pay link).',
  },
  CIRCUIT_OPEN: { kind: 'retryable', summary: "The target's circuit breaker is open; the attempt was not made." },

  // Mapping run time (the event is bad input for this mapping: dead-letter, never retry)
  MAPPING_REQUIRED_MISSING: { kind: 'bad_input', summary: 'A required value is missing or null in the input.' },
  MAPPING_TYPE: { kind: 'bad_input', summary: 'An input value has a type the operator cannot take.' },
  MAPPING_NUMBER_INVALID: { kind: 'bad_input', summary: 'A value is not a finite number (or not an integer where one is needed).' },
  MAPPING_DATE_INVALID: { kind: 'bad_input', summary: 'A value is not a valid date or time.' },
  MAPPING_LOOKUP_MISSING: { kind: 'bad_input', summary: 'A required lookup key is not in its table.' },
  MAPPING_LIMIT: { kind: 'bad_input', summary: 'An input exceeds a mapping limit (array length, string length).' },
  MAPPING_JSONATA_EVAL: { kind: 'bad_input', summary: 'A $jsonata expression failed on this input.' },
  MAPPING_JSONATA_TIMEOUT: { kind: 'bad_input', summary: 'A $jsonata expression ran past its time limit.' },
  MAPPING_OUTPUT_INVALID: { kind: 'bad_input', summary: 'The mapped output breaks the declared output schema.' },
  MAPPING_INPUT_INVALID: { kind: 'bad_input', summary: 'The input is not valid JSON.' },
} as const satisfies Record<string, { kind: ErrorKind; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function kindOf(code: ErrorCode): ErrorKind {
  return ERROR_CODES[code].kind;
}
