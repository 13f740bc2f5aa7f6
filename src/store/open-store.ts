// Opens the configured store: the Postgres server when a URL is set, else the
// embedded PGlite under store.path.
import type { Logger } from 'pino';
import type { StoreConfig } from '../config/types.js';
import type { Db } from './db.js';
import { openPostgres } from './open-postgres.js';

export async function openStore(store: StoreConfig, logger?: Logger): Promise<Db> {
  // PGlite is loaded only for the embedded store: loading it would slow every start on a Postgres server.
  const db = store.url
    ? await openPostgres({ url: store.url })
    : await (await import('./open-embedded.js')).openEmbedded(store.path);
  logger?.info({ store: db.kind, location: db.location }, 'store opened');
  if (db.kind === 'embedded') {
    logger?.info(
      'the embedded store does not fsync: an OS crash may lose recent writes; use a Postgres server in production',
    );
  }
  return db;
}
