import type { App } from '@slack/bolt';
import { type EventDeps, appHomeOpened } from './appHomeOpened';
import { linkShared } from './linkShared';

export type { EventDeps };

export function register(app: App, deps: EventDeps): void {
  app.event('app_home_opened', (args) => appHomeOpened(args, deps));
  // Bolt acknowledges events before the listener runs, so the BlueKing calls never hold Slack up.
  app.event('link_shared', (args) => linkShared(args, deps));
}
