import { sqsClient } from '#shared/adapters/aws-clients/sqs.ts';
import { SqsDeadLetters } from '#shared/adapters/sqs-dead-letters.ts';
import { env, loadConfig } from '#shared/config.ts';
import { once } from './lazy.ts';

/** The queue consumer's dead-letter queue, where a record that can never succeed goes with its reason. */
export const deadLetters = /* @__PURE__ */ once(() => {
  const { DEAD_LETTER_QUEUE_URL } = loadConfig({ DEAD_LETTER_QUEUE_URL: env.url() });
  return new SqsDeadLetters(sqsClient(), DEAD_LETTER_QUEUE_URL);
});
