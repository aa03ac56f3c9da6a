import type { App } from '@slack/bolt';
import { type EventDeps, appHomeOpened } from './appHomeOpened';

export type { EventDeps };

export function register(app: App, deps: EventDeps): void {
  app.event('app_home_opened', (args) => appHomeOpened(args, deps));
}
