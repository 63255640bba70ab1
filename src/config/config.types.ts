/* Generated from config/hub.schema.json by scripts/gen-types.ts. Do not edit. */

/**
 * A reference to a secret: an environment variable or a file (e.g. a mounted Docker/Kubernetes secret). Never the secret itself.
 */
export type SecretRef = EnvSecretRef | FileSecretRef;

/**
 * The subhub hub configuration: connectors, routes and policies. Secrets are references, never values.
 */
export interface HubConfig {
  /**
   * Path of this schema, for editors.
   */
  $schema?: string;
  server?: ServerConfig;
  storage?: StorageConfig;
  log?: LogConfig;
  mappings?: MappingsConfig;
  /**
   * Connector instances by id. The id appears in webhook URLs (/webhooks/<id>) and in routes.
   */
  connectors?: {
    [k: string]: ConnectorConfig;
  };
  /**
   * Folders holding your own connectors (JavaScript modules exporting `connector`; see docs/writing-a-connector.md).
   */
  connectorPaths?: string[];
  /**
   * Which canonical events go to which connector action, through which mapping.
   */
  routes?: RouteConfig[];
  retry?: RetryPolicy;
  pipeline?: PipelineConfig;
  admin?: AdminConfig;
}
/**
 * The HTTP listener for webhooks, health and admin.
 */
export interface ServerConfig {
  /**
   * Interface to listen on (env SUBHUB_HOST).
   */
  host?: string;
  /**
   * TCP port; 0 picks a free one (env PORT).
   */
  port?: number;
  /**
   * Largest accepted request body, after decompression, in KiB.
   */
  maxBodyKb?: number;
  /**
   * How long SIGTERM waits for in-flight work, in ms.
   */
  shutdownGraceMs?: number;
}
/**
 * Where events and state are kept.
 */
export interface StorageConfig {
  /**
   * sqlite: embedded, one machine. postgres: shared state for scale-out.
   */
  kind?: 'sqlite' | 'postgres';
  /**
   * Folder of the SQLite files, relative to the working directory (env SUBHUB_DATA_DIR).
   */
  dataDir?: string;
}
export interface LogConfig {
  /**
   * Lowest level written (env SUBHUB_LOG_LEVEL).
   */
  level?: 'error' | 'warn' | 'info' | 'debug';
}
export interface MappingsConfig {
  /**
   * Folders (or files) holding mappings, relative to the working directory.
   *
   * @minItems 1
   */
  paths?: [string, ...string[]];
}
export interface ConnectorConfig {
  /**
   * Connector type: stripe, shopify, odoo, warehouse, http, or a custom connector's type.
   */
  type: string;
  description?: string;
  enabled?: boolean;
  /**
   * The shop or legal entity events of this connector belong to.
   */
  tenantId?: string;
  webhook?: WebhookConfig;
  inbound?: InboundConfig;
  /**
   * Connector-specific settings, checked against the connector type's own schema.
   */
  options?: {};
  delivery?: DeliveryConfig;
}
/**
 * Inbound webhooks at POST /webhooks/<connector id>.
 */
export interface WebhookConfig {
  /**
   * Signing secrets; several during a rotation. With none resolvable, every webhook is rejected.
   *
   * @minItems 1
   */
  secrets: [SecretRef, ...SecretRef[]];
  /**
   * Largest accepted age of a signed timestamp, in seconds.
   */
  toleranceSec?: number;
}
export interface EnvSecretRef {
  /**
   * Name of an environment variable.
   */
  env: string;
}
export interface FileSecretRef {
  /**
   * Path of a file whose content (trimmed) is the secret.
   */
  file: string;
}
/**
 * How provider events become canonical events.
 */
export interface InboundConfig {
  /**
   * Provider event type (e.g. invoice.paid, orders/create) → mapping name; "*" catches the rest. Unlisted types are acknowledged and ignored.
   */
  mappings: {
    [k: string]: string;
  };
}
/**
 * How the hub calls this connector as a target.
 */
export interface DeliveryConfig {
  /**
   * Per-request timeout, in ms.
   */
  timeoutMs?: number;
  /**
   * Token-bucket refill rate: calls per second.
   */
  ratePerSec?: number;
  /**
   * Token-bucket size: calls allowed at once after a quiet spell.
   */
  burst?: number;
  /**
   * Consecutive failures that open the circuit.
   */
  circuitFailureThreshold?: number;
  /**
   * How long an open circuit waits before one probe, in ms.
   */
  circuitOpenMs?: number;
}
export interface RouteConfig {
  /**
   * Shown in logs, metrics and dead letters (default: <to>.<action>).
   */
  name?: string;
  /**
   * Canonical event types, e.g. subscription.renewed; subscription.* for a family.
   *
   * @minItems 1
   */
  on: [string, ...string[]];
  /**
   * Target connector id.
   */
  to: string;
  /**
   * The connector action to call, e.g. createSaleOrder.
   */
  action: string;
  /**
   * Mapping from the canonical event to the action's payload.
   */
  mapping: string;
  enabled?: boolean;
}
/**
 * Delivery retry schedule: exponential backoff with jitter, capped, until attempts or age run out.
 */
export interface RetryPolicy {
  initialDelayMs?: number;
  multiplier?: number;
  maxDelayMs?: number;
  /**
   * Fraction of each delay that is randomised.
   */
  jitter?: number;
  maxAttempts?: number;
  /**
   * Give up (dead-letter) once the first attempt is this old.
   */
  maxAgeMs?: number;
}
/**
 * Background workers: normalising the inbox and delivering to targets.
 */
export interface PipelineConfig {
  /**
   * Idle wait between polls for new work, in ms.
   */
  pollMs?: number;
  /**
   * Inbox entries normalised per transaction batch.
   */
  inboxBatch?: number;
  /**
   * Deliveries in flight at once (across targets).
   */
  deliveryConcurrency?: number;
  /**
   * How long a claimed item stays claimed; after a crash it is handed out again.
   */
  leaseMs?: number;
}
/**
 * The admin API under /admin/api (enabled when SUBHUB_ADMIN_TOKEN is set).
 */
export interface AdminConfig {
  /**
   * Requests per minute per client address.
   */
  ratePerMin?: number;
}
