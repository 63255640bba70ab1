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
  $remove?: OverlayRemovals;
  server?: ServerConfig;
  storage?: StorageConfig;
  eventLog?: EventLogConfig;
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
   * Which canonical events go to which connector action, through which mapping. Keyed by name in overlays: see $remove.
   */
  routes?: RouteConfig[];
  retry?: RetryPolicy;
  pipeline?: PipelineConfig;
  admin?: AdminConfig;
  stock?: StockConfig;
  dunning?: DunningConfig;
  retention?: RetentionConfig;
  reconcile?: ReconcileConfig;
}
/**
 * Overlay files only (config/local.json, or a file given to subhub validate --overlay): entries of keyed lists to drop from the layers below. Layers merge thus: objects merge key by key; routes (keyed by "name", default <to>.<action>) and dunning.policy.stages (keyed by "name") merge entry by entry: an overlay entry with a new key is appended, one with an existing key replaces that entry whole and keeps its place, and a key listed here is removed (a key no layer below has is an error, CONFIG_OVERLAY_INVALID); every other array and value replaces the one below. Example: {"$remove": {"routes": ["dunning-cancel"]}}.
 */
export interface OverlayRemovals {
  /**
   * Names of routes to remove (a route without "name" is <to>.<action>).
   */
  routes?: string[];
  /**
   * Names of dunning.policy.stages entries to remove.
   */
  dunningStages?: string[];
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
   * sqlite: embedded, one machine, one hub process (the default). postgres: one PostgreSQL database shared by several hub processes (docs/deploying.md).
   */
  kind?: 'sqlite' | 'postgres';
  /**
   * Folder of the SQLite files, relative to the working directory (env SUBHUB_DATA_DIR).
   */
  dataDir?: string;
  postgres?: PostgresStorageConfig;
  /**
   * Days the raw body and headers of a processed webhook are kept in the inbox; the nightly job blanks older ones and keeps the row (duplicate detection, status, the ignored listing). Entries not yet processed or behind an open dead letter keep theirs. 0: keep forever.
   */
  rawBodyRetentionDays?: number;
}
/**
 * The PostgreSQL database of storage.kind "postgres"; several hubs share it.
 */
export interface PostgresStorageConfig {
  /**
   * Connection URL (postgres://user:password@host:5432/db), as a secret reference, e.g. {"env": "DATABASE_URL"}.
   */
  url: SecretRef;
  /**
   * Connections per hub process (the pipeline thread opens its own pool of this size).
   */
  poolSize?: number;
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
 * Where verified webhooks are written and read back for normalisation. store: the storage backend's own inbox table (the default). kafka: an Apache Kafka topic read by a consumer group of normalisers (needs storage.kind "postgres"; docs/deploying.md, the Kafka profile).
 */
export interface EventLogConfig {
  /**
   * store: the inbox table of storage.kind. kafka: the topic eventLog.kafka.inboxTopic (node-rdkafka must be installed: npm install node-rdkafka).
   */
  kind?: 'store' | 'kafka';
  kafka?: KafkaEventLogConfig;
}
/**
 * The Kafka cluster of eventLog.kind "kafka".
 */
export interface KafkaEventLogConfig {
  /**
   * Bootstrap brokers, host:port each (librdkafka's metadata.broker.list).
   *
   * @minItems 1
   */
  brokers: [string, ...string[]];
  /**
   * The topic verified webhooks and derived events are produced to, keyed by customer.
   */
  inboxTopic?: string;
  /**
   * Partitions the inbox topic must have (subhub kafka check compares; --create creates it with this many). More partitions: more normalisers can work at once.
   */
  partitions?: number;
  /**
   * Replication factor for topics subhub kafka check --create creates (1 on a single-broker test cluster).
   */
  replicationFactor?: number;
  /**
   * The consumer group of the normalisers (every hub of one deployment uses the same).
   */
  groupId?: string;
  /**
   * Static group membership (librdkafka group.instance.id): a hub restarted under the same id gets its partitions back at once instead of after a rebalance. One per hub process (env SUBHUB_KAFKA_INSTANCE_ID).
   */
  instanceId?: string;
  /**
   * How long the group waits for a silent normaliser before its partitions move to the others.
   */
  sessionTimeoutMs?: number;
  /**
   * The longest a webhook waits for the broker's acknowledgement (acks=all) before it is answered 503 with Retry-After.
   */
  produceTimeoutMs?: number;
  /**
   * Messages a normaliser takes per batch (one PostgreSQL transaction, then one offset commit).
   */
  batch?: number;
  canonicalStream?: CanonicalStreamConfig;
  sasl?: KafkaSaslConfig;
  /**
   * Further librdkafka client properties passed through as they are (e.g. security.protocol, sasl.mechanisms, ssl.ca.location). Properties subhub sets for its guarantees (enable.idempotence, acks, enable.auto.commit, group.id) cannot be overridden here.
   */
  librdkafka?: {
    [k: string]: string | number | boolean;
  };
}
/**
 * Opt-in: every canonical event (from providers and derived by the hub) is also published to a versioned topic, keyed by subscription, for other systems (docs/deploying.md, consuming subhub.events.v1).
 */
export interface CanonicalStreamConfig {
  enabled?: boolean;
  topic?: string;
  partitions?: number;
}
/**
 * SASL credentials, as secret references (librdkafka sasl.username / sasl.password); set sasl.mechanisms and security.protocol in librdkafka.
 */
export interface KafkaSaslConfig {
  username: SecretRef;
  password: SecretRef;
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
  pull?: PullConfig;
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
  /**
   * Connectors of the mollie scheme only (ignored by others): also accept Mollie's classic unsigned webhooks, a form body of exactly one id (id=tr_..., sub_, mdt_, pl_, ord_). Such a webhook is trusted for nothing: it only makes the connector's enricher fetch that object from Mollie. A request carrying X-Mollie-Signature must still verify against secrets.
   */
  allowUnsigned?: boolean;
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
  /**
   * Provider event types the hub deliberately ignores → why. Shown with the count by `subhub ignored` and GET /admin/api/ignored, counted in subhub_events_ignored_total. A type listed in mappings is mapped, not ignored.
   */
  ignore?: {
    [k: string]: string;
  };
}
/**
 * How the reconciliation's pulls (and other reads) treat this system: a request rate to stay under, and retries of a page that was refused (429 and Retry-After honoured, resuming at that page).
 */
export interface PullConfig {
  /**
   * Page requests per second at most (Stripe allows about 100 reads/s in live mode, 25 in test mode, shared with the merchant's other apps).
   */
  ratePerSec?: number;
  /**
   * Retries of one page (after a 429, THROTTLED, a 5xx or a timeout; an unreachable system fails at once) before the pull fails.
   */
  maxRetries?: number;
  /**
   * Longest wait between two tries of a page, in ms (Retry-After included).
   */
  maxDelayMs?: number;
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
  /**
   * Only events of these billing providers: the prefix of the event's subscription id (stripe:sub_…), else of its customer id, else its source. E.g. ["stripe"] on routes to the Stripe connector when Mollie runs beside it.
   *
   * @minItems 1
   */
  providers?: [string, ...string[]];
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
   * Ingest priority: the OS scheduling niceness of the pipeline thread (on Linux it applies to that thread alone). When the cores are busy, acknowledging webhooks goes first and the pipeline catches up when the burst ends; an idle machine runs the pipeline at full speed. 0 shares the CPU equally.
   */
  niceness?: number;
  /**
   * How long a claimed item stays claimed; after a crash it is handed out again.
   */
  leaseMs?: number;
  /**
   * Longest one inbox entry may take to normalise (enrichment and mapping), in ms. Past it the pipeline thread is restarted and the entry becomes a dead letter NORMALISE_TIMEOUT, so later events move on.
   */
  normaliseBudgetMs?: number;
  /**
   * /readyz answers 503 (pipeline stalled) when inbox entries wait and the normaliser has made no progress for this long, in ms.
   */
  stallAfterMs?: number;
}
/**
 * The admin API under /admin/api (enabled when SUBHUB_ADMIN_TOKEN is set).
 */
export interface AdminConfig {
  /**
   * Requests per minute per client address.
   */
  ratePerMin?: number;
  console?: ConsoleConfig;
}
/**
 * The operator console at /console (served with the admin API: only when SUBHUB_ADMIN_TOKEN is set).
 */
export interface ConsoleConfig {
  /**
   * Serve the console (the admin API stays on either way).
   */
  enabled?: boolean;
  /**
   * The business's IANA time zone, e.g. Europe/Amsterdam: the console shows times in it. Default: the hub machine's.
   */
  timeZone?: string;
  /**
   * A BCP 47 locale for numbers and dates, e.g. nl-NL. Default: each operator's browser locale.
   */
  locale?: string;
  /**
   * How long a console login lasts.
   */
  sessionHours?: number;
}
/**
 * Stock demand and reorders (docs/stock-demand.md): the bill of materials, reorder rules per SKU and where stock levels come from.
 */
export interface StockConfig {
  /**
   * Hub location of tenants that tenantsFile does not list, and the only location planned without a locationsFile (tables/locations.json).
   */
  location?: string;
  /**
   * Tenants JSON ({"<tenant id>": {"location": "<location code>"}}), relative to the working directory like bomFile: a subscription ships from its tenant's location, so its demand counts there. Shared with the mappings' tables.
   */
  tenantsFile?: string;
  /**
   * Locations JSON ({"<location code>": {"wmsWarehouse": "...", "odooPickingTypeId": n}}), relative to the working directory: the reorder planner plans every location listed, each from its own warehouse's stock levels. Shared with the mappings' tables.
   */
  locationsFile?: string;
  /**
   * Bill of materials JSON (kit SKU → [{sku, qtyPer}]), relative to the config file's folder. Shared with the mappings' tables.
   */
  bomFile?: string;
  /**
   * Connector whose `stockLevels` pull gives on hand, incoming and reserved stock.
   */
  warehouse?: string;
  /**
   * Connector whose `purchaseOrders` pull (our orders by origin, with state and receipts; else its `draftPurchaseOrders`) tells which proposals are still drafts, confirmed (incoming until received or their planned date), or cancelled or deleted by the buyer (proposed again).
   */
  erp?: string;
  /**
   * Days between reviews; the forecast horizon is lead time + review days.
   */
  reviewDays?: number;
  /**
   * How long after a demand change the reorder planner runs (it batches changes).
   */
  checkMs?: number;
  /**
   * What a renewal the warehouse cannot fill does: skip the cycle, retry the reservation on the inventory schedule, or pause the subscription (Shopify's subscription reference app offers the same three).
   */
  stockOut?: 'skip_cycle' | 'retry_later' | 'pause';
  /**
   * Reorder rules per stocked SKU (Odoo's min/max/multiple).
   */
  rules?: {
    [k: string]: ReorderRule;
  };
}
/**
 * Reorder when the forecast falls below min: order up to max, rounded up to the multiple.
 */
export interface ReorderRule {
  /**
   * Reorder point (units).
   */
  min: number;
  /**
   * Order-up-to level (units).
   */
  max: number;
  /**
   * Pack size: orders are a multiple of it.
   */
  multiple?: number;
  /**
   * Supplier lead time in days.
   */
  leadTimeDays: number;
  /**
   * Forecast demand outside subscriptions within the horizon (units).
   */
  otherDemand?: number;
  /**
   * Per-location overrides of this rule, by location code; fields left out keep the SKU's values.
   */
  locations?: {
    [k: string]: ReorderRuleOverride;
  };
}
export interface ReorderRuleOverride {
  /**
   * Reorder point at this location (units).
   */
  min?: number;
  /**
   * Order-up-to level at this location (units).
   */
  max?: number;
  /**
   * Pack size at this location.
   */
  multiple?: number;
  /**
   * Supplier lead time to this location in days.
   */
  leadTimeDays?: number;
  /**
   * Forecast demand outside subscriptions at this location within the horizon (units).
   */
  otherDemand?: number;
}
/**
 * The dunning policy (docs/dunning.md §4) and per-customer overrides.
 */
export interface DunningConfig {
  /**
   * Per billing provider (the hub id's prefix, e.g. mollie): the hub's own payment-details link, sent in dunning notices instead of policy.paymentUpdateUrl. <baseUrl>/links/payment-update/<token> (a random token, valid while the cycle is open) asks the connector's action (a first payment, for Mollie) and sends the customer to its checkout.
   */
  paymentUpdateLinks?: {
    [k: string]: {
      /**
       * Where customers reach this hub, e.g. https://hub.coffee-club.example.
       */
      baseUrl: string;
      /**
       * The billing connector whose action makes the link's payment.
       */
      connector: string;
      /**
       * The action: it gets {customerId, description, metadata} and returns the checkout URL.
       */
      action?: string;
    };
  };
  /**
   * How often the hub looks for its own payment retries that are due (providers without retries: dunning.policy.providerRetries).
   */
  retryCheckMs?: number;
  policy?: DunningPolicyConfig;
  /**
   * Per-customer overrides by hub customer id.
   */
  customers?: {
    /**
     * Overrides for one customer.
     */
    [k: string]: {
      /**
       * Exempt from escalation (goodwill).
       */
      goodwill?: boolean;
      /**
       * Extra days before each stage.
       */
      graceDays?: number;
    };
  };
}
/**
 * A staged policy, most severe stage first.
 */
export interface DunningPolicyConfig {
  /**
   * Policy id, recorded with every decision.
   */
  id: string;
  /**
   * Stages, most severe first.
   */
  stages: DunningStage[];
  /**
   * Retry days after a failure, per kind, for providers that do not retry by themselves.
   */
  retries?: {
    /**
     * Soft card failures (e.g. insufficient funds).
     */
    soft?: number[];
    /**
     * Soft SEPA failures: capped low (bank fees per return).
     */
    sepaSoft?: number[];
    /**
     * Technical failures.
     */
    technical?: number[];
    /**
     * Stock-outs (no customer dunning).
     */
    inventory?: number[];
  };
  /**
   * Whether the billing provider retries failed payments by itself (Stripe Smart Retries: the hub schedules none), or per provider (the hub id's prefix, "*" for the rest), e.g. { "stripe": true, "mollie": false }: Mollie does not retry, so the hub charges again on the retry schedule (docs/dunning.md §4.8).
   */
  providerRetries?:
    | boolean
    | {
        [k: string]: boolean;
      };
  /**
   * Blacklist a customer after this many defaults within the window.
   */
  blacklist?: {
    /**
     * Defaults (invoices given up on, written off or charged back; docs/dunning.md §4.6) within the window that blacklist the customer.
     */
    defaults?: number;
    /**
     * Window in days.
     */
    windowDays?: number;
  };
  /**
   * Link template for a payment-details update, with {customer} and {subscription} placeholders.
   */
  paymentUpdateUrl?: string;
}
/**
 * One stage of the policy; the first (most severe) stage whose conditions all hold applies.
 */
export interface DunningStage {
  /**
   * Stage name (e.g. WARNING).
   */
  name: string;
  /**
   * Conditions, all of which must hold.
   */
  when: {
    /**
     * Days since the earliest unpaid invoice failed.
     */
    daysSinceEarliestUnpaid?: number;
    /**
     * Unpaid invoices.
     */
    unpaidInvoices?: number;
    /**
     * Unpaid balance in minor units.
     */
    unpaidBalanceMinor?: number;
  };
  /**
   * Keep delivering (true) or hold shipments (false).
   */
  deliver: boolean;
  /**
   * Block plan changes while in this stage.
   */
  blockChanges?: boolean;
  /**
   * Pause the subscription's collection at the provider.
   */
  pauseBilling?: boolean;
  /**
   * Cancel the subscription.
   */
  cancel?: 'none' | 'immediate' | 'end_of_term';
  /**
   * Notification template sent when the stage is entered.
   */
  notify?: string;
}
/**
 * How long the subscription domain keeps history; the nightly job deletes what is older (in batches, so the pipeline keeps going). 0 keeps it forever.
 */
export interface RetentionConfig {
  /**
   * Days the decision trail is kept (by decision date): two years covers the blacklist window and a year of disputes.
   */
  decisionsDays?: number;
  /**
   * Days past demand rows are kept after their delivery date (deliveries to come are never deleted).
   */
  demandDays?: number;
  /**
   * Days closed reorder proposals are kept after they were proposed (open ones are never deleted).
   */
  closedProposalsDays?: number;
}
/**
 * The nightly reconciliation between the billing provider, the hub, the warehouse and the ERP.
 */
export interface ReconcileConfig {
  /**
   * node-cron expression; the hub runs the reconciliation on it while `subhub start` runs.
   */
  schedule?: string;
  /**
   * Run on the schedule (`subhub reconcile` works either way).
   */
  enabled?: boolean;
  /**
   * Connector(s) whose `subscriptions` pull is the billing truth: one id, or several when billing providers run side by side (e.g. ["stripe", "mollie"]); each provider's subscriptions are compared only with the hub subscriptions of its own id prefix.
   */
  billing?: string | [string, ...string[]];
  /**
   * Connector whose `reservations` pull is compared with the recorded demand.
   */
  warehouse?: string;
  /**
   * Connector whose open orders are compared with the hub.
   */
  erp?: string;
  /**
   * Past days (today included) whose reserved deliveries must still be at the warehouse; one it lost is re-sent (drift reservation_lost).
   */
  lookbackDays?: number;
}
