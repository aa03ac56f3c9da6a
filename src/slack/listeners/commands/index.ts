import type { App } from '@slack/bolt';
import { type CommandDeps, joblogCommand } from './joblog';

export type { CommandDeps };

export function register(app: App, deps: CommandDeps): void {
  app.command('/joblog', (args) => joblogCommand(args, deps));
}
