import { escapeHtml } from '#shared/html.ts';

/** Every value that reaches a dashboard page goes through this. */
export const esc = (value: unknown): string => escapeHtml(String(value ?? ''));
