/**
 * The reliability suite runs at two sizes: small inside `npm test` (every push), full in
 * `npm run test:reliability` (`RELIABILITY_SCALE=full`), which the figures refer to.
 */
export const FULL = process.env.RELIABILITY_SCALE === 'full';

export const SIZES = FULL
  ? {
      duplicateEvents: 10_000,
      duplicateCustomers: 1_000,
      cappedTriggers: 200,
      faultEvents: 2_000,
      fuzzEvents: 10_000,
      consentRuns: 200,
    }
  : {
      duplicateEvents: 200,
      duplicateCustomers: 50,
      cappedTriggers: 60,
      faultEvents: 150,
      fuzzEvents: 1_000,
      consentRuns: 30,
    };

/** A generous per-test timeout for the full size on 2 shared cores. */
export const TIMEOUT = FULL ? 600_000 : 120_000;
