import * as z from 'zod';
import { strategySchema } from './schema.ts';

/** The committed JSON Schema file that editors use (`# yaml-language-server: $schema=...`). */
export const JSON_SCHEMA_FILE = 'strategy/contact-strategy.schema.json';

/**
 * The strategy's JSON Schema, generated from the same zod schema that validates the file, for the
 * input side (defaults make fields optional). Whole-file checks (weights, templates) are not in it.
 */
export function strategyJsonSchema(): string {
  const schema = z.toJSONSchema(strategySchema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, title: 'Contact strategy', $id: 'contact-strategy.schema.json' }, null, 2)}\n`;
}
