/**
 * The secret cache's one setting, in a module of its own so the pricing (lib/pricing/usage.ts) reads
 * it without loading the AWS SDK clients of connections.ts.
 */

/**
 * How long a Lambda container keeps a secret's value (SECRET_CACHE_TTL_MS). Every read of a Secrets
 * Manager secret costs $0.05 per 10,000: a health check every minute reading one secret per run made
 * 43,800 reads a month, a 15-minute cache about 2,900 (one per container per 15 minutes). A rotated
 * secret is picked up at the latest 15 minutes after rotation, and at once by a health check whose
 * login is refused (it forgets the value and checks again).
 */
export const SECRET_CACHE_TTL_MS = 15 * 60_000;
