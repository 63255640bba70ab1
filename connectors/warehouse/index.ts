import { defineConnector } from '../../src/sdk';

/**
 * A REST warehouse (WMS). Declared so configs can name it; its actions (reservations, stock
 * levels) are not implemented yet, so routes to it dead-letter at the route stage with
 * ROUTE_UNKNOWN_TARGET and can be replayed once they are.
 */
export const warehouseConnector = defineConnector({
  type: 'warehouse',
  kind: 'warehouse',
  description: 'REST warehouse: stock levels and reservations for subscription shipments.',
});
