import type { DomainStore } from '../domain/ports';

/**
 * What the reorder planner and the purchase-order follow-up need of storage: the proposals they
 * make and follow, and the demand, reservations and incoming stock they plan against. A narrow
 * slice of the domain port, so stock code never takes the whole `Store` (or the whole domain
 * port) and a test or another backend can provide just this.
 */
export type ReorderPort = Pick<
  DomainStore,
  'openProposals' | 'proposalsInTransit' | 'addProposal' | 'updateProposal' | 'reservedAfter' | 'incoming' | 'horizonDemand'
>;

/** The part of the port that following purchase orders needs. */
export type PurchaseOrderPort = Pick<ReorderPort, 'openProposals' | 'proposalsInTransit' | 'updateProposal'>;
