import { randomBytes } from 'node:crypto';

/**
 * An unguessable public id: prefix, dash and 128 random bits in lowercase hex. Valid as an
 * MLflow run id (`^[a-zA-Z0-9][\w-]{0,255}$`) and experiment id (`{0,63}`).
 */
export function newPublicId(prefix: 'exp' | 'run'): string {
  return `${prefix}-${randomBytes(16).toString('hex')}`;
}
