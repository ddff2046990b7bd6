import { sesClient } from '#shared/adapters/aws-clients/sesv2.ts';
import { snsClient } from '#shared/adapters/aws-clients/sns.ts';
import { SesEmailSender } from '#shared/adapters/ses-email.ts';
import { SignedLinkBuilder } from '#shared/adapters/signed-links.ts';
import { SnsPushSender } from '#shared/adapters/sns-push.ts';
import { SnsSmsSender } from '#shared/adapters/sns-sms.ts';
import { HttpWebhookSender } from '#shared/adapters/webhook.ts';
import { env, loadConfig } from '#shared/config.ts';
import { systemClock } from '#shared/domain/ports.ts';
import type { DeliverDeps } from '#shared/use-cases/deliver.ts';
import * as z from '#shared/validation.ts';
import { store } from './engine.ts';
import { onceAsync } from './lazy.ts';
import { renderingEngine } from './rendering.ts';
import { linkKey, webhookSecret } from './secrets.ts';

/** What a sending function (evaluate, deferred) needs: the engine, the store, links and the channels. */
export const deliverDeps = /* @__PURE__ */ onceAsync(async (): Promise<DeliverDeps> => {
  const config = loadConfig({
    SENDER_EMAIL: z.email(),
    CONFIGURATION_SET: env.name(),
    SMS_SENDER_ID: z.optional(z.string().check(z.regex(/^[A-Za-z0-9]{1,11}$/))),
    PREFERENCES_URL: env.url(),
  });
  const brand = renderingEngine().strategy.brand;
  const name = brand?.senderName ?? brand?.name;
  return {
    engine: renderingEngine(),
    store: store(),
    from: name ? `${name.replace(/[<>"]/g, '')} <${config.SENDER_EMAIL}>` : config.SENDER_EMAIL,
    links: new SignedLinkBuilder(config.PREFERENCES_URL, await linkKey(), systemClock),
    channels: {
      email: new SesEmailSender(sesClient(), { configurationSetName: config.CONFIGURATION_SET }),
      sms: new SnsSmsSender(snsClient(), config.SMS_SENDER_ID ? { senderId: config.SMS_SENDER_ID } : {}),
      push: new SnsPushSender(snsClient()),
      webhook: new HttpWebhookSender({ secret: webhookSecret }),
    },
  };
});
