import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ACTION, HOST_LOG_BUTTON_PATTERN } from '../../../blocks/actions';
import { sendFullHostLog, shareHostLog, showHostLog } from './hostLogs';
import { JOB_MENU_ACTION, OPERATION_ACTION_PATTERN } from '../../../blocks/operations';
import { type OperationButtonDeps, operationButton } from './operationButtons';
import { type SubscriptionButtonDeps, muteSubscriptionButton, stopSubscriptionButton } from './subscriptionButtons';
import { type WatchButtonDeps, openInJobButton, stopWatchFromHome, unwatchButton, watchButton } from './watchButtons';

export type ActionDeps = WatchButtonDeps & SubscriptionButtonDeps & OperationButtonDeps;

export function register(app: App, deps: ActionDeps): void {
  app.action<BlockAction<ButtonAction>>(ACTION.openInJob, openInJobButton);
  app.action<BlockAction<ButtonAction>>(ACTION.watch, (args) => watchButton(args, deps));
  app.action<BlockAction<ButtonAction>>(ACTION.unwatch, (args) => unwatchButton(args, deps));
  app.action<BlockAction<ButtonAction>>(ACTION.stopWatchHome, (args) => stopWatchFromHome(args, deps));
  app.action<BlockAction>(HOST_LOG_BUTTON_PATTERN, (args) => showHostLog(args, deps));
  app.action<BlockAction>(ACTION.hostLogSelect, (args) => showHostLog(args, deps));
  app.action<BlockAction>(ACTION.shareLog, (args) => shareHostLog(args, deps));
  app.action<BlockAction>(ACTION.fullLog, (args) => sendFullHostLog(args, deps));
  app.action<BlockAction<ButtonAction>>(ACTION.muteSubscription, (args) => muteSubscriptionButton(args, deps));
  app.action<BlockAction<ButtonAction>>(ACTION.stopSubscription, (args) => stopSubscriptionButton(args, deps));
  app.action<BlockAction>(OPERATION_ACTION_PATTERN, (args) => operationButton(args, deps));
  app.action<BlockAction>(JOB_MENU_ACTION, (args) => operationButton(args, deps));
}
