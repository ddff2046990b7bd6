import { signLinkToken } from '#shared/domain/link-token.ts';
import type { Clock, LinkBuilder } from '#shared/domain/ports.ts';

/**
 * Builds the unsubscribe and preference links of a message from the preferences function's URL and
 * a signing key. @default validity 90 days — links in an old email keep working for a season.
 */
export class SignedLinkBuilder implements LinkBuilder {
  constructor(
    private readonly baseUrl: string,
    private readonly key: string | Buffer,
    private readonly clock: Clock,
    private readonly validityDays = 90,
  ) {}

  links(customerId: string, purpose: string, channel: string): { unsubscribe: string; preferences: string } {
    const expiresAt = Math.floor(this.clock.now() / 1000) + this.validityDays * 86_400;
    const token = signLinkToken(this.key, { customerId, purpose, channel, expiresAt });
    const base = this.baseUrl.replace(/\/$/, '');
    return {
      unsubscribe: `${base}/unsubscribe?token=${token}`,
      preferences: `${base}/preferences?token=${token}`,
    };
  }
}
