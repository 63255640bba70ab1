import { defineConnector } from '../../src/sdk';

/**
 * Odoo (ERP), through its external JSON-RPC API. Declared so configs can name it; its actions
 * (sale orders, purchase proposals, partners, stock) are not implemented yet, so routes to it
 * dead-letter at the route stage with ROUTE_UNKNOWN_TARGET and can be replayed once they are.
 */
export const odooConnector = defineConnector({
  type: 'odoo',
  kind: 'erp',
  description: 'Odoo ERP (external JSON-RPC API): customers, sale orders, purchase proposals, stock.',
});
