import type { App } from '@slack/bolt';
import { ACTION } from '../../../blocks/actions';
import type { ListenerDeps } from '../../context';
import { hostLogOptions } from './hostLogOptions';

export function register(app: App, deps: ListenerDeps): void {
  app.options<'block_suggestion'>({ action_id: ACTION.hostLogSelect, type: 'block_suggestion' }, (args) => hostLogOptions(args, deps));
}
