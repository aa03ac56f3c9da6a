import type { App, BlockAction, PlainTextInputAction, ViewSubmitAction } from '@slack/bolt';
import { SUBSCRIBE_ACTIONS, SUBSCRIBE_VIEW } from '../../../blocks/subscribeModal';
import { OPERATE_VIEW, type OperationModalDeps, operateSubmitted } from './operationModal';
import { type SubscribeModalDeps, subscribeBizEntered, subscribeSubmitted } from './subscribeModal';

export type ViewDeps = SubscribeModalDeps & OperationModalDeps;

export function register(app: App, deps: ViewDeps): void {
  app.action<BlockAction<PlainTextInputAction>>(SUBSCRIBE_ACTIONS.biz, (args) => subscribeBizEntered(args, deps));
  app.view<ViewSubmitAction>(SUBSCRIBE_VIEW, (args) => subscribeSubmitted(args, deps));
  app.view<ViewSubmitAction>(OPERATE_VIEW, (args) => operateSubmitted(args, deps));
}
