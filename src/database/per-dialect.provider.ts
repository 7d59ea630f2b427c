import type { Abstract, FactoryProvider, InjectionToken } from '@nestjs/common';
import { SqlClient, type Dialect } from './sql-client.js';

/** A store implementation for one database: built from the SQL client and the token's other dependencies. */
type StoreClass<T, Deps extends unknown[]> = new (sql: SqlClient, ...deps: Deps) => T;

/**
 * The provider of a store with one implementation per database: `token` (the store's abstract
 * class) resolves to the implementation of the configured database, chosen once when the
 * application starts, so no store method asks which database it runs on.
 */
export function perDialectProvider<T, Deps extends unknown[] = []>(
  token: Abstract<T>,
  implementations: Readonly<Record<Dialect, StoreClass<T, Deps>>>,
  dependencies: readonly InjectionToken[] = [],
): FactoryProvider<T> {
  return {
    provide: token,
    inject: [SqlClient, ...dependencies],
    useFactory: (sql: SqlClient, ...deps: Deps) => new implementations[sql.dialect](sql, ...deps),
  };
}
