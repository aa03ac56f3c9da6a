/**
 * Every Slack listener, one folder per kind as in the Bolt templates. Each kind's `register`
 * wires its named callbacks; the callbacks stay thin (ack → parse → service → render → send)
 * and take their dependencies as an argument, so unit tests call them with fakes.
 * Modals go in `views/`.
 */
import type { App } from '@slack/bolt';
import * as actions from './actions';
import * as commands from './commands';
import * as events from './events';
import * as options from './options';
import * as views from './views';

export type ListenersDeps = commands.CommandDeps & actions.ActionDeps & events.EventDeps & options.OptionsDeps & views.ViewDeps;

export function registerListeners(app: App, deps: ListenersDeps): void {
  commands.register(app, deps);
  actions.register(app, deps);
  options.register(app, deps);
  events.register(app, deps);
  views.register(app, deps);
}
