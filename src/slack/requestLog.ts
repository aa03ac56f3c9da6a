/**
 * Global middleware: gives every Slack request an id (in `context.requestId`) and logs it, so a
 * user's report ("the bot said incident ab12cd34") can be traced to one request's log lines.
 */
import { randomUUID } from 'node:crypto';
import type { App } from '@slack/bolt';
import type { AppLogger } from '../logger';

function describe(body: Record<string, unknown>): Record<string, unknown> {
  const user = typeof body.user_id === 'string' ? body.user_id : typeof body.user === 'object' && body.user !== null && 'id' in body.user ? body.user.id : undefined;
  const channel = typeof body.channel_id === 'string' ? body.channel_id : typeof body.channel === 'object' && body.channel !== null && 'id' in body.channel ? body.channel.id : undefined;
  const kind = typeof body.command === 'string' ? body.command : typeof body.type === 'string' ? body.type : 'unknown';
  return { kind, user, channel };
}

export function registerRequestLog(app: App, logger: AppLogger): void {
  app.use(async ({ context, body, next }) => {
    const requestId = randomUUID().slice(0, 8);
    context.requestId = requestId;
    // The ack path is hot: without debug logging there is nothing more to do here.
    if (!logger.isLevelEnabled('debug')) return next();
    const started = performance.now();
    const fields = { requestId, ...describe(body as Record<string, unknown>) };
    logger.debug(fields, 'slack request');
    try {
      await next();
    } finally {
      logger.debug({ ...fields, ms: Math.round(performance.now() - started) }, 'slack request handled');
    }
  });
}
