import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { OdooSimulator } from '../../connectors/odoo/simulator';
import type { ShopifySimulator } from '../../connectors/shopify/simulator';
import type { StripeSimulator } from '../../connectors/stripe/simulator';
import type { WarehouseSimulator } from '../../connectors/warehouse/simulator';

/**
 * The demo business the simulators start with, read from the mapping tables (the same files the
 * mappings look things up in, so the simulators and the hub agree): the catalogue
 * (sku-catalog.csv), locations (locations.json), Stripe prices (stripe-price-sku.csv) and the
 * customer cross-reference (customer-xref.csv). A missing file seeds nothing of its kind.
 */
export interface SeedTables {
  catalog: Array<Record<string, string>>;
  locations: Array<{ wmsWarehouse?: string; shopifyLocationId?: string }>;
  prices: Array<Record<string, string>>;
  customers: Array<Record<string, string>>;
}

export function loadSeedTables(dir: string | undefined): SeedTables {
  const file = (name: string) => (dir && existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : undefined);
  const csv = (name: string) => {
    const text = file(name);
    return text === undefined
      ? []
      : (parseCsv(text, { columns: true, skip_empty_lines: true, trim: true }) as Array<Record<string, string>>);
  };
  const locations = file('locations.json');
  return {
    catalog: csv('sku-catalog.csv'),
    locations: locations === undefined ? [] : Object.values(JSON.parse(locations) as Record<string, SeedTables['locations'][number]>),
    prices: csv('stripe-price-sku.csv'),
    customers: csv('customer-xref.csv'),
  };
}

const stocked = (t: SeedTables) => t.catalog.filter((r) => r.kind === 'stock');

/** Stripe: the prices with their real ids, and the cross-referenced customers. */
export function seedStripe(sim: StripeSimulator, t: SeedTables): void {
  for (const p of t.prices) {
    const recurring = { interval: p.interval!, interval_count: Number(p.interval_count || 1) };
    sim.seedPrice(p.price_id!, {
      currency: p.currency!,
      unit_amount: Number(p.unit_amount),
      nickname: p.nickname || null,
      product: `prod_${p.sku}`,
      recurring,
      metadata: { sku: p.sku! },
    });
  }
  for (const c of t.customers) {
    sim.seedCustomer(c.stripe_customer!, { email: c.email || null, name: c.email ? c.email.split('@')[0] : null });
  }
}

/** Odoo refuses sale and purchase orders unless their partner and products exist: products, vendors, customers. */
export function seedOdoo(sim: OdooSimulator, t: SeedTables): void {
  const products = sim.models.get('product.product')!;
  for (const r of t.catalog.filter((x) => x.odoo_product_id)) {
    const id = Number(r.odoo_product_id);
    products.set(id, { id, name: r.name, default_code: r.sku, type: r.kind === 'kit' ? 'consu' : 'product' });
  }
  const partners = sim.models.get('res.partner')!;
  for (const id of new Set(t.catalog.filter((x) => x.odoo_vendor_id).map((x) => Number(x.odoo_vendor_id))))
    partners.set(id, { id, name: `Vendor ${id}`, supplier_rank: 1 });
  for (const c of t.customers.filter((x) => x.odoo_partner_id)) {
    const id = Number(c.odoo_partner_id);
    partners.set(id, { id, name: c.email || `Customer ${id}`, email: c.email || false, customer_rank: 1 });
  }
}

/** Units on hand of every stocked SKU in every warehouse, or per SKU where `onHand` is a table. */
export function seedWarehouse(sim: WarehouseSimulator, t: SeedTables, onHand: number | Readonly<Record<string, number>>): void {
  for (const loc of t.locations.filter((l) => l.wmsWarehouse)) {
    for (const r of stocked(t)) {
      const units = typeof onHand === 'number' ? onHand : onHand[r.sku!];
      if (units !== undefined) sim.setStock(loc.wmsWarehouse!, r.sku!, units);
    }
  }
}

/** Shopify: available and on_hand of every stocked inventory item at every location. */
export function seedShopify(sim: ShopifySimulator, t: SeedTables, onHand: number): void {
  for (const r of stocked(t).filter((x) => x.shopify_inventory_item_id)) {
    for (const loc of t.locations.filter((l) => l.shopifyLocationId)) {
      for (const name of ['available', 'on_hand'])
        sim.quantities.set(`gid://shopify/InventoryItem/${r.shopify_inventory_item_id}|${loc.shopifyLocationId}|${name}`, onHand);
    }
  }
}
