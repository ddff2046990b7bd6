import { CONTACT_REF_TAG, encodeContactRef } from '#shared/domain/contact-ref.ts';
import type { CustomerState } from '#shared/domain/customer.ts';
import type { Decision, Fact } from '#shared/domain/decision.ts';
import {
  type Channels,
  type LinkBuilder,
  PermanentSendError,
  type SendResult,
} from '#shared/domain/ports.ts';
import type { ContactRecord, CustomerStore } from '#shared/domain/store.ts';
import type { Engine } from '#shared/engine/compile.ts';
import {
  buildRenderContext,
  type RenderContext,
  type RenderedMessage,
  type RenderInput,
  renderMessage,
  type TriggerEventLike,
} from '#shared/engine/render.ts';
import { InvalidInputError, TransientError } from '#shared/errors.ts';
import type { Channel } from '#shared/strategy/schema.ts';

export interface DeliverDeps {
  readonly engine: Engine;
  readonly store: CustomerStore;
  readonly channels: Channels;
  readonly links: LinkBuilder;
  /** `"Brand <sender@domain>"`. */
  readonly from: string;
  /**
   * Renders a message; the context is built only when asked for. A dry run that sends nothing
   * (`contact simulate`) brings one that renders from the templates' shape alone.
   * @default renderMessage, with the context built from the profile, the event and the campaign
   */
  readonly render?: MessageRenderer;
}

/** Renders one message: the template input, and its context on demand. */
export type MessageRenderer = (
  input: Omit<RenderInput, 'context'>,
  context: () => RenderContext,
) => RenderedMessage;

const renderWithContext: MessageRenderer = (input, context) =>
  renderMessage({ ...input, context: context() });

function render(
  deps: DeliverDeps,
  decision: Decision,
  channel: Channel,
  state: CustomerState,
  event: unknown,
): { message: RenderedMessage; unsubscribe: string } {
  const { engine } = deps;
  const campaign = engine.campaigns.find((c) => c.campaign.id === decision.campaignId)?.campaign;
  const template = campaign?.variants.find((v) => v.id === decision.variant)?.template;
  const profile = state.profile;
  if (!campaign || !template || !profile)
    throw new PermanentSendError('campaign, variant or profile gone', 'GONE');
  // Signed once: the same links go into the message and into its List-Unsubscribe header.
  const links = deps.links.links(profile.customerId, campaign.purpose, channel);
  const message = (deps.render ?? renderWithContext)(
    {
      templates: engine.templates,
      templateId: template,
      channel,
      locale: profile.locale,
      defaultLocale: engine.strategy.defaults.locale,
    },
    () =>
      buildRenderContext({
        profile,
        event: event as TriggerEventLike,
        campaign,
        ...(decision.variant !== undefined && { variant: decision.variant }),
        ...(engine.strategy.brand && { brand: engine.strategy.brand }),
        links,
      }),
  );
  return { message, unsubscribe: links.unsubscribe };
}

async function sendOne(
  deps: DeliverDeps,
  decision: Decision,
  message: RenderedMessage,
  unsubscribe: string,
  state: CustomerState,
): Promise<SendResult> {
  const profile = state.profile;
  const campaign = deps.engine.campaigns.find((c) => c.campaign.id === decision.campaignId)?.campaign;
  if (!profile || !campaign) throw new PermanentSendError('profile or campaign gone', 'GONE');
  switch (message.channel) {
    case 'email': {
      const ref = encodeContactRef(decision);
      return deps.channels.email.sendEmail({
        to: profile.email ?? '',
        from: deps.from,
        subject: message.subject,
        html: message.html,
        text: message.text,
        headers: {
          'List-Unsubscribe': `<${unsubscribe}>`,
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        },
        tags: {
          campaign: decision.campaignId,
          variant: decision.variant ?? 'none',
          customer: profile.customerId,
          decision: decision.idempotencyKey,
          // SES repeats it in every event of this message: feedback finds the record by its keys.
          ...(ref !== undefined && { [CONTACT_REF_TAG]: ref }),
        },
      });
    }
    case 'sms': {
      const phone = profile.phone ?? '';
      const transactional = campaign.purpose === 'service';
      if (!transactional && (await deps.channels.sms.isOptedOut(phone))) {
        throw new PermanentSendError('the number opted out of SMS', 'OptedOut');
      }
      return deps.channels.sms.sendSms({ phone, text: message.text, transactional });
    }
    case 'push': {
      const endpoint = profile.pushEndpoints?.find((e) => e.enabled);
      if (!endpoint) throw new PermanentSendError('no enabled push endpoint', 'EndpointDisabled');
      return deps.channels.push.sendPush({
        endpointArn: endpoint.arn,
        title: message.title,
        body: message.body,
        data: { campaignId: decision.campaignId, variant: decision.variant ?? '' },
      });
    }
    case 'webhook': {
      const target = campaign.webhook ? deps.engine.strategy.webhooks[campaign.webhook] : undefined;
      if (!target) throw new PermanentSendError('no webhook target', 'NoTarget');
      return deps.channels.webhook.post({
        url: target.url,
        body: {
          campaignId: decision.campaignId,
          customerId: profile.customerId,
          variant: decision.variant,
          payload: message.payload,
        },
        idempotencyKey: decision.idempotencyKey,
      });
    }
  }
}

/**
 * Sends a committed decision through its channel, falling back in order to the next eligible channel
 * when a provider refuses the message for good, and writes the final contact record (the one write
 * after the send). A transient failure writes the record as `sending` — the cap reservation stays —
 * and rethrows, so the queue retries and the retry sends again.
 */
export async function deliver(
  deps: DeliverDeps,
  decision: Decision,
  channels: readonly Channel[],
  state: CustomerState,
  event: unknown,
): Promise<ContactRecord> {
  const facts: Fact[] = [...decision.facts];
  for (const [i, channel] of channels.entries()) {
    let sent: SendResult;
    try {
      const { message, unsubscribe } = render(deps, decision, channel, state, event);
      sent = await sendOne(deps, decision, message, unsubscribe, state);
    } catch (error) {
      if (error instanceof PermanentSendError) {
        facts.push({ kind: 'channel', channel, usable: false, why: `provider refused: ${error.code}` });
        continue;
      }
      if (error instanceof InvalidInputError) {
        // The template cannot render for this channel (validation normally prevents it): try the next.
        facts.push({ kind: 'channel', channel, usable: false, why: 'template failed to render' });
        continue;
      }
      if (error instanceof TransientError || !(error instanceof Error) || !isProgrammingError(error)) {
        const pending: ContactRecord = {
          ...decision,
          channel,
          fallbackChannels: channels.slice(i + 1),
          status: 'sending',
          facts,
        };
        await deps.store.putContact(pending);
        throw error instanceof TransientError
          ? error
          : new TransientError('send failed, will retry', { cause: error }, { channel });
      }
      throw error;
    }
    // The message is out: from here a failure must not be taken for a failed send (a `sending` record
    // would make the retry send it again). A deferred decision keeps its sendAt once sent.
    const { fallbackChannels, status, reason, ...rest } = decision as ContactRecord;
    const record: ContactRecord = { ...rest, outcome: 'sent', channel, messageId: sent.messageId, facts };
    await recordSent(deps, record);
    return record;
  }
  const { sendAt, fallbackChannels, channel, status, ...rest } = decision as ContactRecord;
  const record: ContactRecord = { ...rest, outcome: 'suppressed', reason: 'no_channel', facts };
  await deps.store.putContact(record);
  return record;
}

/** Attempts at the record of a message already sent, each after the SDK's own retries. @default 8 */
const RECORD_ATTEMPTS = 8;

/**
 * Writes the record of a message the provider accepted. Retried here, with backoff (up to about 5 s in
 * all), rather than left to the queue: a redelivery finding no record would, after the lease, send the
 * message again. Only when DynamoDB stays unreachable for all of it does the error go to the queue —
 * then the message may go out once more, never zero times.
 */
async function recordSent(deps: DeliverDeps, record: ContactRecord): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.store.putContact(record);
      return;
    } catch (error) {
      if (attempt >= RECORD_ATTEMPTS || (error instanceof Error && isProgrammingError(error)))
        throw new TransientError(
          'sent, but its record could not be written',
          { cause: error },
          {
            campaignId: record.campaignId,
          },
        );
      await new Promise((r) => setTimeout(r, Math.min(2000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2)));
    }
  }
}

const isProgrammingError = (e: Error): boolean =>
  e instanceof TypeError || e instanceof RangeError || e instanceof SyntaxError;
