// The connector's wire types checked against Mollie's own: the official @mollie/api-client's
// published data types (what its authors say Mollie sends). For every field both declare, a value
// Mollie may send must fit the connector's type; a field the SDK allows to be null or absent where
// the connector expects it always would fail to compile here (ts-jest type-checks test files).
import type { Customer, Mandate, Payment, Subscription } from '@mollie/api-client';
import type { MollieCustomer, MollieMandate, MolliePayment, MollieSubscription } from './types';

/** An object type as its plain shape (an interface has no implicit index signature; its fields are what count). */
type Shape<T> = T extends object ? { [P in keyof T]: T[P] } : T;

/** The keys both declare whose SDK value type does not fit the connector's: `never` when all fit. */
type Misfits<Sdk, Ours> = {
  [K in keyof Ours & keyof Sdk]: Shape<Sdk[K]> extends Ours[K] ? never : K;
}[keyof Ours & keyof Sdk];

/** Compiles only for `never`. */
const fits = <T extends never>(names: T[]) => names;

describe("the connector's Mollie types against the official client's", () => {
  it('payments, subscriptions, mandates and customers: every shared field the SDK describes fits', () => {
    expect(fits<Misfits<Payment, MolliePayment>>([])).toEqual([]);
    expect(fits<Misfits<Subscription, MollieSubscription>>([])).toEqual([]);
    expect(fits<Misfits<Mandate, MollieMandate>>([])).toEqual([]);
    expect(fits<Misfits<Customer, MollieCustomer>>([])).toEqual([]);
  });
});
