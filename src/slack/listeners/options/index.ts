import type { App } from '@slack/bolt';
import { ACTION } from '../../../blocks/actions';
import type { ListenerDeps } from '../../context';
import { hostLogOptions } from './hostLogOptions';
import { type TargetOptionsDeps, subscribeTargetOptions } from './subscribeTargetOptions';

export type OptionsDeps = ListenerDeps & TargetOptionsDeps;

export function register(app: App, deps: OptionsDeps): void {
  app.options<'block_suggestion'>({ action_id: ACTION.hostLogSelect, type: 'block_suggestion' }, (args) => hostLogOptions(args, deps));
  app.options<'block_suggestion'>({ action_id: ACTION.subscribeTarget, type: 'block_suggestion' }, (args) => subscribeTargetOptions(args, deps));
}
