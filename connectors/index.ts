import type { ConnectorDefinition } from '../src/sdk';
import { httpConnector } from './http';
import { mollieConnector } from './mollie';
import { odooConnector } from './odoo';
import { shopifyConnector } from './shopify';
import { stripeConnector } from './stripe';
import { warehouseConnector } from './warehouse';

/** Every connector that ships with subhub. The one list that says what exists. */
export const BUILT_IN_CONNECTORS: readonly ConnectorDefinition[] = [
  stripeConnector,
  mollieConnector,
  shopifyConnector,
  odooConnector,
  warehouseConnector,
  httpConnector,
];
